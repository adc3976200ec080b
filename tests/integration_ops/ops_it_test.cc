// Operator tooling against the real tock binary: an online backup taken while tasks are being
// created restores every task acknowledged before it; `tock app create|list|show` manage
// applications; `tock verify` checks a real delivered callback.

#include <doctest/doctest.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "auth/signing.h"
#include "integration/integration_util.h"

namespace tock::testing {
namespace {

using Steady = std::chrono::steady_clock;

// "key: value" lines of a CLI's output.
std::map<std::string, std::string> KeyValues(const std::string& out) {
  std::map<std::string, std::string> kv;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    size_t colon = line.find(": ");
    if (colon != std::string::npos) kv[line.substr(0, colon)] = line.substr(colon + 2);
  }
  return kv;
}

std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs `tock verify <args> < file` through the shell (RunProcess gives the child /dev/null as
// stdin); returns the exit code.
int VerifyFromFile(const std::string& file, const std::vector<std::string>& args,
                   std::string* out) {
  std::string cmd = ShellQuote(TOCK_BINARY) + " verify";
  for (const auto& a : args) cmd += " " + ShellQuote(a);
  cmd += " < " + ShellQuote(file);
  return RunProcess({"/bin/sh", "-c", cmd}, out);
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
}

// The delivery as an HTTP-ish dump: headers, an empty line, the body.
std::string Dump(const ReceivedRequest& req, const std::string& body,
                 const std::map<std::string, std::string>& replace = {}) {
  std::string text = "POST " + req.path + " HTTP/1.1\r\n";
  for (const auto& [k, v] : req.headers) {
    std::string lower = k;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto it = replace.find(lower);
    text += k + ": " + (it == replace.end() ? v : it->second) + "\r\n";
  }
  return text + "\r\n" + body;
}

}  // namespace

TEST_SUITE("OpsBackup") {
  TEST_CASE("a backup taken while tasks are created restores every task acked before it") {
    TockProcess tock({.binary = TOCK_BINARY, .admin_token_in_env = false});
    std::string error;
    REQUIRE_MESSAGE(tock.Start(&error), error);
    Receiver rx;
    ApiClient api(tock);
    App app = api.CreateApp(rx.Url(), {.name = "backup-app"});
    REQUIRE_MESSAGE(app.ok(), app.create_response.Describe());

    // The restored server runs on this one's data dir: the backup target, not yet created.
    TockProcess restored({.binary = TOCK_BINARY, .admin_token_in_env = false,
                          .temp_prefix = "tock-it-restore-"});
    const std::string to = restored.data_dir();

    // Refusals first: no token, a relative path, a non-empty directory.
    ApiResponse r = api.AdminPost("/admin/backup", "{\"to\":" + JsonString(to) + "}", "wrong");
    CHECK(r.status == 401);
    CheckError(api.AdminPost("/admin/backup", R"({"to":"relative/dir"})"), 400, "to");
    CheckError(api.AdminPost("/admin/backup", "{\"to\":" + JsonString(tock.data_dir()) + "}"),
               400, "to");
    CheckError(api.AdminPost("/admin/backup", "{}"), 400, "to");
    CHECK_FALSE(std::filesystem::exists(to));

    // 8 writers for ~1 s; the backup runs in the middle.
    constexpr int kThreads = 8;
    std::atomic<bool> stop{false};
    std::mutex mu;
    std::vector<std::pair<Steady::time_point, int64_t>> acked;  // GUARDED_BY(mu)
    std::atomic<int> failures{0};
    const std::string runtime = RuntimeJson(WallNowMs() + 3'600'000);
    std::vector<std::thread> writers;
    for (int t = 0; t < kThreads; ++t) {
      writers.emplace_back([&] {
        ApiClient c(tock.host(), tock.port(), tock.admin_token());
        std::vector<std::pair<Steady::time_point, int64_t>> mine;
        while (!stop.load()) {
          ApiResponse cr = c.CreateTask(app, {.runtime = runtime});
          if (cr.status != 200) {
            ++failures;
            continue;
          }
          mine.emplace_back(Steady::now(), cr.Int("/data/taskId"));
        }
        std::lock_guard<std::mutex> lock(mu);
        acked.insert(acked.end(), mine.begin(), mine.end());
      });
    }
    std::this_thread::sleep_for(500ms);
    const Steady::time_point backup_started = Steady::now();
    std::string out;
    int rc = RunProcess({TOCK_BINARY, "backup", "--server", tock.base_url(), "--data",
                         tock.data_dir(), "--to", to},
                        &out, std::chrono::seconds(60));
    std::this_thread::sleep_for(500ms);
    stop.store(true);
    for (auto& w : writers) w.join();
    REQUIRE_MESSAGE(rc == 0, out);
    CHECK(KeyValues(out)["path"] == to);
    CHECK(failures.load() == 0);
    CHECK(std::filesystem::exists(to + "/db"));
    CHECK(std::filesystem::exists(to + "/admin.token"));

    std::vector<int64_t> before;
    size_t after = 0;
    for (const auto& [when, id] : acked) {
      if (when < backup_started) {
        before.push_back(id);
      } else {
        ++after;
      }
    }
    MESSAGE("tasks acked before the backup: ", before.size(), ", after: ", after);
    REQUIRE(before.size() > 0);

    // A second backup into the same (now non-empty) directory is refused.
    CheckError(api.AdminPost("/admin/backup", "{\"to\":" + JsonString(to) + "}"), 400, "to");

    REQUIRE_MESSAGE(restored.Start(&error), error);
    CHECK(restored.admin_token() == tock.admin_token());
    ApiClient api2(restored);
    size_t missing = 0;
    for (int64_t id : before) {
      ApiResponse d = api2.Detail(app, id);
      if (d.status != 200) {
        if (++missing <= 5) MESSAGE("task ", id, ": ", d.Describe());
      }
    }
    CHECK(missing == 0);
    // The application still authenticates, both ways, and can create tasks.
    CHECK(api2.CreateTask(app, {.runtime = runtime}).status == 200);
    CHECK(api2.Detail(app, before.front(), Auth::kSigned).status == 200);
    // And the admin token of the copy works.
    CHECK(api2.Get("/admin/apps", {{"Authorization", "Bearer " + tock.admin_token()}}).status ==
          200);
  }
}

TEST_SUITE("OpsAppCli") {
  TEST_CASE("tock app create, list and show against a running server") {
    TockProcess& tock = SharedTock();
    Receiver rx;
    const std::vector<std::string> common = {"--server", tock.base_url(), "--token",
                                             tock.admin_token()};
    auto run = [&](std::vector<std::string> args, std::string* out) {
      std::vector<std::string> argv = {TOCK_BINARY, "app"};
      argv.insert(argv.end(), args.begin(), args.end());
      argv.insert(argv.end(), common.begin(), common.end());
      return RunProcess(argv, out);
    };

    std::string out;
    int rc = run({"create", "--name", "cli-app", "--url", rx.Url(), "--step", "2",
                  "--retry-total", "3", "--remark", "made by the CLI", "--success-mode",
                  "status"},
                 &out);
    REQUIRE_MESSAGE(rc == 0, out);
    auto created = KeyValues(out);
    App app;
    app.app_key = created["appKey"];
    app.secret_key = created["secretKey"];
    app.webhook_secret = created["webhookSecret"];
    REQUIRE_MESSAGE(app.ok(), out);
    CHECK(app.webhook_secret.starts_with("whsec_"));

    rc = run({"list"}, &out);
    REQUIRE_MESSAGE(rc == 0, out);
    CHECK(Contains(out, "appKey: " + app.app_key + "\n"));
    CHECK_FALSE(Contains(out, "secretKey"));
    CHECK_FALSE(Contains(out, app.secret_key));

    rc = run({"show", app.app_key}, &out);
    REQUIRE_MESSAGE(rc == 0, out);
    auto shown = KeyValues(out);
    CHECK(shown["appKey"] == app.app_key);
    CHECK(shown["appName"] == "cli-app");
    CHECK(shown["linkUrl"] == rx.Url());
    CHECK(shown["remark"] == "made by the CLI");
    CHECK(shown["step"] == "2");
    CHECK(shown["retryTotal"] == "3");
    CHECK(shown["successMode"] == "status");
    CHECK(shown.count("createdAt") == 1);
    CHECK_FALSE(Contains(out, "secretKey"));

    // The keys it printed work.
    ApiClient api(tock);
    CHECK(api.CreateTask(app, {.runtime = RuntimeJson(WallNowMs() + 3'600'000)}).status == 200);

    // Errors: the server's message, exit 1; bad usage, exit 2.
    rc = run({"show", "NoSuchAppKey0000"}, &out);
    CHECK(rc == 1);
    CHECK_MESSAGE(Contains(out, "HTTP 404"), out);
    rc = run({"create", "--name", "x", "--url", rx.Url(), "--step", "abc"}, &out);
    CHECK(rc == 1);
    CHECK_MESSAGE(Contains(out, "field 'step'"), out);
    rc = RunProcess({TOCK_BINARY, "app", "list", "--server", tock.base_url(), "--token", "bad"},
                    &out);
    CHECK(rc == 1);
    CHECK_MESSAGE(Contains(out, "HTTP 401"), out);
    rc = run({"create", "--name", "x"}, &out);
    CHECK(rc == 2);
    rc = run({"frobnicate"}, &out);
    CHECK(rc == 2);

    // --app-key keeps a key already in use elsewhere (issue 14: a JPush appKey); only at create.
    rc = run({"create", "--name", "kept", "--url", rx.Url(), "--app-key",
              "7d431e42dfa6a6d693ac2d04"},
             &out);
    REQUIRE_MESSAGE(rc == 0, out);
    CHECK(KeyValues(out)["appKey"] == "7d431e42dfa6a6d693ac2d04");
    rc = run({"create", "--name", "again", "--url", rx.Url(), "--app-key",
              "7d431e42dfa6a6d693ac2d04"},
             &out);
    CHECK(rc == 1);
    CHECK_MESSAGE(Contains(out, "HTTP 409"), out);
    rc = run({"update", app.app_key, "--app-key", "7d431e42dfa6a6d693ac2d05"}, &out);
    CHECK(rc == 2);

    // The token read from <--data>/admin.token.
    std::string dir = MakeTempDir("tock-it-cli-");
    REQUIRE_FALSE(dir.empty());
    WriteFile(dir + "/admin.token", tock.admin_token() + "\n");
    rc = RunProcess({TOCK_BINARY, "app", "show", app.app_key, "--server", tock.base_url(),
                     "--data", dir},
                    &out);
    CHECK_MESSAGE(rc == 0, out);
    std::filesystem::remove_all(dir);
  }
}

TEST_SUITE("OpsVerifyCli") {
  TEST_CASE("tock verify accepts a real callback and names what is wrong with a bad one") {
    AppFixture fx;
    fx.MustCreate({.runtime = RuntimeJson(WallNowMs())});
    REQUIRE(fx.receiver.WaitForCount(1, 10s));
    const ReceivedRequest req = fx.receiver.Requests()[0];
    const std::string& secret = fx.app.webhook_secret;
    REQUIRE(secret.starts_with("whsec_"));

    std::string dir = MakeTempDir("tock-it-verify-");
    REQUIRE_FALSE(dir.empty());
    const std::string file = dir + "/callback.http";
    std::string out;

    WriteFile(file, Dump(req, req.body));
    int rc = VerifyFromFile(file, {"--secret", secret}, &out);
    CHECK_MESSAGE(rc == 0, out);
    CHECK(Contains(out, "ok: verified"));

    WriteFile(file, Dump(req, req.body + " "));
    rc = VerifyFromFile(file, {"--secret", secret}, &out);
    CHECK(rc == 1);
    CHECK_MESSAGE(Contains(out, "no signature matched"), out);

    // Correctly signed, but an hour old.
    const int64_t old_ts = WallNowMs() / 1000 - 3600;
    const std::string id = req.Header("webhook-id");
    const std::string old_sig =
        StandardWebhookSignature(WebhookKeyBytes(fx.app), id, old_ts, req.body);
    WriteFile(file, Dump(req, req.body,
                         {{"webhook-timestamp", std::to_string(old_ts)},
                          {"webhook-signature", old_sig}}));
    rc = VerifyFromFile(file, {"--secret", secret}, &out);
    CHECK(rc == 1);
    CHECK_MESSAGE(Contains(out, "stale timestamp"), out);
    rc = VerifyFromFile(file, {"--secret", secret, "--no-timestamp-check"}, &out);
    CHECK_MESSAGE(rc == 0, out);

    // Another application's secret.
    rc = VerifyFromFile(file, {"--secret", WebhookSecretFor("x" + fx.app.secret_key),
                               "--no-timestamp-check"},
                        &out);
    CHECK(rc == 1);
    CHECK_MESSAGE(Contains(out, "no signature matched"), out);

    // Headers as flags, the body from a file (stdin not read).
    const std::string body_file = dir + "/body.json";
    WriteFile(body_file, req.body);
    rc = RunProcess({TOCK_BINARY, "verify", "--secret", secret, "--header",
                     "webhook-id: " + id, "--header",
                     "webhook-timestamp: " + req.Header("webhook-timestamp"), "--header",
                     "webhook-signature: " + req.Header("webhook-signature"), "--body-file",
                     body_file},
                    &out);
    CHECK_MESSAGE(rc == 0, out);
    rc = RunProcess({TOCK_BINARY, "verify", "--secret", secret, "--header",
                     "webhook-id: " + id, "--header",
                     "webhook-timestamp: " + req.Header("webhook-timestamp"), "--body-file",
                     body_file},
                    &out);
    CHECK(rc == 1);
    CHECK_MESSAGE(Contains(out, "missing header webhook-signature"), out);

    rc = VerifyFromFile(file, {"--secret", "whsec_%%%"}, &out);
    CHECK(rc == 1);
    CHECK_MESSAGE(Contains(out, "bad secret format"), out);
    std::filesystem::remove_all(dir);
  }
}

}  // namespace tock::testing
