// The console in a real browser (issue 13): Debian's chromium, headless, driven by
// puppeteer-core from console_browser.mjs, against the real binary and a real receiver.
// This test starts tock, makes what the pages must show through the public API (an
// application with a weekly schedule, a waiting task, delivered ones and a failed one),
// runs the script, and makes sure chromium is gone afterwards (by the pid the script
// printed). The script signs in, creates an application, creates a task the receiver fails
// (503 to its first attempt), finds it under failed deliveries, replays it and sees it
// succeed; filters and pages the task list; replays all failures of an application as a
// job; reads a schedule. Screenshots of every page, at desktop width and at 360 px, go to
// <build>/screenshots/.
#include <signal.h>

#include <fstream>
#include <string>

#include "common/json_writer.h"
#include "integration/integration_util.h"
#include "integration_console/console_it_util.h"
#include "integration_schedules/schedule_it_util.h"

namespace tock::testing {
namespace {

constexpr const char* kChromium = "/usr/bin/chromium";

// The pid after `marker` in the script's output, or 0.
pid_t PidAfter(const std::string& output, const std::string& marker) {
  const size_t at = output.find(marker);
  if (at == std::string::npos) return 0;
  return static_cast<pid_t>(std::atol(output.c_str() + at + marker.size()));
}

// True while `pid` runs a chromium (its command line says so): a pid reused by another
// process is never touched.
bool IsChromium(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string cmd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return cmd.find("chromium") != std::string::npos;
}

}  // namespace

TEST_SUITE("ConsoleBrowser") {
  TEST_CASE("an operator signs in, creates an application, sees a failed delivery, replays it, "
            "filters tasks and reads a schedule") {
    REQUIRE_MESSAGE(std::ifstream(kChromium).good(),
                    kChromium << " is missing: run tools/deps.sh --test (apt chromium)");
    auto tock = StartOwnTock();
    Receiver rx;
    ApiClient api(*tock);
    App app = api.CreateApp(rx.Url(), {.name = "billing"});
    REQUIRE_MESSAGE(app.ok(), app.create_response.Describe());
    ScheduleClient sc(*tock);
    sc.MustCreate(app, WeeklyScheduleBody("fortnightly report"));
    ApiResponse task = api.CreateTask(app, {.task_no = "invoice-42",
                                            .runtime = RuntimeJson(WallNowMs() + 3'600'000)});
    REQUIRE_MESSAGE(task.status == 200, task.Describe());
    const int64_t task_id = task.Int("/data/taskId");
    // Deliveries for the overview, and one that fails (its receiver answers 500, no retry)
    // for the attempt timeline.
    // A task whose data says "flaky" fails its first attempt only: the receiver is down,
    // then back (the browser's task, created through the application it makes).
    rx.SetReplyFunction([](const ReceivedRequest& q) {
      if (q.body.find("\"fail\"") != std::string::npos) {
        return Reply{.status = 500, .body = "receiver down for maintenance"};
      }
      if (q.body.find("\"flaky\"") != std::string::npos &&
          q.body.find("\"attempt\":1,") != std::string::npos) {
        return Reply{.status = 503, .body = "receiver restarting"};
      }
      return Reply{};
    });
    for (int i = 0; i < 3; ++i) {
      ApiResponse r = api.CreateTask(app, {.runtime = RuntimeJson(WallNowMs())});
      REQUIRE_MESSAGE(r.status == 200, r.Describe());
      // Delivered before the pages read them (the task list filters on success).
      REQUIRE(api.WaitForStatus(app, r.Int("/data/taskId"), 2, 60s).Int("/data/status") == 2);
    }
    ApiResponse failing = api.CreateTask(app, {.task_no = "refund-7",
                                               .runtime = RuntimeJson(WallNowMs()),
                                               .content = R"({"fail":true,"refund":7})"});
    REQUIRE_MESSAGE(failing.status == 200, failing.Describe());
    const int64_t failed_id = failing.Int("/data/taskId");
    REQUIRE(api.WaitForStatus(app, failed_id, 4, 60s).Int("/data/status") == 4);

    JsonWriter w;
    w.BeginObject();
    w.Key("base"); w.String(tock->base_url());
    w.Key("token"); w.String(tock->admin_token());
    w.Key("chromium"); w.String(kChromium);
    w.Key("screenshots"); w.String(ScreenshotDir());
    w.Key("receiver"); w.String(rx.Url());
    w.Key("schedule_app"); w.String(app.app_key);
    w.Key("schedule_words"); w.String(kWeeklyWords);
    w.Key("task_app"); w.String(app.app_key);
    w.Key("task_id"); w.Int(task_id);
    w.Key("failed_task_id"); w.Int(failed_id);
    w.EndObject();

    std::string output;
    const int rc = RunNodeScript("tests/integration_console/console_browser.mjs", w.str(), &output,
                                 std::chrono::seconds(480));
    MESSAGE("console in chromium:\n" << output);
    // Whatever happened, no browser outlives the test.
    const pid_t pid = PidAfter(output, "chromium_pid ");
    if (pid > 0 && ::kill(pid, 0) == 0 && IsChromium(pid)) {
      ::kill(pid, SIGKILL);
      FAIL_CHECK("chromium " << pid << " was still running after the script");
    }
    CHECK(pid > 0);
    CHECK(output.find("chromium_stopped ") != std::string::npos);
    REQUIRE_MESSAGE(rc == 0, output);
    CHECK(output.find("ok all") != std::string::npos);
    // The application the browser made is there, paused and resumed, with its new settings.
    ApiResponse apps = api.Get("/admin/apps", AdminHeaders(*tock));
    CHECK(apps.Size("/data/apps") == 2);
    CHECK(apps.Int("/data/apps/1/parallelism") == 7);
    CHECK(apps.Str("/data/apps/1/timeZone") == "Asia/Tokyo");
    CHECK_FALSE(apps.Bool("/data/apps/1/paused", true));
  }
}

}  // namespace tock::testing
