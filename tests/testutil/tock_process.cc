// DESIGN: the child is started with fork+execve (argv and envp are built before the fork, so
// the child only calls async-signal-safe functions). Its stderr and stdout go to a file in the
// temp dir; readiness is found by polling that file for the `event=listening` line (which
// carries the port the kernel chose) and then polling GET /readyz. Both polls are bounded by
// Options::ready_timeout and stop early when the child exits or Options::cancelled says so.
#include "testutil/tock_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <httplib.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "auth/signing.h"

extern char** environ;

namespace tock::testing {
namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Owned copies of argv/envp as the char* arrays execve wants.
struct ExecArgs {
  std::vector<std::string> storage_argv, storage_envp;
  std::vector<char*> argv, envp;
  void Finish() {
    for (auto& s : storage_argv) argv.push_back(s.data());
    argv.push_back(nullptr);
    for (auto& s : storage_envp) envp.push_back(s.data());
    envp.push_back(nullptr);
  }
};

}  // namespace

std::string MakeTempDir(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/" + prefix + "XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) return "";
  return std::string(buf.data());
}

int RunProcess(const std::vector<std::string>& argv_in, std::string* output,
               std::chrono::milliseconds timeout) {
  ExecArgs args;
  args.storage_argv = argv_in;
  for (char** e = environ; *e; ++e) args.storage_envp.emplace_back(*e);
  args.Finish();
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return -1;
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return -1;
  }
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    execvpe(args.argv[0], args.argv.data(), args.envp.data());
    _exit(127);
  }
  close(fds[1]);
  fcntl(fds[0], F_SETFL, O_NONBLOCK);
  auto deadline = Clock::now() + timeout;
  std::string out;
  char buf[4096];
  bool eof = false;
  while (!eof) {
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) break;
    if (errno != EAGAIN && errno != EINTR) break;
    if (Clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      close(fds[0]);
      if (output) *output = out + "\n[killed after timeout]";
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (output) *output = out;
  return DecodeWaitStatus(status);
}

TockProcess::TockProcess(Options options) : options_(std::move(options)) {
  admin_token_ = options_.admin_token.empty() ? RandomAlnum(32) : options_.admin_token;
  temp_dir_ = MakeTempDir(options_.temp_prefix);
  data_dir_ = temp_dir_ + "/data";
}

TockProcess::~TockProcess() {
  if (options_.destroy_grace.count() > 0 && running()) Terminate(options_.destroy_grace);
  Kill9();
  if (temp_dir_.empty()) return;
  const char* keep = std::getenv(options_.keep_env_var.c_str());
  if (keep && *keep && std::string(keep) != "0") {
    std::fprintf(stderr, "%s: kept %s\n", options_.keep_env_var.c_str(), temp_dir_.c_str());
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(temp_dir_, ec);
}

std::string TockProcess::base_url() const {
  return "http://" + host_ + ":" + std::to_string(port_);
}

std::string TockProcess::ReadLog() const { return ReadFile(stderr_path_); }

std::string TockProcess::LogTail(size_t max_bytes) const {
  std::string log = ReadLog();
  if (log.size() > max_bytes) log = "..." + log.substr(log.size() - max_bytes);
  return "--- " + stderr_path_ + " ---\n" + log;
}

bool TockProcess::CancelledNow(std::string* error) const {
  if (!options_.cancelled || !options_.cancelled()) return false;
  *error = "cancelled";
  return true;
}

bool TockProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_ || (r < 0 && errno == ECHILD)) {
    pid_ = -1;
    return false;
  }
  return true;
}

