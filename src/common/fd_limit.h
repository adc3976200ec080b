// The process's limit on open file descriptors.
//
// tock holds a descriptor per HTTP connection, per callback connection and per RocksDB file;
// the default soft limit (often 1024) would make a few thousand callbacks in flight fail.
// So at start the soft limit is raised to the hard limit (which an unprivileged process may
// do), and what was obtained is logged and planned with.
//
// Thread-safety: call once at start, before other threads open descriptors.
#pragma once

#include <cstdint>

namespace tock {

struct FileLimit {
  uint64_t before = 0;  // the soft limit found
  uint64_t soft = 0;    // the soft limit now
  uint64_t hard = 0;
};

// Raises the soft RLIMIT_NOFILE to the hard limit (capped at `cap`, since some systems set
// the hard limit to "unlimited"). Never lowers it.
FileLimit RaiseFileLimit(uint64_t cap = 1u << 20);

}  // namespace tock
