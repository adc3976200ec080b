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
#include <string>

namespace tock {

struct FileLimit {
  uint64_t before = 0;  // the soft limit found
  uint64_t soft = 0;    // the soft limit now
  uint64_t hard = 0;
};

// Raises the soft RLIMIT_NOFILE to the hard limit (capped at `cap`, since some systems set
// the hard limit to "unlimited"). Never lowers it.
FileLimit RaiseFileLimit(uint64_t cap = 1u << 20);

// How the descriptors under a limit are shared out: the store's (RocksDB's files, or the
// PostgreSQL pool's connections when embedded_store is false) and a fixed reserve (loops,
// eventfds, logs, the listener) come first; HTTP connections and callbacks in
// flight share the rest. Settings that do not fit are lowered (in-flight callbacks keep at
// least half of what is left), so an idle crowd of clients can never take the descriptors
// a due callback needs.
struct DescriptorPlan {
  bool ok = true;             // false: the limit is too low to run at all (why says so)
  std::string why;
  int64_t max_connections = 0;
  int64_t max_in_flight = 0;
  int64_t rocksdb_files = 0;  // RocksDB's max_open_files (the pool's share on PostgreSQL)
  bool lowered = false;       // a setting was lowered to fit
};
inline constexpr int64_t kReservedDescriptors = 64;
// The PostgreSQL store's share: its pool's connections (16) with room to spare.
inline constexpr int64_t kPostgresDescriptors = 32;
DescriptorPlan PlanDescriptors(uint64_t limit, int64_t max_connections, int64_t max_in_flight,
                               bool embedded_store = true);
// Every descriptor the plan may hold at once (capped by the limit).
uint64_t PlannedDescriptors(const DescriptorPlan& plan, uint64_t limit);

// Grows the kernel's descriptor table to hold `count` descriptors now (rounded up to a
// power of two by the kernel; never shrinks), and returns the table's size as far as is
// known (0 if it could not be grown). Why: the table starts at 64 entries and doubles when a
// new descriptor does not fit, and in a process with more than one thread each doubling
// waits for an RCU grace period (synchronize_rcu, 10-40 ms here) inside socket()/accept().
// A burst of a thousand callbacks to new connections met three of those: every callback
// thread stalled in socket() for ~90 ms in all (W4's fire lateness). Growing it once at start
// costs 8 bytes per descriptor (256 KiB under a limit of 20 000).
uint64_t ReserveDescriptorTable(uint64_t count);

}  // namespace tock
