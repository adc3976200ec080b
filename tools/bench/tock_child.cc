#include "tock_child.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <httplib.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "bench_util.h"

extern char** environ;

namespace tock::bench {
namespace {

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

// Port from the log's `event=listening addr=HOST:PORT` line; 0 if not there yet.
int ListeningPort(const std::string& log) {
  size_t pos = log.find("event=listening");
  if (pos == std::string::npos) return 0;
  size_t eol = log.find('\n', pos);
  if (eol == std::string::npos) return 0;  // line not complete yet
  std::string line = log.substr(pos, eol - pos);
  size_t addr = line.find("addr=");
  if (addr == std::string::npos) return 0;
  size_t end = line.find(' ', addr);
  std::string value = line.substr(addr + 5, end == std::string::npos ? end : end - addr - 5);
  if (!value.empty() && value.front() == '"') value = value.substr(1, value.size() - 2);
  size_t colon = value.rfind(':');
  return colon == std::string::npos ? 0 : std::atoi(value.c_str() + colon + 1);
}

}  // namespace

TockChild::TockChild(std::string binary, std::string admin_token,
                     std::vector<std::string> extra_args)
    : binary_(std::move(binary)),
      admin_token_(std::move(admin_token)),
      extra_args_(std::move(extra_args)) {
  temp_dir_ = MakeTempDir("tock-bench-");
  if (!temp_dir_.empty()) data_dir_ = temp_dir_ + "/data";
}

TockChild::~TockChild() {
  if (running()) Terminate(10000);
  const char* keep = std::getenv("TOCK_BENCH_KEEP");
  if (keep && *keep && std::string(keep) != "0") {
    std::fprintf(stderr, "TOCK_BENCH_KEEP: kept %s\n", temp_dir_.c_str());
    return;
  }
  RemoveTree(temp_dir_);
}

bool TockChild::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_ || (r < 0 && errno == ECHILD)) {
    pid_ = -1;
    return false;
  }
  return true;
}

std::string TockChild::LogTail(size_t max_bytes) const {
  std::string log = ReadFile(log_path_);
  if (log.size() > max_bytes) log = "..." + log.substr(log.size() - max_bytes);
  return "--- " + log_path_ + " ---\n" + log;
}

int64_t TockChild::CountLogLines(const std::string& needle) const {
  std::ifstream in(log_path_);
  std::string line;
  int64_t n = 0;
  while (std::getline(in, line)) {
    if (line.find(needle) != std::string::npos) ++n;
  }
  return n;
}

bool TockChild::Start(int64_t timeout_ms, std::string* error) {
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
  log_path_ = temp_dir_ + "/tock-" + std::to_string(starts_) + ".log";
  int log_fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    *error = "cannot open " + log_path_ + ": " + std::strerror(errno);
    return false;
  }
  // argv/envp are built before the fork: the child calls only async-signal-safe functions.
  std::vector<std::string> argv_s = {binary_, "serve", "--listen", "127.0.0.1:0", "--data",
                                     data_dir_};
  argv_s.insert(argv_s.end(), extra_args_.begin(), extra_args_.end());
  std::vector<std::string> envp_s;
  for (char** e = environ; *e; ++e) {
    std::string_view kv(*e);
    if (kv.starts_with("TOCK_ADMIN_TOKEN=") || kv.starts_with("TOCK_LISTEN=") ||
        kv.starts_with("TOCK_DATA=")) {
      continue;
    }
    envp_s.emplace_back(kv);
  }
  envp_s.push_back("TOCK_ADMIN_TOKEN=" + admin_token_);
  std::vector<char*> argv, envp;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  for (auto& s : envp_s) envp.push_back(s.data());
  envp.push_back(nullptr);

  const pid_t parent = getpid();
  const int64_t t0 = MonoNowUs();
  pid_t pid = fork();
  if (pid < 0) {
    close(log_fd);
    *error = std::string("fork: ") + std::strerror(errno);
    return false;
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(126);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(log_fd);
  pid_ = pid;

  const int64_t deadline = t0 + timeout_ms * 1000;
  // Poll the log for the port (the line comes once storage is open and the port is bound).
  while (port_ == 0) {
    port_ = ListeningPort(ReadFile(log_path_));
    if (port_ > 0) break;
    if (!running() || MonoNowUs() > deadline || Cancelled()) {
      *error = std::string(running() ? "no event=listening in time" : "tock exited") + "\n" +
               LogTail();
      Terminate(2000);
      return false;
    }
    usleep(1000);
  }
  start_to_listen_ms_ = static_cast<double>(MonoNowUs() - t0) / 1000.0;
  httplib::Client c("127.0.0.1", port_);
  c.set_connection_timeout(1, 0);
  c.set_read_timeout(2, 0);
  c.set_tcp_nodelay(true);
  c.set_keep_alive(true);
  while (true) {
    auto res = c.Get("/readyz");
    if (res && res->status == 200) break;
    if (!running() || MonoNowUs() > deadline || Cancelled()) {
      *error = std::string(running() ? "/readyz not 200 in time" : "tock exited") + "\n" +
               LogTail();
      Terminate(2000);
      return false;
    }
    usleep(1000);
  }
  start_to_ready_ms_ = static_cast<double>(MonoNowUs() - t0) / 1000.0;
  return true;
}

int TockChild::Terminate(int64_t timeout_ms) {
  if (!running()) return -1;
  kill(pid_, SIGTERM);
  const int64_t deadline = MonoNowUs() + timeout_ms * 1000;
  int status = 0;
  while (MonoNowUs() < deadline) {
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return DecodeWaitStatus(status);
    }
    if (r < 0 && errno != EINTR) {
      pid_ = -1;
      return -1;
    }
    usleep(2000);
  }
  kill(pid_, SIGKILL);
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  return -1;
}

}  // namespace tock::bench
