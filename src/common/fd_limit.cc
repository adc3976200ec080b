#include "common/fd_limit.h"

#include <sys/resource.h>

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

}  // namespace tock
