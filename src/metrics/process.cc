#include "metrics/process.h"

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace tock::metrics {

namespace {
double StartTimeSeconds() {
  std::ifstream stat_in("/proc/self/stat");
  std::string line;
  if (!std::getline(stat_in, line)) return 0;
  // The command name (field 2) may hold spaces; fields after its closing ')' are plain.
  size_t close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  // After ')': field 3 (state) is index 0; starttime is field 22, index 19.
  unsigned long long ticks = 0;
  for (int i = 0; i <= 19 && rest >> field; ++i) {
    if (i == 19) ticks = std::stoull(field);
  }
  std::ifstream boot_in("/proc/stat");
  unsigned long long btime = 0;
  while (std::getline(boot_in, line)) {
    if (line.rfind("btime ", 0) == 0) {
      btime = std::stoull(line.substr(6));
      break;
    }
  }
  long hz = sysconf(_SC_CLK_TCK);
  if (btime == 0 || hz <= 0) return 0;
  return static_cast<double>(btime) + static_cast<double>(ticks) / static_cast<double>(hz);
}
}  // namespace

ProcessFigures ReadProcessFigures() {
  ProcessFigures f;
  std::ifstream statm("/proc/self/statm");
  unsigned long long size = 0, resident = 0;
  if (statm >> size >> resident) {
    f.resident_bytes = resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  }
  try {
    f.start_time_s = StartTimeSeconds();
  } catch (...) {  // std::stoull on a malformed /proc line: leave 0
    f.start_time_s = 0;
  }
  if (DIR* d = opendir("/proc/self/fd")) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') ++f.open_fds;
    }
    closedir(d);
    if (f.open_fds > 0) --f.open_fds;  // the directory stream's own descriptor
  }
  return f;
}

}  // namespace tock::metrics
