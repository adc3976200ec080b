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

#include <chrono>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "arrival_check.h"
#include "creators.h"
#include "recorder.h"
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

// The load and the kill of one round, shared with nodes-kill9: creators over `ports` make the
// mixed load (MixedLoadTask, taskNo "<prefix>-<i>", the burst due lead_ms after the round
// began), `kill` comes at a moment drawn from rng in [kill_min_ms, kill_max_ms], the load goes
// on after_kill_ms more (creators of a dead node stop at once) and then stops.
struct KilledLoad {
  std::unique_ptr<Creators> load;  // stopped: its answers are final
  int64_t t0 = 0;                  // wall ms the round began
  int64_t kill_wall = 0;           // wall ms just after the kill
};
KilledLoad LoadAndKill(const Kill9Options& o, std::vector<int> ports,
                       const std::string& admin_token, const testing::App& app,
                       const std::string& prefix, std::mt19937_64& rng,
                       const std::function<void()>& kill, int64_t after_kill_ms);

// The verdict of a killed round: waits up to `timeout` for every task k acked, 1 s more for
// late repeats, then checks the arrivals against the kill (arrival_check.h) into res
// (kill_at, the check's figures with evidence() on a loss, delivered_before_kill) and the
// refusals of its creates. bad_ids_before: rx.bad_webhook_ids() before the round.
ArrivalCheck CheckKilledRound(const KilledLoad& k, const Recorder& rx, int64_t bad_ids_before,
                              std::chrono::milliseconds timeout, const CommonOptions& c,
                              const std::function<std::string()>& evidence, ScenarioResult* res);

}  // namespace tock::faults
