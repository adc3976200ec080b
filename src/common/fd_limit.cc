#include "common/fd_limit.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>

namespace tock {

FileLimit RaiseFileLimit(uint64_t cap) {
  FileLimit out;
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return out;
  out.before = lim.rlim_cur;
  out.hard = lim.rlim_max;
  const rlim_t want = std::min<rlim_t>(lim.rlim_max, std::max<rlim_t>(lim.rlim_cur, cap));
  if (want > lim.rlim_cur) {
    rlimit raised = lim;
    raised.rlim_cur = want;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  out.soft = lim.rlim_cur;
  return out;
}

DescriptorPlan PlanDescriptors(uint64_t limit, int64_t max_connections, int64_t max_in_flight,
                               bool embedded_store) {
  DescriptorPlan p;
  const int64_t total = static_cast<int64_t>(std::min<uint64_t>(limit, 1u << 30));
  p.rocksdb_files =
      embedded_store ? std::clamp<int64_t>(total / 4, 16, 1000) : kPostgresDescriptors;
  const int64_t budget = total - p.rocksdb_files - kReservedDescriptors;
  if (budget < 32) {
    p.ok = false;
    p.why = "the open-file limit is " + std::to_string(limit) + "; tock needs at least " +
            std::to_string(p.rocksdb_files + kReservedDescriptors + 32) +
            " (raise it: ulimit -n, or LimitNOFILE= in the systemd unit)";
    return p;
  }
  p.max_in_flight = max_in_flight;
  p.max_connections = max_connections;
  if (max_connections + max_in_flight > budget) {
    p.lowered = true;
    p.max_in_flight = std::min(max_in_flight, std::max<int64_t>(budget / 2, budget - max_connections));
    p.max_connections = std::min(max_connections, budget - p.max_in_flight);
  }
  return p;
}

uint64_t PlannedDescriptors(const DescriptorPlan& plan, uint64_t limit) {
  const int64_t all =
      plan.rocksdb_files + kReservedDescriptors + plan.max_connections + plan.max_in_flight;
  return std::min<uint64_t>(limit, static_cast<uint64_t>(std::max<int64_t>(all, 0)));
}

uint64_t ReserveDescriptorTable(uint64_t count) {
  if (count == 0) return 0;
  // A descriptor at the table's last wanted slot makes the kernel size the table for it in
  // one step; closing it leaves the table as it is.
  const int top = static_cast<int>(std::min<uint64_t>(count - 1, 1u << 30));
  const int any = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (any < 0) return 0;
  const int fd = ::fcntl(any, F_DUPFD_CLOEXEC, top);
  ::close(any);
  if (fd < 0) return 0;
  ::close(fd);
  return static_cast<uint64_t>(top) + 1;
}

}  // namespace tock
