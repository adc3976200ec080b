// TockProcess: runs the real `tock serve` binary as a child process on loopback, for the
// integration tests and tools/bench. Owns a temp directory (data dir + one stderr log per
// start) and the child; the destructor stops a child still running (SIGKILL, or SIGTERM first
// when Options::destroy_grace > 0) and deletes the temp directory (set TOCK_IT_KEEP=1, or
// Options::keep_env_var, in the environment to keep it for post-mortems; the path is printed).
//
//   TockProcess tock({.binary = TOCK_BINARY});
//   std::string error;
//   REQUIRE_MESSAGE(tock.Start(&error), error);   // waits for event=listening and /readyz
//   ... tock.port(), tock.base_url(), tock.admin_token() ...
//   tock.Kill9();  tock.Start(&error);            // restart on the same data dir
//   tock.Restart(&error);                         // the same in one call
//   int rc = tock.Terminate();                    // SIGTERM; the exit code
//
// Start() forks with PR_SET_PDEATHSIG(SIGKILL), so a crashed test binary takes its servers
// with it. The death signal fires when the *thread* that forked exits.
// REQUIRES: Start() is called from a thread that outlives the child (the test's or the
// bench's main thread).
//
// Thread-safety: none; one thread drives a TockProcess.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace tock::testing {

// Creates a fresh directory "<TMPDIR or /tmp>/<prefix>XXXXXX"; empty string on failure.
std::string MakeTempDir(const std::string& prefix);

// Runs argv to completion (stdin /dev/null), capturing stdout and stderr together.
// Returns the exit code (128+signal if killed by a signal, -1 if it could not start or ran
// longer than `timeout`, in which case it is killed).
int RunProcess(const std::vector<std::string>& argv, std::string* output,
               std::chrono::milliseconds timeout = std::chrono::seconds(20));

class TockProcess {
 public:
  struct Options {
    std::string binary;                   // path of the tock executable (TOCK_BINARY)
    std::string admin_token;              // empty: a random 32-char token
    // false: TOCK_ADMIN_TOKEN is not set, so tock generates <data>/admin.token; Start() then
    // reads admin_token() from that file.
    bool admin_token_in_env = true;
    std::vector<std::string> extra_args;  // appended after `serve --listen --data`
    std::string listen = "127.0.0.1:0";   // port 0: the kernel picks a free port
    std::chrono::milliseconds ready_timeout = std::chrono::seconds(10);
    // How often Start() looks at the log and asks /readyz (the granularity of the
    // start_to_*_ms() figures).
    std::chrono::milliseconds poll_interval = std::chrono::milliseconds(5);
    std::string temp_prefix = "tock-it-";     // the temp dir is <TMPDIR>/<prefix>XXXXXX
    std::string keep_env_var = "TOCK_IT_KEEP";  // set to non-"0": keep the temp dir
    // 0: the destructor SIGKILLs a running child; else it SIGTERMs and waits this long first.
    std::chrono::milliseconds destroy_grace = std::chrono::milliseconds(0);
    // If set and it returns true, Start() stops waiting and fails ("cancelled").
    std::function<bool()> cancelled;
  };

  explicit TockProcess(Options options);
  ~TockProcess();
  TockProcess(const TockProcess&) = delete;
  TockProcess& operator=(const TockProcess&) = delete;

  // Spawns `tock serve` on this object's data dir, waits until the stderr log shows
  // `event=listening addr=...:<port>` and GET /readyz answers 200. On failure returns false,
  // fills *error (with the log's tail) and leaves no child running.
  // REQUIRES: !running().
  bool Start(std::string* error);

  // SIGKILL and reap. No-op if not running.
  void Kill9();

  // Kill9() if still running, then Start() again on the same data dir (a new port).
  bool Restart(std::string* error);

  // SIGTERM, then waits up to `timeout` for the exit; SIGKILL after it. Returns the exit code, 128+signal if
  // it died of a signal, or -1 if it had to be SIGKILLed after the timeout (or was not running).
  int Terminate(std::chrono::milliseconds timeout = std::chrono::seconds(15));

  // True while the child has not exited (reaps it if it has).
  bool running();

  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  const std::string& host() const { return host_; }
  std::string base_url() const;  // "http://127.0.0.1:<port>"
  const std::string& admin_token() const { return admin_token_; }
  std::string admin_token_path() const { return data_dir_ + "/admin.token"; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& temp_dir() const { return temp_dir_; }
  // The stderr (and stdout) log of the latest start; each start gets its own file.
  const std::string& stderr_path() const { return stderr_path_; }
  std::string ReadLog() const;  // contents of stderr_path()
  // "--- <stderr_path> ---\n" and the last max_bytes of the log.
  std::string LogTail(size_t max_bytes = 4000) const;
  int starts() const { return starts_; }
  // Of the latest successful Start(): ms from the fork to the event=listening line, and to
  // the first 200 from /readyz.
  double start_to_listen_ms() const { return start_to_listen_ms_; }
  double start_to_ready_ms() const { return start_to_ready_ms_; }

 private:
  bool WaitForPort(std::chrono::steady_clock::time_point deadline, std::string* error);
  bool WaitForReady(std::chrono::steady_clock::time_point deadline, std::string* error);
  // True (with *error set) when Options::cancelled says so.
  bool CancelledNow(std::string* error) const;

  Options options_;
  std::string admin_token_;
  std::string temp_dir_;
  std::string data_dir_;
  std::string stderr_path_;
  std::string host_ = "127.0.0.1";
  pid_t pid_ = -1;
  int port_ = 0;
  int starts_ = 0;
  double start_to_listen_ms_ = 0;
  double start_to_ready_ms_ = 0;
};

}  // namespace tock::testing
