// Figures of this process read from /proc (Linux), for /metrics: resident memory and start
// time. Threads: any; each call reads /proc afresh (a few small reads, ~20 us).
#pragma once

#include <cstdint>

namespace tock::metrics {

struct ProcessFigures {
  uint64_t resident_bytes = 0;  // /proc/self/statm, 2nd field * page size
  double start_time_s = 0;      // Unix time of the start: /proc/stat btime + starttime ticks
  uint64_t open_fds = 0;        // entries of /proc/self/fd
};

// Fields it cannot read stay 0.
ProcessFigures ReadProcessFigures();

}  // namespace tock::metrics