bool TockProcess::Start(std::string* error) {
  std::string ignored;
  if (!error) error = &ignored;
  if (temp_dir_.empty()) {
    *error = "could not create a temp dir";
    return false;
  }
  if (running()) {
    *error = "already running";
    return false;
  }
  ++starts_;
  port_ = 0;
  stderr_path_ = temp_dir_ + "/stderr-" + std::to_string(starts_) + ".log";
  int log_fd = open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    *error = "cannot open " + stderr_path_ + ": " + std::strerror(errno);
    return false;
  }

  ExecArgs args;
  // --config "": no config file, so an installed /etc/tock/tock.toml cannot change a test.
  args.storage_argv = {options_.binary, "serve", "--config", "", "--listen", options_.listen,
                       "--data", data_dir_};
  for (const auto& a : options_.extra_args) args.storage_argv.push_back(a);
  for (char** e = environ; *e; ++e) {
    std::string_view kv(*e);
    // The test decides these; an outer environment must not leak in.
    if (kv.starts_with("TOCK_ADMIN_TOKEN=") || kv.starts_with("TOCK_LISTEN=") ||
        kv.starts_with("TOCK_DATA=") || kv.starts_with("TOCK_CONFIG=")) {
      continue;
    }
    args.storage_envp.emplace_back(kv);
  }
  if (options_.admin_token_in_env) {
    args.storage_envp.push_back("TOCK_ADMIN_TOKEN=" + admin_token_);
  }
  args.Finish();

  pid_t parent = getpid();
  const auto t0 = Clock::now();
  pid_t pid = fork();
  if (pid < 0) {
    close(log_fd);
    *error = std::string("fork: ") + std::strerror(errno);
    return false;
  }
  if (pid == 0) {
    // Async-signal-safe calls only from here on.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(126);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    execve(args.argv[0], args.argv.data(), args.envp.data());
    _exit(127);
  }
  close(log_fd);
  pid_ = pid;

  auto deadline = t0 + options_.ready_timeout;
  bool ready = WaitForPort(deadline, error);
  if (ready) {
    start_to_listen_ms_ = MsSince(t0);
    ready = WaitForReady(deadline, error);
  }
  if (!ready) {
    Kill9();
    *error += "\n" + LogTail();
    return false;
  }
  start_to_ready_ms_ = MsSince(t0);
  if (!options_.admin_token_in_env) {
    std::string token = ReadFile(admin_token_path());
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
      token.pop_back();
    }
    admin_token_ = token;
  }
  return true;
}

bool TockProcess::WaitForPort(Clock::time_point deadline, std::string* error) {
  while (true) {
    std::string log = ReadLog();
    size_t pos = 0;
    while ((pos = log.find("event=listening", pos)) != std::string::npos) {
      size_t bol = log.rfind('\n', pos);
      bol = bol == std::string::npos ? 0 : bol + 1;
      size_t eol = log.find('\n', pos);
      if (eol == std::string::npos) break;  // line not complete yet
      std::string line = log.substr(bol, eol - bol);
      size_t a = line.find("addr=");
      if (a != std::string::npos) {
        size_t end = line.find(' ', a);
        std::string addr = line.substr(a + 5, end == std::string::npos ? end : end - a - 5);
        if (!addr.empty() && addr.front() == '"') addr = addr.substr(1);
        if (!addr.empty() && addr.back() == '"') addr.pop_back();
        size_t colon = addr.rfind(':');
        if (colon != std::string::npos) {
          port_ = std::atoi(addr.c_str() + colon + 1);
          if (port_ > 0) return true;
        }
      }
      pos = eol;
    }
    if (!running()) {
      *error = "tock exited before logging event=listening";
      return false;
    }
    if (Clock::now() > deadline) {
      *error = "no event=listening line within the start timeout";
      return false;
    }
    if (CancelledNow(error)) return false;
    std::this_thread::sleep_for(options_.poll_interval);
  }
}

bool TockProcess::WaitForReady(Clock::time_point deadline, std::string* error) {
  httplib::Client cli(host_, port_);
  cli.set_tcp_nodelay(true);
  cli.set_connection_timeout(std::chrono::milliseconds(500));
  cli.set_read_timeout(std::chrono::seconds(2));
  int last = 0;
  while (true) {
    auto res = cli.Get("/readyz");
    if (res && res->status == 200) return true;
    if (res) last = res->status;
    if (!running()) {
      *error = "tock exited before /readyz answered 200";
      return false;
    }
    if (Clock::now() > deadline) {
      *error = "GET /readyz did not answer 200 within the start timeout (last status " +
               std::to_string(last) + ")";
      return false;
    }
    if (CancelledNow(error)) return false;
    std::this_thread::sleep_for(options_.poll_interval);
  }
}

void TockProcess::Kill9() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

bool TockProcess::Restart(std::string* error) {
  Kill9();
  return Start(error);
}

int TockProcess::Terminate(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  auto deadline = Clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return DecodeWaitStatus(status);
    }
    if (r < 0 && errno != EINTR) {
      pid_ = -1;
      return -1;
    }
    if (Clock::now() > deadline) {
      Kill9();
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace tock::testing
