// PostgreSQL stopped under load (issue 12): one tock node (or two, --nodes 2) on a cluster of
// the scenario's own, creators sending tasks due over the next few seconds through every
// node, so creates and deliveries are both running when `tools/pg.sh down` stops the
// database (fast shutdown). It stays down for `outage_ms` (default 10 s), then `up` starts
// it again on the same port, and the load goes on until the backlog has drained.
//
// Promises (violations): every create answered 200 reaches the receiver (before, during or
// after the outage); a create during the outage is refused with 503 and a Retry-After
// header, nothing else (no other status, no dropped connection); /readyz answers 503 with a
// reason while the database is down and /healthz stays 200 (a restart cannot help); a task
// arrives twice only if its first arrival came before tock could write again (the node
// delivered it but could not record the outcome, in flight at the stop or during the
// outage), and only once more, with the same webhook-id; none early.
// Figures: creates answered 200 / 503 / other; how long after the stop /readyz turned 503;
// recovery after `up`: to /readyz 200 on every node, to the first delivery, and until every
// acked task due before `up` has arrived (the backlog drained).
//
// Runs on the calling thread, which must outlive the nodes (TockProcess's REQUIRES).
#pragma once

#include "scenario.h"

namespace tock::faults {

struct PgOutageOptions {
  CommonOptions common;
  int nodes = 1;                        // 1 or 2 tock nodes on the database
  int clients = 8;                      // concurrent keep-alive creators, over the nodes
  int64_t load_before_ms = 3000;        // load runs this long before the stop
  int64_t outage_ms = 10000;            // from the server's exit to `up`
  int64_t load_after_ms = 3000;         // load goes on this long after every node is ready
  int64_t spread_ms = 5000;             // tasks are due over [0, spread_ms) from creation
  int64_t refusal_pause_ms = 100;       // a creator waits this long after a refusal
  int64_t recover_timeout_ms = 60000;   // after `up`, for every node's /readyz 200
  int64_t deliver_timeout_ms = 120000;  // after the load stops, for every acked task
};

ScenarioResult RunPgOutage(const PgOutageOptions& opts);

}  // namespace tock::faults
