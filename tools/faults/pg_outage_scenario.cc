// DESIGN: the timeline, on the scenario's thread, while a Creators (creators.h) runs through
// every node:
//   start ---load_before_ms--- stop (pg.sh down; returns once the server exited: t_down)
//   ---outage_ms, polling every node's /readyz and /healthz--- up (pg.sh up; returns once
//   the server accepts connections: t_up) ---polling /readyz until every node answers 200
//   (t_ready)--- load_after_ms --- the creators stop; then every acked task must arrive, and
//   the Recorder tells the first arrival after t_up.
// Every answer the creators got is kept with its time, so they are counted against the
// timeline afterwards; arrivals are checked with the fault running from the stop until
// t_ready (arrival_check.h).
#include "pg_outage_scenario.h"

#include <httplib.h>

#include <algorithm>
#include <memory>

#include "../bench/bench_util.h"
#include "../bench/tock_nodes.h"
#include "arrival_check.h"
#include "creators.h"
#include "recorder.h"
#include "testutil/api_client.h"
#include "testutil/pg_cluster.h"

namespace tock::faults {
namespace {

constexpr int64_t kPollMs = 100;     // health polls during the outage
constexpr int64_t kFastPollMs = 20;  // readiness polls after `up`
constexpr int64_t kSettleMs = 1000;  // after the last acked task arrived: late repeats show up
// A 200 stamped this long after the server exited cannot be an answer sent before it did.
constexpr int64_t kAnswerSkewMs = 1000;

struct Probe {
  int status = 0;
  std::string body;
};

Probe Get(int port, const char* path) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(2, 0);
  c.set_read_timeout(5, 0);
  auto r = c.Get(path);
  return r ? Probe{r->status, r->body} : Probe{};
}

// What the nodes' health endpoints said while the database was down.
struct OutageHealth {
  int64_t readyz_503_after_ms = -1;  // from t_down until every node had answered 503
  std::string first_503;             // the first /readyz 503 body
  int64_t without_reason = 0;        // /readyz 503 bodies without a "reason"
  int64_t ready_while_down = 0;      // /readyz 200 after that node's first 503
  int64_t healthz_not_200 = 0;
  std::string first_healthz;
};

// Polls every node's /readyz and /healthz from t_down until the wall clock reaches until_ms.
OutageHealth WatchOutage(bench::TockNodes& nodes, int64_t t_down, int64_t until_ms,
                         const CommonOptions& c) {
  OutageHealth h;
  std::vector<int64_t> first_503(static_cast<size_t>(nodes.size()), -1);
  while (bench::WallNowMs() < until_ms && !IsCancelled(c)) {
    for (int i = 0; i < nodes.size(); ++i) {
      Probe ready = Get(nodes.node(i).port(), "/readyz");
      const int64_t now = bench::WallNowMs();
      if (ready.status == 503) {
        if (first_503[i] < 0) first_503[i] = now;
        if (h.first_503.empty()) h.first_503 = ready.body;
        std::string reason;
        if (!bench::FindJsonString(ready.body, "reason", &reason) || reason.empty()) {
          ++h.without_reason;
        }
      } else if (ready.status == 200 && first_503[i] >= 0) {
        ++h.ready_while_down;
      }
      Probe health = Get(nodes.node(i).port(), "/healthz");
      if (health.status != 200 && h.healthz_not_200++ == 0) {
        h.first_healthz = "HTTP " + std::to_string(health.status) + " " + health.body;
      }
    }
    bench::SleepMs(kPollMs);
  }
  int64_t all = 0;  // when the last node first said 503; -1 if one never did
  for (int64_t t : first_503) {
    if (t < 0) {
      all = -1;
      break;
    }
    all = std::max(all, t);
  }
  h.readyz_503_after_ms = all < 0 ? -1 : all - t_down;
  return h;
}

// Waits until every node's /readyz answers 200; the wall ms when the last did, or -1 at the
// deadline.
int64_t WaitReady(bench::TockNodes& nodes, int64_t deadline, const CommonOptions& c) {
  std::vector<bool> ready(static_cast<size_t>(nodes.size()), false);
  int64_t last = -1;
  while (bench::WallNowMs() < deadline && !IsCancelled(c)) {
    bool all = true;
    for (int i = 0; i < nodes.size(); ++i) {
      if (!ready[i] && Get(nodes.node(i).port(), "/readyz").status == 200) {
        ready[i] = true;
        last = bench::WallNowMs();
      }
      all = all && ready[i];
    }
    if (all) return last;
    bench::SleepMs(kFastPollMs);
  }
  return -1;
}

// From t_up until every acked task due by then first arrived (0 if all came before); -1 if
// one never came.
int64_t DrainMs(const Recorder& rx, const std::vector<int64_t>& acked, int64_t t_up) {
  int64_t last = t_up;
  for (int64_t id : acked) {
    Recorder::Task t = rx.Get(id);
    if (t.arrivals.empty()) return -1;
    if (t.scheduled_ms <= t_up) last = std::max(last, t.arrivals.front().wall_ms);
  }
  return last - t_up;
}

}  // namespace

