// The outbound client's guards against the real binary: bounded answers (a receiver that
// floods headers), the address guard (SSRF) on literal and resolved addresses, and the
// CONNECT proxy.
#include <string>
#include <thread>

#include "../../tools/bench/bench_util.h"
#include "integration/integration_util.h"
#include "testutil/bad_receiver.h"
#include "testutil/connect_proxy.h"

namespace tock::testing {
namespace {

using bench::RssMiB;

// The /task/detail of one task of a new application (no retries) whose callback goes to
// `url`, once the task has failed (checked, within 10 s).
ApiResponse FailedDetail(ApiClient& api, const std::string& url, const std::string& task_no) {
  App app = api.CreateApp(url, {.step = 1, .retry_total = 0});
  REQUIRE_MESSAGE(app.ok(), app.create_response.Describe());
  ApiResponse r = api.CreateTask(app, {.task_no = task_no});
  REQUIRE(r.status == 200);
  ApiResponse d = api.WaitForStatus(app, r.Int("/data/taskId"), 4, 10s);
  CHECK_MESSAGE(d.Int("/data/status") == 4, d.Describe());
  return d;
}

}  // namespace

TEST_SUITE("GuardedClient") {
  TEST_CASE("a receiver that floods headers fails the attempt; tock's memory stays bounded") {
    // Endless short header lines (tock's 64 KiB / 100 line limits), and one header line
    // without end (libcurl's 100 KiB line limit comes first; it must fail the attempt too,
    // not pass for a shortage of memory here, which would try again every second forever).
    for (BadReceiver::Mode mode :
         {BadReceiver::Mode::kHeaderFlood, BadReceiver::Mode::kLongHeaderLine}) {
      INFO("receiver: ", std::string(BadReceiver::ModeName(mode)));
      auto tock = StartOwnTock();
      ApiClient api(*tock);
      BadReceiver flood(mode);
      REQUIRE(flood.ok());
      App app = api.CreateApp(flood.Url(), {.step = 1, .retry_total = 2});
      REQUIRE(app.ok());
      ApiResponse r = api.CreateTask(app, {.task_no = "flood"});
      REQUIRE(r.status == 200);
      const int64_t id = r.Int("/data/taskId");
      ApiResponse d = api.WaitForStatus(app, id, 4, 20s);
      INFO(d.Describe());
      REQUIRE(d.Int("/data/status") == 4);
      REQUIRE(d.Size("/data/attempts") == 3);
      for (int i = 0; i < 3; ++i) {
        const std::string p = "/data/attempts/" + std::to_string(i);
        CHECK(d.Int(p + "/httpStatus") == 0);
        CHECK(d.Str(p + "/outcome") == "error");
        CHECK(Contains(d.Str(p + "/error"), "response headers too large"));
      }
      CHECK(flood.requests() == 3);  // one POST per attempt: none was made again unrecorded
      CHECK_FALSE(Contains(tock->ReadLog(), "delivery.local_error"));
      // 64 KiB of headers per attempt at most: the flood never reached tock's memory.
      const double rss = RssMiB(tock->pid());
      MESSAGE(std::string(BadReceiver::ModeName(mode)), ": tock RSS after 3 flooded attempts: ", rss,
              " MiB; the receiver wrote ", flood.bytes_sent() / 1024, " KiB");
      CHECK(rss > 0);
      CHECK(rss < 100);
    }
  }

  TEST_CASE("a literal denied address is refused at create and update, naming linkUrl") {
    TockProcess& tock = SharedTock();
    ApiClient api(tock);
    for (const char* url : {"http://169.254.169.254/latest/meta-data", "http://[fe80::1]:80/x",
                            "http://0.0.0.0:8080/"}) {
      INFO(url);
      ApiResponse r = api.AdminPost("/application/create",
                                    std::string(R"({"appName":"ssrf","linkUrl":")") + url + "\"}");
      CheckError(r, 400, "linkUrl");
      CHECK(Contains(r.msg(), "denied"));
    }
    // tock's own listen address and port: a callback to itself would loop.
    const std::string self = "http://127.0.0.1:" + std::to_string(tock.port()) + "/task/create";
    CheckError(api.AdminPost("/application/create",
                             R"({"appName":"self","linkUrl":")" + self + "\"}"),
               400, "linkUrl");
    Receiver rx;
    App app = api.CreateApp(rx.Url());
    REQUIRE(app.ok());
    ApiResponse up = api.AdminPost(
        "/application/update",
        R"({"app_key":")" + app.app_key + R"(","linkUrl":"http://169.254.169.254/"})");
    CheckError(up, 400, "linkUrl");
  }

  TEST_CASE("a name that resolves to a denied address fails the attempt: 'address denied'") {
    // Loopback denied in this test only (by default it is allowed).
    auto tock = StartOwnTock({"--callback-deny", "127.0.0.0/8,::1/128"});
    ApiClient api(*tock);
    Receiver rx;
    const std::string by_name = "http://localhost:" + std::to_string(rx.port()) + "/hook";
    ApiResponse d = FailedDetail(api, by_name, "rebind");  // a name passes at create
    INFO(d.Describe());
    CHECK(Contains(d.Str("/data/attempts/0/error"), "address denied ("));
    CHECK(rx.Count() == 0);
    // The literal form is refused at once.
    CheckError(api.AdminPost("/application/create",
                             R"({"appName":"lit","linkUrl":")" + rx.Url() + "\"}"),
               400, "linkUrl");
  }

