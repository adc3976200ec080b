// DESIGN: per round, `clients` creator threads (creators.h: one keep-alive connection each)
// pull task numbers from a shared counter and create tasks until the counter runs out or tock
// is killed; a 200 with a taskId is "acked" and remembered. The main thread sleeps to the
// random kill moment, SIGKILLs tock, then lets the creators run into the dead connection. After
// the restart the Recorder must see every acked taskId; arrivals are then classified against
// the kill moment (arrival_check.h; see kill9_scenario.h for what may repeat).
#include "kill9_scenario.h"

#include <algorithm>
#include <random>

#include "../bench/bench_util.h"
#include "arrival_check.h"
#include "creators.h"
#include "recorder.h"
#include "testutil/api_client.h"
#include "testutil/tock_process.h"

namespace tock::faults {
namespace {

using testing::ApiClient;
using testing::TockProcess;

constexpr int64_t kSettleMs = 1000;  // after the last acked task arrived: late repeats show up

ScenarioResult RunRound(const Kill9Options& o, TockProcess& tock, const testing::App& app,
                        Recorder& rx, int round, std::mt19937_64& rng) {
  ScenarioResult res;
  res.name = "kill9 round " + std::to_string(round) + "/" + std::to_string(o.rounds);
  const int64_t bad_ids_before = rx.bad_webhook_ids();
  const pid_t pid = tock.pid();
  KilledLoad k = LoadAndKill(
      o, {tock.port()}, tock.admin_token(), app, "k9-" + std::to_string(round), rng,
      [&] { tock.Kill9(); }, 0);
  Progress(o.common, res.name + ": killed pid " + std::to_string(pid) + " after " +
                         std::to_string(k.kill_wall - k.t0) + " ms, " +
                         std::to_string(k.load->Acked().size()) + " acked");
  std::string error;
  if (!tock.Start(&error)) {
    res.Violation("restart after kill -9 failed: " + error);
    return res;
  }
  CheckKilledRound(
      k, rx, bad_ids_before, std::chrono::milliseconds(o.deliver_timeout_ms), o.common,
      [&] { return tock.LogTail(2000); }, &res);
  res.Add("restart_ready", tock.start_to_ready_ms(), "ms", 0);
  return res;
}

}  // namespace

KilledLoad LoadAndKill(const Kill9Options& o, std::vector<int> ports,
                       const std::string& admin_token, const testing::App& app,
                       const std::string& prefix, std::mt19937_64& rng,
                       const std::function<void()>& kill, int64_t after_kill_ms) {
  std::uniform_int_distribution<int64_t> kill_dist(o.kill_min_ms,
                                                   std::max(o.kill_min_ms, o.kill_max_ms));
  const int64_t kill_after = kill_dist(rng);
  KilledLoad k;
  k.t0 = bench::WallNowMs();
  const int64_t burst_due = k.t0 + o.lead_ms;
  Creators::Options load_opts;
  load_opts.clients = o.clients;
  load_opts.limit = o.tasks_per_round;
  load_opts.task = [prefix, burst_due, spread = o.spread_ms](int64_t i) {
    return MixedLoadTask(prefix, i, burst_due, spread);
  };
  k.load = std::make_unique<Creators>(std::move(ports), admin_token, app, load_opts);
  k.load->Start();
  bench::SleepMs(std::max<int64_t>(0, k.t0 + kill_after - bench::WallNowMs()));
  kill();
  k.kill_wall = bench::WallNowMs();
  bench::SleepMs(after_kill_ms);
  k.load->Stop();
  return k;
}

ArrivalCheck CheckKilledRound(const KilledLoad& k, const Recorder& rx, int64_t bad_ids_before,
                              std::chrono::milliseconds timeout, const CommonOptions& c,
                              const std::function<std::string()>& evidence, ScenarioResult* res) {
  const std::vector<int64_t> acked = k.load->Acked();
  rx.WaitForAll(acked, timeout, c.cancelled);
  if (IsCancelled(c)) res->notes.push_back("cancelled: the wait for deliveries was cut short");
  bench::SleepMs(kSettleMs);
  ArrivalCheck check = CheckArrivals(rx, acked, k.kill_wall, k.kill_wall);
  check.bad_webhook_ids = rx.bad_webhook_ids() - bad_ids_before;
  res->Add("kill_at", static_cast<double>(k.kill_wall - k.t0), "ms");
  AddArrivalCheck(check, check.missing > 0 ? evidence() : "", res);
  res->Add("delivered_before_kill", static_cast<double>(check.before_cut));
  // Refusals came while their node was up (after a kill there are no answers, only errors).
  AddRefusals(*k.load, "creates refused while their node was up", res);
  return check;
}

std::vector<ScenarioResult> RunKill9(const Kill9Options& o) {
  auto fail = [](const std::string& why) {
    return std::vector<ScenarioResult>{SetupFailure("kill9", why)};
  };
  Recorder rx;
  if (!rx.ok()) return fail("the receiver could not bind 127.0.0.1");
  TockProcess tock(FaultsTockOptions(o.common));
  std::string error;
  if (!tock.Start(&error)) return fail("tock did not start: " + error);
  testing::App app;
  {
    ApiClient api(tock);
    app = api.CreateApp(rx.Url(), ScenarioAppOptions("faults-kill9", 5));
    if (!app.ok()) return fail("create app: " + app.create_response.Describe());
  }
  std::vector<ScenarioResult> out;
  std::mt19937_64 rng(o.common.seed);
  for (int round = 1; round <= o.rounds && !IsCancelled(o.common); ++round) {
    out.push_back(RunRound(o, tock, app, rx, round, rng));
    Progress(o.common, out.back().SummaryLine());
  }
  tock.Terminate(std::chrono::seconds(20));
  return out;
}

}  // namespace tock::faults
