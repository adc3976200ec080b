// Disk full (issue 5, Faults): tock's data dir on a small tmpfs (TmpfsMount: root or
// passwordless sudo; without either the scenario FAILS, it never passes unrun). A filler
// file takes most of the space, then clients create tasks with large contents, due a few
// seconds later, until creates are refused. Promises checked:
// - the refusal is HTTP 503 and its message names the cause (disk full / no space);
// - while full: tock stays up, keeps answering reads (/task/detail, /healthz), every create
//   is 200 or such a 503 (never a 500 or a dropped connection), /readyz says 503
//   storage_unavailable;
// - once the filler is deleted, creates succeed again within recover_timeout_ms, without a
//   restart (same pid), and /readyz is 200 again;
// - every acked task is delivered, and ends in state success (its outcome recorded, also for
//   tasks whose delivery happened while the disk was full).
#pragma once

#include "scenario.h"

namespace tock::faults {

struct DiskFullOptions {
  CommonOptions common;
  int64_t tmpfs_bytes = 128LL << 20;
  int64_t leave_free_bytes = 6LL << 20;  // the filler leaves this much for tock to fill
  int64_t content_bytes = 16 << 10;      // padding per task
  int clients = 4;
  int64_t max_tasks = 50000;    // the disk must fill before this many creates
  int64_t due_in_ms = 1500;     // tasks come due while the disk is (still) full
  int64_t full_hold_ms = 3000;  // how long the disk stays full
  int64_t recover_timeout_ms = 20000;
  int64_t deliver_timeout_ms = 60000;
};

ScenarioResult RunDiskFull(const DiskFullOptions& opts);

}  // namespace tock::faults
