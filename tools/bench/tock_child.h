// TockChild: one `tock serve --listen 127.0.0.1:0 --data <dir>/data` child of the benchmark.
// Owns a temp dir (data dir + one log file per start) and the child process; the destructor
// stops a running child (SIGTERM, then SIGKILL after 10 s) and deletes the temp dir, unless
// TOCK_BENCH_KEEP=1 (the path is printed then).
//
//   TockChild tock(binary, token, extra_args);
//   std::string err;
//   if (!tock.Start(30000, &err)) ...        // event=listening, then GET /readyz == 200
//   tock.start_to_ready_ms();                  // exec (fork) to the first /readyz 200
//   tock.Terminate(30000);                     // SIGTERM; restart with Start() on the same data
//
// The child gets PR_SET_PDEATHSIG(SIGKILL), so a crashed driver takes tock with it.
// REQUIRES: Start() from the main thread (the death signal fires when the forking thread
// exits).
// Thread-safety: none; the driver's main thread owns it.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace tock::bench {

class TockChild {
 public:
  TockChild(std::string binary, std::string admin_token, std::vector<std::string> extra_args);
  ~TockChild();
  TockChild(const TockChild&) = delete;
  TockChild& operator=(const TockChild&) = delete;

  bool Start(int64_t timeout_ms, std::string* error);
  // SIGTERM, wait up to timeout_ms, then SIGKILL. Returns the exit code, 128+signal, or -1
  // if it had to be killed (or was not running).
  int Terminate(int64_t timeout_ms);
  bool running();

  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  const std::string& admin_token() const { return admin_token_; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& log_path() const { return log_path_; }
  bool temp_ok() const { return !temp_dir_.empty(); }
  double start_to_ready_ms() const { return start_to_ready_ms_; }
  double start_to_listen_ms() const { return start_to_listen_ms_; }
  std::string LogTail(size_t max_bytes = 3000) const;
  // Lines of the current log that contain `needle`.
  int64_t CountLogLines(const std::string& needle) const;

 private:
  std::string binary_;
  std::string admin_token_;
  std::vector<std::string> extra_args_;
  std::string temp_dir_;
  std::string data_dir_;
  std::string log_path_;
  pid_t pid_ = -1;
  int port_ = 0;
  int starts_ = 0;
  double start_to_ready_ms_ = 0;
  double start_to_listen_ms_ = 0;
};

}  // namespace tock::bench
