// Descriptors and files against the real binary: a low open-file limit (ulimit -n in a child
// shell) with a crowd of idle clients must not fail due callbacks; what tock writes in its
// data directory is readable by its owner only, whatever the umask; a short admin token is
// refused at start.
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "http/raw_client.h"
#include "integration/integration_util.h"

namespace tock::testing {
namespace {

// A script that runs tock with a lower open-file limit and a permissive umask, the way a
// careless init script would.
std::string WrapperScript(const std::string& dir, const std::string& prologue) {
  const std::string path = dir + "/tock-wrapper.sh";
  std::ofstream f(path);
  f << "#!/bin/sh\n" << prologue << "\nexec '" << TOCK_BINARY << "' \"$@\"\n";
  f.close();
  ::chmod(path.c_str(), 0755);
  return path;
}

unsigned Mode(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0xffff;
}

}  // namespace

TEST_SUITE("Descriptors") {
  TEST_CASE("ulimit -n 200 and 260 idle clients: due callbacks still succeed at once") {
    const std::string dir = MakeTempDir("tock-it-fd-");
    REQUIRE_FALSE(dir.empty());
    TockProcess::Options o;
    o.binary = WrapperScript(dir, "ulimit -n 200");
    TockProcess tock(o);
    std::string err;
    REQUIRE_MESSAGE(tock.Start(&err), err);
    ApiClient api(tock);  // its connection is open before the crowd comes
    Receiver rx;
    App app = api.CreateApp(rx.Url(), {.step = 1, .retry_total = 3});
    REQUIRE(app.ok());
    std::vector<std::unique_ptr<http::testing::RawClient>> crowd;
    for (int i = 0; i < 260; ++i) {
      crowd.push_back(std::make_unique<http::testing::RawClient>(tock.port(), 500));
    }
    std::vector<int64_t> ids;
    for (int i = 0; i < 5; ++i) {
      ApiResponse r = api.CreateTask(app, {.task_no = "fd-" + std::to_string(i)});
      REQUIRE_MESSAGE(r.status == 200, r.Describe());
      ids.push_back(r.Int("/data/taskId"));
    }
    for (int64_t id : ids) {
      ApiResponse d = api.WaitForStatus(app, id, 2, 10s);
      INFO(d.Describe());
      CHECK(d.Int("/data/status") == 2);
      CHECK(d.Int("/data/round") == 1);  // the first attempt: none was spent on a local error
    }
    const std::string log = tock.ReadLog();
    CHECK(Contains(log, "event=file_limit soft=200"));
    CHECK(Contains(log, "event=file_limit.settings_lowered"));
    crowd.clear();
    tock.Terminate();
    std::filesystem::remove_all(dir);
  }

  TEST_CASE("data directory 0700 and its files 0600 under umask 022; readable ones are warned") {
    const std::string dir = MakeTempDir("tock-it-modes-");
    REQUIRE_FALSE(dir.empty());
    TockProcess::Options o;
    o.binary = WrapperScript(dir, "umask 022");
    o.admin_token_in_env = false;  // so admin.token is written
    TockProcess tock(o);
    std::string err;
    REQUIRE_MESSAGE(tock.Start(&err), err);
    CHECK(Mode(tock.data_dir()) == 0700);
    CHECK(Mode(tock.data_dir() + "/db") == 0700);
    CHECK(Mode(tock.data_dir() + "/admin.token") == 0600);
    int files = 0;
    for (const auto& e : std::filesystem::directory_iterator(tock.data_dir() + "/db")) {
      if (!e.is_regular_file()) continue;
      ++files;
      INFO(e.path());
      CHECK(Mode(e.path()) == 0600);
    }
    CHECK(files > 0);
    CHECK_FALSE(Contains(tock.ReadLog(), "data.readable_by_others"));
    // Opened up by hand: the next start says so.
    tock.Terminate();
    ::chmod(tock.data_dir().c_str(), 0755);
    REQUIRE_MESSAGE(tock.Start(&err), err);
    CHECK(Contains(tock.ReadLog(), "event=data.readable_by_others"));
    tock.Terminate();
    std::filesystem::remove_all(dir);
  }

  TEST_CASE("an admin token shorter than 32 characters is refused at start") {
    std::string out;
    const int rc = RunProcess({TOCK_BINARY, "serve", "--config", "", "--data",
                               "/nonexistent/never-created", "--admin-token", "short-token"},
                              &out);
    INFO(out);
    CHECK(rc == 2);
    CHECK(Contains(out, "setting 'admin-token'"));
    CHECK(Contains(out, "at least 32 characters"));
  }
}

}  // namespace tock::testing
