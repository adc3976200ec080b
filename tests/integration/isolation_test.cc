// Isolation (SPEC §2): an application never sees another application's tasks.
#include "integration/integration_util.h"

namespace tock::testing {

TEST_SUITE("Isolation") {
  TEST_CASE("another application's task id is 404 for detail, cancel and publish") {
    AppFixture a;
    AppFixture b;
    const int64_t id = a.MustCreate({.task_no = "mine", .runtime = RuntimeJson(WallNowMs() + 3600000)});

    CheckError(b.api.Detail(b.app, id), 404, "");
    CheckError(b.api.AppPost(b.app, "/task/detail", "{\"id\":" + std::to_string(id) + "}"), 404,
               "");
    CheckError(b.api.Cancel(b.app, id), 404, "");
    CheckError(b.api.Publish(b.app, id), 404, "");
    CheckError(b.api.Publish(b.app, id, "/nsq/publish"), 404, "");
    // Signed headers of B do not reach A's task either.
    CheckError(b.api.Detail(b.app, id, Auth::kSigned), 404, "");

    // A's task is untouched: still waiting, never delivered anywhere.
    ApiResponse d = a.api.Detail(a.app, id);
    CHECK_MESSAGE(d.Int("/data/status") == 0, d.Describe());
    CHECK(a.receiver.Count() == 0);
    CHECK(b.receiver.Count() == 0);

    // The same taskNo in B is a new task of B's, not A's.
    ApiResponse mine = b.api.CreateTask(b.app, {.task_no = "mine", .runtime = RuntimeJson(WallNowMs() + 3600000)});
    REQUIRE_MESSAGE(mine.status == 200, mine.Describe());
    CHECK(mine.Int("/data/taskId") != id);
    CHECK_FALSE(mine.Bool("/data/duplicate", false));
  }

  TEST_CASE("each application's tasks go to its own linkUrl, signed with its own secret") {
    AppFixture a;
    AppFixture b;
    const int64_t ida = a.MustCreate({});
    const int64_t idb = b.MustCreate({});
    REQUIRE(a.receiver.WaitForCount(1, 5s));
    REQUIRE(b.receiver.WaitForCount(1, 5s));
    CHECK_FALSE(a.receiver.WaitForCount(2, 500ms));
    auto ra = a.receiver.Requests().at(0);
    auto rb = b.receiver.Requests().at(0);
    CHECK(ra.Header("webhook-id") == std::to_string(ida));
    CHECK(rb.Header("webhook-id") == std::to_string(idb));
    CHECK(ra.Header("app_key") == a.app.app_key);
    CHECK(rb.Header("app_key") == b.app.app_key);
    std::string out;
    CHECK(VerifyStandardWebhook(a.app.webhook_secret, ra, &out) == 0);
    CHECK(VerifyStandardWebhook(b.app.webhook_secret, ra, &out) == 1);
  }
}

}  // namespace tock::testing
