// Retries (SPEC §5): counts, gaps of min(step × k, 3600) s, timeout, 410, connection errors.
#include <cstdlib>
#include <set>

#include "auth/signing.h"
#include "integration/integration_util.h"

namespace tock::testing {

TEST_SUITE("Retry") {
  TEST_CASE("a failing receiver gets 1 + retryTotal attempts, step x k s apart, then failed") {
    AppFixture f({.step = 1, .retry_total = 2});
    f.receiver.SetDefaultReply({500, "boom"});
    const int64_t id = f.MustCreate({.task_no = "retry-gaps"});

    REQUIRE_MESSAGE(f.receiver.WaitForCount(3, 10s), "only " << f.receiver.Count() << " attempts");
    ApiResponse d = f.api.WaitForStatus(f.app, id, 4, 5s);
    // No fourth attempt: the task is failed once the third has ended.
    CHECK_FALSE(f.receiver.WaitForCount(4, 1500ms));
    auto reqs = f.receiver.Requests();
    CHECK(reqs.size() == 3);

    // The k-th retry waits step*k s after the previous attempt ended; the receiver answers at
    // once, so arrival-to-arrival is step*k plus tock's own latency. 20 ms slack for rounding
    // between tock's monotonic timer and our clock; 1.2 s allowance for a loaded CI box.
    const int64_t gap1 = reqs[1].arrival_mono_ms - reqs[0].arrival_mono_ms;
    const int64_t gap2 = reqs[2].arrival_mono_ms - reqs[1].arrival_mono_ms;
    INFO("gaps: ", gap1, " ms, ", gap2, " ms");
    CHECK(gap1 >= 1000 - 20);
    CHECK(gap1 < 1000 + 1200);
    CHECK(gap2 >= 2000 - 20);
    CHECK(gap2 < 2000 + 1200);

    std::set<std::string> nonces;
    for (size_t i = 0; i < reqs.size(); ++i) {
      INFO("attempt ", i + 1);
      const ReceivedRequest& q = reqs[i];
      CHECK(q.Header("webhook-id") == std::to_string(id));
      CHECK(ParseJson(q.body).Int("/attempt") == static_cast<int64_t>(i + 1));
      // Each attempt is signed afresh: its own timestamp, its own nonce.
      const int64_t ts = std::atoll(q.Header("webhook-timestamp").c_str());
      CHECK(std::llabs(ts - q.arrival_wall_ms / 1000) <= 2);
      CHECK(q.Header("webhook-signature") ==
            StandardWebhookSignature(WebhookKeyBytes(f.app), std::to_string(id), ts, q.body));
      CHECK(q.Header("signature") == SerendipitySignature(f.app.secret_key, q.Header("timestamps"),
                                                          q.Header("nonce"), Sha256Hex(q.body)));
      nonces.insert(q.Header("nonce"));
    }
    CHECK(nonces.size() == reqs.size());
    std::string node_out;
    CHECK_MESSAGE(VerifyStandardWebhook(f.app.webhook_secret, reqs.back(), &node_out) == 0,
                  node_out);

    INFO("detail: ", d.Describe());
    CHECK(d.Int("/data/status") == 4);
    CHECK(d.Str("/data/state") == "failed");
    CHECK(d.Int("/data/round") == 3);
    CHECK(d.IsNull("/data/nextRunAt"));
    REQUIRE(d.Size("/data/attempts") == 3);
    for (int i = 0; i < 3; ++i) {
      const std::string a = "/data/attempts/" + std::to_string(i);
      INFO(a);
      CHECK(d.Int(a + "/attempt") == i + 1);
      CHECK(d.Str(a + "/outcome") == "failure");
      CHECK(d.Int(a + "/httpStatus") == 500);
      CHECK(d.Str(a + "/response") == "boom");
      CHECK(d.Int(a + "/startedAt") >= reqs[0].arrival_wall_ms - 1000);
      CHECK(d.Int(a + "/durationMs") >= 0);
    }
    // elapsed is the time spent in attempts: their durations summed (ms rounding aside).
    int64_t sum = 0;
    for (int i = 0; i < 3; ++i) sum += d.Int("/data/attempts/" + std::to_string(i) + "/durationMs");
    CHECK(d.Int("/data/elapsed") >= sum - 3);
    CHECK(d.Int("/data/elapsed") <= sum + 3);
  }

  TEST_CASE("the retry wait is capped at 3600 s") {
    // step 3600: the 1st retry waits 3600 s, the 2nd min(7200, 3600) = 3600 s. Publishing the
    // retry-waiting task runs the 2nd attempt now instead of in an hour.
    AppFixture f({.step = 3600, .retry_total = 3});
    f.receiver.SetDefaultReply({500, "no"});
    const int64_t id = f.MustCreate({});
    auto round_is = [](int64_t n) {
      return [n](const ApiResponse& r) { return r.Int("/data/round") == n; };
    };
    ApiResponse d = f.api.WaitForDetail(f.app, id, round_is(1), 5s);
    INFO("after attempt 1: ", d.Describe());
    REQUIRE(d.Int("/data/round") == 1);
    int64_t ended = d.Int("/data/attempts/0/startedAt") + d.Int("/data/attempts/0/durationMs");
    CHECK(d.Int("/data/nextRunAt") >= ended + 3600 * 1000 - 20);
    CHECK(d.Int("/data/nextRunAt") <= ended + 3600 * 1000 + 1000);

    ApiResponse p = f.api.Publish(f.app, id);
    REQUIRE_MESSAGE(p.status == 200, p.Describe());
    d = f.api.WaitForDetail(f.app, id, round_is(2), 5s);
    INFO("after attempt 2: ", d.Describe());
    REQUIRE(d.Int("/data/round") == 2);
    CHECK(d.Int("/data/status") == 0);
    ended = d.Int("/data/attempts/1/startedAt") + d.Int("/data/attempts/1/durationMs");
    CHECK(d.Int("/data/nextRunAt") >= ended + 3600 * 1000 - 20);
    CHECK(d.Int("/data/nextRunAt") <= ended + 3600 * 1000 + 1000);
    CHECK(f.receiver.Count() == 2);
  }

  TEST_CASE("while a retry waits, detail shows waiting with nextRunAt and the attempts so far") {
    AppFixture f({.step = 3, .retry_total = 1});
    f.receiver.SetDefaultReply({500, "no"});
    const int64_t id = f.MustCreate({});
    REQUIRE(f.receiver.WaitForCount(1, 5s));
    ApiResponse d = f.api.WaitForDetail(
        f.app, id, [](const ApiResponse& r) { return r.Int("/data/round") == 1; }, 3s);
    INFO("detail: ", d.Describe());
    CHECK(d.Int("/data/status") == 0);
    CHECK(d.Str("/data/state") == "waiting");
    CHECK(d.Int("/data/round") == 1);
    CHECK(d.Size("/data/attempts") == 1);
    const int64_t first_ms = f.receiver.Requests().at(0).arrival_wall_ms;
    CHECK(d.Int("/data/nextRunAt") >= first_ms + 3000 - 20);
    CHECK(d.Int("/data/nextRunAt") < first_ms + 3000 + 1200);
  }

  TEST_CASE("a retry that succeeds ends the task as success; step 0 retries at once") {
    AppFixture f({.step = 0, .retry_total = 3});
    f.receiver.QueueReplies({{500, "no"}, {200, "not yet"}});
    const int64_t id = f.MustCreate({});
    ApiResponse d = f.api.WaitForStatus(f.app, id, 2, 5s);
    INFO("detail: ", d.Describe());
    CHECK(d.Int("/data/status") == 2);
    CHECK(d.Int("/data/round") == 3);
    REQUIRE(d.Size("/data/attempts") == 3);
    CHECK(d.Str("/data/attempts/0/outcome") == "failure");
    CHECK(d.Str("/data/attempts/1/outcome") == "failure");
    CHECK(d.Str("/data/attempts/2/outcome") == "success");
    auto reqs = f.receiver.Requests();
    REQUIRE(reqs.size() == 3);
    CHECK(reqs[2].arrival_mono_ms - reqs[0].arrival_mono_ms < 1500);
  }

  TEST_CASE("a receiver slower than the task timeout fails the attempt with outcome timeout") {
    AppFixture f({.step = 0, .retry_total = 0});
    f.receiver.SetDefaultReply({200, "success", 2500ms});
    const int64_t id = f.MustCreate({.timeout = "400"});
    REQUIRE(f.receiver.WaitForCount(1, 5s));
    const int64_t arrived = f.receiver.Requests().at(0).arrival_mono_ms;
    ApiResponse d = f.api.WaitForStatus(f.app, id, 4, 5s);
    const int64_t failed_after = MonoNowMs() - arrived;
    INFO("detail: ", d.Describe());
    CHECK(d.Int("/data/status") == 4);
    CHECK(d.Str("/data/attempts/0/outcome") == "timeout");
    // Given up near the 400 ms timeout, not when the receiver finally answered.
    CHECK(failed_after < 2000);
    CHECK(d.Int("/data/attempts/0/durationMs") >= 400 - 20);
    CHECK(d.Int("/data/attempts/0/durationMs") < 2000);
    CHECK(d.Str("/data/attempts/0/error") != "");
  }

  TEST_CASE("410 Gone stops retrying at once") {
    AppFixture f({.step = 0, .retry_total = 5});
    f.receiver.SetDefaultReply({410, "gone"});
    const int64_t id = f.MustCreate({});
    ApiResponse d = f.api.WaitForStatus(f.app, id, 4, 5s);
    INFO("detail: ", d.Describe());
    CHECK(d.Int("/data/status") == 4);
    CHECK(d.Size("/data/attempts") == 1);
    CHECK(d.Str("/data/attempts/0/outcome") == "gone");
    CHECK(d.Int("/data/attempts/0/httpStatus") == 410);
    CHECK_FALSE(f.receiver.WaitForCount(2, 1000ms));
  }

  TEST_CASE("an unreachable linkUrl is an attempt with outcome error") {
    int dead_port;
    {
      Receiver gone;  // bind a port, then free it: nothing listens there afterwards
      dead_port = gone.port();
    }
    ApiClient api(SharedTock());
    App app = api.CreateApp("http://127.0.0.1:" + std::to_string(dead_port) + "/hook",
                            {.step = 0, .retry_total = 1});
    REQUIRE_MESSAGE(app.ok(), app.create_response.Describe());
    ApiResponse r = api.CreateTask(app, {});
    REQUIRE_MESSAGE(r.status == 200, r.Describe());
    const int64_t id = r.Int("/data/taskId");
    ApiResponse d = api.WaitForStatus(app, id, 4, 8s);
    INFO("detail: ", d.Describe());
    CHECK(d.Int("/data/status") == 4);
    CHECK(d.Size("/data/attempts") == 2);
    CHECK(d.Str("/data/attempts/0/outcome") == "error");
    CHECK(d.Str("/data/attempts/0/error") != "");
    CHECK(d.Str("/data/attempts/0/error") != "<missing>");
  }
}

}  // namespace tock::testing
