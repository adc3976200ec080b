// kill -9 one of two nodes under load (issue 12, scale out on PostgreSQL): two tock nodes on
// one database, creators sending load through both (half the connections each, as behind a
// load balancer; tasks as in the kill9 scenario: half due at one instant, half spread). Each
// round kills one node at a random moment (node 1 in odd rounds, node 2 in even ones), keeps
// the other up and taking creates for `load_after_kill_ms`, then waits for the deliveries
// and restarts the killed node for the next round.
//
// Promises (violations): every task answered 200 reaches the receiver; none arrives before
// its runtime; a task arrives twice only if its first arrival came before the kill (in
// flight at the killed node, its outcome not written) and then only once more, with the same
// webhook-id; no create is refused while its node is up; the survivor stays up.
// Figure: takeover = from the kill until every acked task due by the kill + 1 s has arrived:
// the killed node's leases run out (--lease-ttl, default 10 s) and the survivor's next pass
// claims them, so it is expected within lease-ttl + 1 s; over that is a note, not a violation
// (a timing on a shared machine, not a correctness promise).
//
// The database: a throw-away cluster of the scenario's own (tools/pg.sh), or a fresh database
// on the server of CommonOptions::pg_url, dropped at the end. Runs on the calling thread,
// which must outlive the nodes (TockProcess's REQUIRES).
#pragma once

#include <vector>

#include "kill9_scenario.h"
#include "scenario.h"

namespace tock::faults {

// The kill9 scenario's options (its load, its kill moments), and how long the survivor
// keeps taking creates after the kill. deliver_timeout_ms counts from the kill + lease-ttl.
struct NodesKill9Options : Kill9Options {
  int64_t load_after_kill_ms = 2000;
};

// One ScenarioResult per round ("nodes-kill9 round k/N").
std::vector<ScenarioResult> RunNodesKill9(const NodesKill9Options& opts);

// The --lease-ttl among tock_args ("--lease-ttl S" or "--lease-ttl=S"), in ms; tock's
// default (10 s) when absent.
int64_t LeaseTtlMs(const std::vector<std::string>& tock_args);

}  // namespace tock::faults
