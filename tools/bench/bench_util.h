// Small pieces the benchmark driver shares (and tools/faults reuses): clocks, RFC 3339
// formatting, /proc readings of a process (RSS, CPU), a du-like walk, percentiles, a cancel flag
// set by SIGINT/SIGTERM, command-line helpers, and ClientPool, the 64 keep-alive HTTP clients
// that drive tock.
//
// Thread-safety: free functions are thread-safe; ClientPool::Run is called by one thread at a
// time (it fans out to its own threads).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace httplib {
class Client;
}

namespace tock::bench {

// Wall clock (CLOCK_REALTIME) in µs and ms; steady clock in µs.
int64_t WallNowUs();
inline int64_t WallNowMs() { return WallNowUs() / 1000; }
int64_t MonoNowUs();

// "2026-11-21T06:52:39.250Z" for unix ms.
std::string Rfc3339Ms(int64_t unix_ms);

// Set by SIGINT/SIGTERM (InstallCancelHandlers); every wait loop checks it.
bool Cancelled();
void InstallCancelHandlers();
// Sleeps up to ms, returning early (false) when cancelled.
bool SleepMs(int64_t ms);

// The first number of the line `name` ("VmRSS", "FDSize") of /proc/<pid>/status, as written
// (kB for the memory lines); -1 if the line or the file is missing.
int64_t StatusValue(pid_t pid, const char* name);
// From /proc/<pid>/status: VmRSS and VmHWM in MiB; -1 if unreadable.
double RssMiB(pid_t pid);
double PeakRssMiB(pid_t pid);
// utime + stime of the process (all its threads) in seconds, from /proc/<pid>/stat; -1 if
// unreadable.
double CpuSeconds(pid_t pid);

// The 1-minute load average (/proc/loadavg); the machine may be shared, so runs record it.
double LoadAvg1();

// Disk usage of a tree like `du -s` (allocated blocks), in MiB; apparent bytes in *apparent.
double DiskUsageMiB(const std::string& dir, double* apparent_mib = nullptr);

// Command-line helpers of the drivers; prog ("tock_bench") starts every message.
// The value after the option argv[*i], advancing *i to it. When there is none, prints
// "<prog>: <option> needs a value" and usage to stderr and exits 2.
std::string ArgValue(int argc, char** argv, int* i, const char* prog, const char* usage);
// True if path is executable; otherwise prints "<prog>: <path> is not an executable (build it
// first)" to stderr.
bool CheckExecutable(const char* prog, const std::string& path);

// Percentile (0..100) of sorted values by nearest rank; 0 for an empty vector.
double Percentile(const std::vector<double>& sorted, double pct);
double Median(std::vector<double> values);

// Finds the integer after `"key":` in json text (no nesting awareness; enough for tock's
// flat responses and callback bodies). Returns false if absent.
bool FindJsonInt(std::string_view json, std::string_view key, int64_t* out);
// Finds the string value after `"key":"`; no unescaping (keys and ids are alphanumeric).
bool FindJsonString(std::string_view json, std::string_view key, std::string* out);

// Outcome counters of one fan-out phase.
struct PhaseStats {
  std::atomic<int64_t> ok{0};          // requests answered 200 with "code":0
  std::atomic<int64_t> http_errors{0};  // any other answer
  std::atomic<int64_t> transport_errors{0};
  std::atomic<int64_t> tasks_created{0};
  std::string first_error;  // set once, under its own flag
  std::atomic<bool> has_error{false};
  void RecordError(const std::string& text);
};

}  // namespace tock::bench
