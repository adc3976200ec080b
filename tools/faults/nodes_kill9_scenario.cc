// DESIGN: the two nodes are a TockNodes (tools/bench/tock_nodes.h) on a fresh database; the
// application is made on node 1 and used on node 2 once it has read it. Per round a Creators
// (creators.h) spreads its connections over both nodes' current ports; the creators of the
// killed node stop at their first dead connection, the survivor's stop load_after_kill_ms
// later. Arrivals are then checked against the kill (arrival_check.h), and the takeover is
// read off the Recorder: the latest first arrival among acked tasks due by the kill + 1 s.
#include "nodes_kill9_scenario.h"

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <random>

#include "../bench/bench_util.h"
#include "../bench/tock_nodes.h"
#include "arrival_check.h"
#include "creators.h"
#include "recorder.h"
#include "testutil/api_client.h"
#include "testutil/pg_cluster.h"

namespace tock::faults {
namespace {

constexpr int64_t kTakeoverDueMs = 1000;  // takeover covers tasks due by the kill + this

// From the kill until every acked task due by the kill + kTakeoverDueMs first arrived (0 if
// they all came before the kill); -1 if one never came.
int64_t TakeoverMs(const Recorder& rx, const std::vector<int64_t>& acked, int64_t kill_ms) {
  int64_t last = kill_ms;
  for (int64_t id : acked) {
    Recorder::Task t = rx.Get(id);
    if (t.arrivals.empty()) return -1;
    if (t.scheduled_ms > kill_ms + kTakeoverDueMs) continue;
    last = std::max(last, t.arrivals.front().wall_ms);  // arrivals are kept in order
  }
  return last - kill_ms;
}

ScenarioResult RunRound(const NodesKill9Options& o, bench::TockNodes& nodes,
                        const testing::App& app, Recorder& rx, int round, std::mt19937_64& rng) {
  ScenarioResult res;
  res.name = "nodes-kill9 round " + std::to_string(round) + "/" + std::to_string(o.rounds);
  const int victim = (round - 1) % 2;
  const int survivor = 1 - victim;
  const int64_t bad_ids_before = rx.bad_webhook_ids();
  const pid_t pid = nodes.node(victim).pid();
  KilledLoad k = LoadAndKill(
      o, nodes.ports(), nodes.admin_token(), app, "nk9-" + std::to_string(round), rng,
      [&] { nodes.node(victim).Kill9(); }, o.load_after_kill_ms);
  const int64_t kill_wall = k.kill_wall;
  const std::vector<int64_t> acked = k.load->Acked();
  int64_t acked_via_survivor_after_kill = 0;
  for (const Creators::Answer& a : k.load->answers()) {
    acked_via_survivor_after_kill += a.acked() && a.node == survivor && a.wall_ms > kill_wall;
  }
  Progress(o.common, res.name + ": killed node " + std::to_string(victim + 1) + " (pid " +
                         std::to_string(pid) + ") after " + std::to_string(kill_wall - k.t0) +
                         " ms; " + std::to_string(acked.size()) + " acked");

  const int64_t lease_ms = LeaseTtlMs(o.common.tock_args);
  res.Add("killed_node", victim + 1);
  CheckKilledRound(
      k, rx, bad_ids_before, std::chrono::milliseconds(lease_ms + o.deliver_timeout_ms), o.common,
      [&] { return nodes.LogTail(4000); }, &res);
  const int64_t takeover = TakeoverMs(rx, acked, kill_wall);
  res.Add("acked_after_kill", static_cast<double>(acked_via_survivor_after_kill));
  res.Add("takeover", static_cast<double>(takeover), "ms");
  if (takeover > lease_ms + 1000) {
    res.notes.push_back("takeover over lease-ttl + 1 s (" + std::to_string(lease_ms + 1000) +
                        " ms)");
  }
  if (!nodes.node(survivor).running()) {
    res.Violation("the surviving node " + std::to_string(survivor + 1) + " exited\n" +
                  nodes.node(survivor).LogTail(2000));
    return res;
  }
  std::string error;
  if (!nodes.Start(&error)) {
    res.Violation("restart of the killed node failed: " + error);
    return res;
  }
  res.Add("restart_ready", nodes.node(victim).start_to_ready_ms(), "ms", 0);
  return res;
}

}  // namespace

int64_t LeaseTtlMs(const std::vector<std::string>& tock_args) {
  int64_t s = 10;
  for (size_t i = 0; i < tock_args.size(); ++i) {
    const std::string& a = tock_args[i];
    if (a == "--lease-ttl" && i + 1 < tock_args.size()) s = std::atoll(tock_args[i + 1].c_str());
    if (a.starts_with("--lease-ttl=")) s = std::atoll(a.c_str() + 12);
  }
  return s * 1000;
}

std::vector<ScenarioResult> RunNodesKill9(const NodesKill9Options& o) {
  auto fail = [](const std::string& why) {
    return std::vector<ScenarioResult>{SetupFailure("nodes-kill9", why)};
  };
  Recorder rx;
  if (!rx.ok()) return fail("the receiver could not bind 127.0.0.1");
  std::string error;
  std::unique_ptr<testing::PgCluster> cluster;  // outlives the nodes: declared first
  std::string admin_url = o.common.pg_url;
  if (admin_url.empty()) {
    if (!testing::PgCluster::Start("tock-faults-pg-", &cluster, &error)) return fail(error);
    admin_url = cluster->admin_url();
  }
  bench::TockNodes nodes(FaultsTockOptions(o.common), admin_url, 2);
  if (!nodes.Start(&error)) return fail("tock did not start: " + error);
  testing::App app;
  {
    testing::ApiClient api(nodes.node(0));
    app = api.CreateApp(rx.Url(), ScenarioAppOptions("faults-nodes-kill9", 5));
    if (!app.ok()) return fail("create app: " + app.create_response.Describe());
  }
  if (!nodes.WaitAppKnown(app.app_key, app.secret_key, &error)) return fail(error);
  Progress(o.common, "nodes-kill9: 2 nodes on " + nodes.database()->name() + ", lease-ttl " +
                         std::to_string(LeaseTtlMs(o.common.tock_args) / 1000) + " s");
  std::vector<ScenarioResult> out;
  std::mt19937_64 rng(o.common.seed);
  for (int round = 1; round <= o.rounds && !IsCancelled(o.common); ++round) {
    out.push_back(RunRound(o, nodes, app, rx, round, rng));
    Progress(o.common, out.back().SummaryLine());
    if (!nodes.running()) break;  // a restart failed: the next rounds would only repeat it
  }
  nodes.Terminate(std::chrono::seconds(20));
  return out;
}

}  // namespace tock::faults
