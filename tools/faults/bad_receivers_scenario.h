// Bad receivers (issue 5, Faults): applications whose receivers hang, reset, trickle,
// answer 503, answer garbage, redirect, or answer 100 MiB, next to one application whose
// receiver is healthy. Promises checked:
// - the healthy application's tasks are all delivered; their rate as a ratio of their rate
//   with no bad receivers around is reported (rate_ratio), and tock_faults checks the
//   median of several runs against its --min-ratio (one run's ratio is too noisy to judge);
// - while the hanging receivers still hold their connections (hang_timeout_ms), the healthy
//   tasks are done (no worker starvation);
// - tock's RSS stays under max_rss_mib;
// - every attempt on a bad receiver is recorded as a failure and retried per the retry
//   policy (status failed, retry_total + 1 attempts, none a success); redirects are not
//   followed.
#pragma once

#include "scenario.h"

namespace tock::faults {

struct BadReceiversOptions {
  CommonOptions common;
  int64_t healthy_tasks = 20000;    // per phase (baseline, then among bad receivers)
  int64_t bad_tasks_per_app = 200;  // per receiver that fails fast (reset, 5xx,
                                    // garbage, redirect, huge)
  // Per receiver that holds a worker until the timeout (hang, slow): more than an application's
  // slots, so that without a per-receiver bound they would hold every worker.
  int64_t hold_tasks_per_app = 36;
  int64_t hang_timeout_ms = 5000;  // task timeout on the hang and slow receivers
  int64_t bad_timeout_ms = 2000;   // task timeout on the other bad receivers
  int64_t retry_total = 1;         // of the bad applications (step 1 s)
  int64_t detail_sample = 20;      // bad tasks per receiver checked via /task/detail
  double max_rss_mib = 512;
  int64_t deliver_timeout_ms = 60000;
};

ScenarioResult RunBadReceivers(const BadReceiversOptions& opts);

}  // namespace tock::faults