  TEST_CASE("tock's own address stays denied whatever --callback-allow lifts") {
    auto tock = StartOwnTock({"--callback-allow", "127.0.0.0/8,::1/128"});
    ApiClient api(*tock);
    const std::string self = "http://127.0.0.1:" + std::to_string(tock->port()) + "/task/create";
    ApiResponse r = api.AdminPost("/application/create",
                                  R"({"appName":"self","linkUrl":")" + self + "\"}");
    CheckError(r, 400, "linkUrl");
    CHECK(Contains(r.msg(), "tock's own listen address"));
    // By name: refused on the address connected to.
    const std::string by_name = "http://localhost:" + std::to_string(tock->port()) + "/task/create";
    ApiResponse d = FailedDetail(api, by_name, "self");
    INFO(d.Describe());
    CHECK(Contains(d.Str("/data/attempts/0/error"), "address denied ("));
  }

  TEST_CASE("--callback-proxy: callbacks go through an HTTP CONNECT proxy") {
    ConnectProxy proxy;
    REQUIRE(proxy.ok());
    auto tock = StartOwnTock({"--callback-proxy", proxy.Url()});
    ApiClient api(*tock);
    Receiver rx;
    App app = api.CreateApp(rx.Url(), {.step = 1, .retry_total = 0});
    REQUIRE(app.ok());
    for (int i = 0; i < 3; ++i) {
      REQUIRE(api.CreateTask(app, {.task_no = "proxied-" + std::to_string(i)}).status == 200);
    }
    REQUIRE(rx.WaitForCount(3, 10s));
    const std::vector<std::string> targets = proxy.targets();
    REQUIRE_FALSE(targets.empty());
    for (const std::string& t : targets) CHECK(t == "127.0.0.1:" + std::to_string(rx.port()));
    // The signed callback arrived intact through the tunnel.
    std::string out;
    CHECK_MESSAGE(VerifyStandardWebhook(app.webhook_secret, rx.Requests()[0], &out) == 0, out);
  }

  TEST_CASE("--callback-proxy: a failed attempt says when the proxy is what failed") {
    ConnectProxy proxy;
    REQUIRE(proxy.ok());
    auto tock = StartOwnTock({"--callback-proxy", proxy.Url()});
    ApiClient api(*tock);
    // The proxy cannot reach the receiver (nothing listens there) and answers 502.
    int closed_port = 0;
    {
      Receiver gone;
      closed_port = gone.port();
    }
    ApiResponse d = FailedDetail(
        api, "http://127.0.0.1:" + std::to_string(closed_port) + "/hook", "via-proxy");
    INFO(d.Describe());
    CHECK(Contains(d.Str("/data/attempts/0/error"), "proxy: "));
    CHECK(Contains(d.Str("/data/attempts/0/error"), "502"));
    // The proxy itself gone: the error names the proxy, not the receiver.
    const std::string proxy_url = proxy.Url();
    proxy.Stop();
    Receiver rx;
    ApiResponse d2 = FailedDetail(api, rx.Url(), "proxy-down");
    INFO(d2.Describe());
    CHECK(d2.Str("/data/attempts/0/error") == "cannot connect to the proxy (" + proxy_url + ")");
    CHECK(rx.Count() == 0);
  }

  TEST_CASE("a bad --callback-deny or --callback-proxy stops start-up with a clear line") {
    for (auto args : {std::vector<std::string>{"--callback-deny", "10.0.0.0/40"},
                      std::vector<std::string>{"--callback-proxy", "socks5://127.0.0.1:1"}}) {
      std::string out;
      std::vector<std::string> argv = {TOCK_BINARY, "serve", "--config", "", "--data",
                                       "/nonexistent/never-created"};
      argv.insert(argv.end(), args.begin(), args.end());
      const int rc = RunProcess(argv, &out);
      INFO(out);
      CHECK(rc == 2);
      CHECK(Contains(out, "setting '" + args[0].substr(2) + "'"));
    }
  }
}

}  // namespace tock::testing
