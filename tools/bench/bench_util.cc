#include "bench_util.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <httplib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

namespace tock::bench {
namespace {

std::atomic<bool> g_cancelled{false};

void OnSignal(int) { g_cancelled.store(true); }

int64_t ReadUs(clockid_t id) {
  timespec ts;
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

}  // namespace

int64_t WallNowUs() { return ReadUs(CLOCK_REALTIME); }
int64_t MonoNowUs() { return ReadUs(CLOCK_MONOTONIC); }

std::string Rfc3339Ms(int64_t unix_ms) {
  time_t secs = static_cast<time_t>(unix_ms / 1000);
  tm t;
  gmtime_r(&secs, &t);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900,
                t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                static_cast<int>(unix_ms % 1000));
  return buf;
}

bool Cancelled() { return g_cancelled.load(std::memory_order_relaxed); }

void InstallCancelHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

bool SleepMs(int64_t ms) {
  const int64_t end = MonoNowUs() + ms * 1000;
  while (!Cancelled()) {
    int64_t left = end - MonoNowUs();
    if (left <= 0) return true;
    std::this_thread::sleep_for(std::chrono::microseconds(std::min<int64_t>(left, 20000)));
  }
  return false;
}

int64_t StatusValue(pid_t pid, const char* name) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  const size_t n = std::strlen(name);
  while (std::getline(in, line)) {
    if (line.compare(0, n, name) == 0 && line.size() > n && line[n] == ':') {
      return std::strtoll(line.c_str() + n + 1, nullptr, 10);
    }
  }
  return -1;
}

double RssMiB(pid_t pid) {
  int64_t kb = StatusValue(pid, "VmRSS");
  return kb < 0 ? -1 : static_cast<double>(kb) / 1024.0;
}

double PeakRssMiB(pid_t pid) {
  int64_t kb = StatusValue(pid, "VmHWM");
  return kb < 0 ? -1 : static_cast<double>(kb) / 1024.0;
}

double CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces; fields after the last ')' are plain.
  size_t close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(text.substr(close + 2));
  std::string f;
  int64_t utime = 0, stime = 0;
  // Fields from 3 (state) on; utime is field 14, stime 15.
  for (int i = 3; i <= 15 && (fields >> f); ++i) {
    if (i == 14) utime = std::strtoll(f.c_str(), nullptr, 10);
    if (i == 15) stime = std::strtoll(f.c_str(), nullptr, 10);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double LoadAvg1() {
  std::ifstream in("/proc/loadavg");
  double v = -1;
  in >> v;
  return v;
}

double DiskUsageMiB(const std::string& dir, double* apparent_mib) {
  namespace fs = std::filesystem;
  std::error_code ec;
  int64_t blocks = 0, bytes = 0;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    struct stat st;
    if (lstat(it->path().c_str(), &st) != 0) continue;
    blocks += st.st_blocks;
    if (S_ISREG(st.st_mode)) bytes += st.st_size;
  }
  if (apparent_mib) *apparent_mib = static_cast<double>(bytes) / (1024.0 * 1024.0);
  return static_cast<double>(blocks) * 512.0 / (1024.0 * 1024.0);
}

std::string ArgValue(int argc, char** argv, int* i, const char* prog, const char* usage) {
  if (*i + 1 >= argc) {
    std::fprintf(stderr, "%s: %s needs a value\n%s", prog, argv[*i], usage);
    std::exit(2);
  }
  return argv[++*i];
}

bool CheckExecutable(const char* prog, const std::string& path) {
  if (access(path.c_str(), X_OK) == 0) return true;
  std::fprintf(stderr, "%s: %s is not an executable (build it first)\n", prog, path.c_str());
  return false;
}

double Percentile(const std::vector<double>& sorted, double pct) {
  if (sorted.empty()) return 0;
  // Nearest rank: the smallest value with at least pct% of values at or below it.
  size_t rank = static_cast<size_t>(std::ceil(pct / 100.0 * static_cast<double>(sorted.size())));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2.0;
}

bool FindJsonInt(std::string_view json, std::string_view key, int64_t* out) {
  std::string needle = "\"" + std::string(key) + "\":";
  size_t pos = json.find(needle);
  if (pos == std::string_view::npos) return false;
  pos += needle.size();
  while (pos < json.size() && json[pos] == ' ') ++pos;
  bool neg = pos < json.size() && json[pos] == '-';
  if (neg) ++pos;
  if (pos >= json.size() || json[pos] < '0' || json[pos] > '9') return false;
  int64_t v = 0;
  while (pos < json.size() && json[pos] >= '0' && json[pos] <= '9') {
    v = v * 10 + (json[pos++] - '0');
  }
  *out = neg ? -v : v;
  return true;
}

bool FindJsonString(std::string_view json, std::string_view key, std::string* out) {
  std::string needle = "\"" + std::string(key) + "\":\"";
  size_t pos = json.find(needle);
  if (pos == std::string_view::npos) return false;
  pos += needle.size();
  size_t end = json.find('"', pos);
  if (end == std::string_view::npos) return false;
  *out = std::string(json.substr(pos, end - pos));
  return true;
}

void PhaseStats::RecordError(const std::string& text) {
  bool expected = false;
  if (has_error.compare_exchange_strong(expected, true)) first_error = text;
}

}  // namespace tock::bench
