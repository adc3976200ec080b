// kill -9 at a random moment under load (issue 5, Faults): concurrent clients create tasks due
// within a few seconds (half W1-style, all due at one instant; half W2-style, spread), tock is
// SIGKILLed at a random moment (while creating, while delivering, or after), then restarted on the
// same data dir. Every task that got a 200 must reach the receiver; a task may arrive twice only if
// its first delivery was before the kill (in flight, or its outcome not yet written); the repeat
// carries the same webhook-id. No task may arrive early.
//
// One tock serves all rounds (each round kills and restarts it), so rounds also cover restarts on a
// data dir with history. Runs on the calling thread, which must outlive tock (TockProcess's
// REQUIRES).
#pragma once

#include <vector>

#include "scenario.h"

namespace tock::faults {

struct Kill9Options {
  CommonOptions common;
  int rounds = 10;
  int clients = 32;                    // concurrent keep-alive creators
  int64_t tasks_per_round = 20000;     // upper bound; creating stops at the kill
  int64_t lead_ms = 1500;              // the burst is due this long after the round starts
  int64_t spread_ms = 3000;            // spread tasks are due over [0, spread_ms) from creation
  int64_t kill_min_ms = 100;           // the kill comes uniformly in [kill_min_ms, kill_max_ms]
  int64_t kill_max_ms = 4000;          //   after the round starts
  int64_t deliver_timeout_ms = 60000;  // after restart, for every acked task to arrive
};

// One ScenarioResult per round ("kill9 round k/N").
std::vector<ScenarioResult> RunKill9(const Kill9Options& opts);

}  // namespace tock::faults