ScenarioResult RunPgOutage(const PgOutageOptions& o) {
  ScenarioResult res;
  res.name = "pg-outage";
  Recorder rx;
  if (!CheckStarted(rx, &res)) return res;
  if (!o.common.pg_url.empty()) {
    res.notes.push_back("--postgresql is not used: this scenario stops a cluster of its own");
  }
  std::string error;
  std::unique_ptr<testing::PgCluster> cluster;  // outlives the nodes: declared first
  if (!testing::PgCluster::Start("tock-faults-pg-", &cluster, &error)) {
    res.Violation(error);
    return res;
  }
  bench::TockNodes nodes(FaultsTockOptions(o.common), cluster->admin_url(), o.nodes);
  if (!nodes.Start(&error)) {
    res.Violation("tock did not start: " + error);
    return res;
  }
  testing::App app;
  {
    testing::ApiClient api(nodes.node(0));
    app = api.CreateApp(rx.Url(), ScenarioAppOptions("faults-pg-outage", 5));
  }
  if (!app.ok() || !nodes.WaitAppKnown(app.app_key, app.secret_key, &error)) {
    res.Violation(app.ok() ? error : "create app: " + app.create_response.Describe());
    return res;
  }
  const int64_t bad_ids_before = rx.bad_webhook_ids();

  Creators::Options load_opts;
  load_opts.clients = o.clients;
  load_opts.pause_after_refusal_ms = o.refusal_pause_ms;
  load_opts.task = [&](int64_t i) {
    testing::TaskSpec spec;
    spec.task_no = "pgo-" + std::to_string(i);
    spec.runtime =
        testing::RuntimeJson(bench::WallNowMs() + (i * 7919) % std::max<int64_t>(1, o.spread_ms));
    spec.content = "{\"i\":" + std::to_string(i) + "}";
    return spec;
  };
  Creators load(nodes.ports(), nodes.admin_token(), app, load_opts);
  load.Start();
  bench::SleepMs(o.load_before_ms);
  const int64_t t_stop = bench::WallNowMs();
  if (!cluster->Down(&error)) {
    res.Violation(error);
    return res;
  }
  const int64_t t_down = bench::WallNowMs();
  Progress(o.common, "pg-outage: database stopped (" + std::to_string(t_down - t_stop) + " ms), " +
                         std::to_string(o.outage_ms) + " ms down");
  const OutageHealth health = WatchOutage(nodes, t_down, t_down + o.outage_ms, o.common);
  const int64_t t_up_begin = bench::WallNowMs();
  if (!cluster->Up(&error)) {
    res.Violation(error);
    return res;
  }
  const int64_t t_up = bench::WallNowMs();
  const int64_t t_ready = WaitReady(nodes, t_up + o.recover_timeout_ms, o.common);
  Progress(o.common,
           "pg-outage: database up; ready after " +
               (t_ready < 0 ? std::string("(never)") : std::to_string(t_ready - t_up) + " ms"));
  bench::SleepMs(o.load_after_ms);
  load.Stop();
  const std::vector<int64_t> acked = load.Acked();
  rx.WaitForAll(acked, std::chrono::milliseconds(o.deliver_timeout_ms), o.common.cancelled);
  bench::SleepMs(kSettleMs);
  // Read once the load is over (the scan is over every arrival): there was a backlog, the
  // tasks that came due while the database was down.
  const int64_t first_delivery = rx.FirstArrivalAfter(t_up);

  // The creates, against the timeline.
  int64_t ok = 0, refused_503 = 0, other = 0, no_answer = 0, ok_while_down = 0;
  int64_t refused_after_ready = 0;
  for (const Creators::Answer& a : load.answers()) {
    if (a.acked()) {
      ++ok;
      ok_while_down += a.wall_ms > t_down + kAnswerSkewMs && a.wall_ms < t_up_begin;
    } else if (a.status == 503) {
      ++refused_503;
      refused_after_ready += t_ready >= 0 && a.wall_ms > t_ready;
    } else if (a.status == 0) {
      ++no_answer;
    } else {
      ++other;
    }
  }
  ArrivalCheck check =
      CheckArrivals(rx, acked, t_stop, t_ready >= 0 ? t_ready : bench::WallNowMs());
  check.bad_webhook_ids = rx.bad_webhook_ids() - bad_ids_before;

  res.Add("nodes", nodes.size());
  res.Add("outage", static_cast<double>(t_up_begin - t_down), "ms");
  res.Add("created_200", static_cast<double>(ok));
  res.Add("refused_503", static_cast<double>(refused_503));
  res.Add("other", static_cast<double>(other + no_answer));
  res.Add("readyz_503_after", static_cast<double>(health.readyz_503_after_ms), "ms");
  res.Add("ready_after_up", static_cast<double>(t_ready < 0 ? -1 : t_ready - t_up), "ms");
  res.Add("first_delivery_after_up",
          static_cast<double>(first_delivery < 0 ? -1 : first_delivery - t_up), "ms");
  res.Add("drain_after_up", static_cast<double>(DrainMs(rx, acked, t_up)), "ms");
  AddArrivalCheck(check, nodes.LogTail(6000), &res);
  res.Add("delivered_before_ready", static_cast<double>(check.before_cut));

  res.notes.push_back("first refusal: " + load.first_refusal() +
                      " (Retry-After: " + load.first_refusal_retry_after() + ")");
  if (!health.first_503.empty()) res.notes.push_back("/readyz while down: " + health.first_503);
  if (refused_after_ready > 0) {
    res.notes.push_back(std::to_string(refused_after_ready) +
                        " creates refused with 503 after every node was ready again");
  }
  if (refused_503 == 0) res.Violation("no create was refused while the database was down");
  if (refused_503 > 0 && load.first_refusal_retry_after().empty()) {
    res.Violation("the 503 refusing a create has no Retry-After header");
  }
  if (other > 0) {
    res.Violation(std::to_string(other) +
                  " creates answered neither 200 nor 503: " + load.first_refusal());
  }
  if (no_answer > 0) res.Violation(std::to_string(no_answer) + " creates got no answer");
  if (ok_while_down > 0) {
    res.Violation(std::to_string(ok_while_down) + " creates answered 200 while the database " +
                  "was down");
  }
  if (health.readyz_503_after_ms < 0) {
    res.Violation("/readyz did not answer 503 on every node while the database was down");
  }
  if (health.without_reason > 0) {
    res.Violation(std::to_string(health.without_reason) + " /readyz 503 answers without a reason");
  }
  if (health.ready_while_down > 0) {
    res.Violation("/readyz answered 200 " + std::to_string(health.ready_while_down) +
                  " times while the database was still down");
  }
  if (health.healthz_not_200 > 0) {
    res.Violation("/healthz answered other than 200 " + std::to_string(health.healthz_not_200) +
                  " times during the outage: " + health.first_healthz);
  }
  if (t_ready < 0) {
    res.Violation("not every node's /readyz answered 200 within " +
                  std::to_string(o.recover_timeout_ms) + " ms of `up`\n" + nodes.LogTail(4000));
  }
  if (first_delivery < 0) res.notes.push_back("no delivery came after `up`");
  if (!nodes.running()) res.Violation("a node exited\n" + nodes.LogTail(4000));
  nodes.Terminate(std::chrono::seconds(20));
  return res;
}

}  // namespace tock::faults
