// DESIGN: two phases on one tock.
//   A (baseline): healthy_tasks tasks of the healthy application, all due at one instant
//     after they are created; its delivery rate is the reference.
//   B (faults): every bad receiver's tasks come due first, then (300 ms later) as many
//     healthy tasks; the healthy rate is measured the same way, and they must all land while
//     the hanging receivers still hold tock's connections. A sampler thread reads VmRSS
//     every 100 ms until the bad tasks have run out of retries.
// Rates are "tasks / (last first-arrival - due time)": the burst drains at what tock
// sustains, which includes its lateness. The CPU of this process (every receiver) and of tock
// from each phase's first due time to its last arrival is reported beside them: the receivers
// share tock's cores, and the machine may be shared too (load).
#include "bad_receivers_scenario.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>

#include "../bench/bench_util.h"
#include "dispatch/flow_control.h"
#include "recorder.h"
#include "testutil/bad_receiver.h"

namespace tock::faults {
namespace {

using testing::ApiClient;
using testing::ApiResponse;
using testing::BadReceiver;

constexpr int64_t kLeadMs = 1500;         // due time after the last create of a phase
constexpr int64_t kHealthyAfterMs = 300;  // phase B: healthy tasks come due after the bad

struct BadApp {
  std::unique_ptr<BadReceiver> rx;
  testing::App app;
  std::vector<int64_t> ids;
  int64_t timeout_ms = 0;
  int64_t tasks = 0;
};

// Peak VmRSS of pid while running.
class RssSampler {
 public:
  explicit RssSampler(pid_t pid)
      : thread_([this, pid] {
          while (!stop_.load()) {
            double v = bench::RssMiB(pid);
            double p = peak_.load();
            if (v > p) peak_.store(v);
            bench::SleepMs(100);
          }
        }) {}
  ~RssSampler() { Stop(); }
  void Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }
  double peak() const { return peak_.load(); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<double> peak_{0};
  std::thread thread_;
};

// CPU of the driver (this process: the healthy receiver and the bad ones) and of tock over one
// delivery window, in % of one core: on a 2-core machine what the driver burns is not there
// for tock, so the rate ratio is read next to these.
class CpuWindow {
 public:
  // Sleeps until due_ms (the first task of the phase is due), then starts the window.
  CpuWindow(pid_t tock, int64_t due_ms) : tock_(tock) {
    bench::SleepMs(due_ms - bench::WallNowMs());
    start_us_ = bench::MonoNowUs();
    driver0_ = bench::CpuSeconds(getpid());
    tock0_ = bench::CpuSeconds(tock);
  }
  // Ends the window: *driver_pct and *tock_pct.
  void End(double* driver_pct, double* tock_pct) const {
    const int64_t us = std::max<int64_t>(1, bench::MonoNowUs() - start_us_);
    const double s = static_cast<double>(us) / 1e6;
    *driver_pct = (bench::CpuSeconds(getpid()) - driver0_) * 100 / s;
    *tock_pct = (bench::CpuSeconds(tock_) - tock0_) * 100 / s;
  }

 private:
  pid_t tock_;
  int64_t start_us_ = 0;
  double driver0_ = 0, tock0_ = 0;
};

// Delivery rate of `ids` due at due_ms: n / (last first-arrival - due). Fills *last_ms.
double Rate(const Recorder& rx, const std::vector<int64_t>& ids, int64_t due_ms, int64_t* last_ms) {
  int64_t last = due_ms;
  for (int64_t id : ids) {
    Recorder::Task t = rx.Get(id);
    if (!t.arrivals.empty()) last = std::max(last, t.arrivals.front().wall_ms);
  }
  *last_ms = last;
  return static_cast<double>(ids.size()) * 1000.0 /
         static_cast<double>(std::max<int64_t>(1, last - due_ms));
}

}  // namespace

ScenarioResult RunBadReceivers(const BadReceiversOptions& o) {
  ScenarioResult res;
  res.name = "bad-receivers";
  Recorder rx;
  if (!CheckStarted(rx, &res)) return res;
  testing::TockProcess tock(FaultsTockOptions(o.common));
  std::string error;
  if (!tock.Start(&error)) {
    res.Violation("tock did not start: " + error);
    return res;
  }
  ApiClient api(tock);
  testing::App healthy = api.CreateApp(rx.Url(), ScenarioAppOptions("faults-healthy", 2));
  if (!healthy.ok()) {
    res.Violation("create app: " + healthy.create_response.Describe());
    return res;
  }

  // Phase A: the healthy application alone.
  const int64_t n = o.healthy_tasks;
  int64_t due_a = bench::WallNowMs() + kLeadMs + n / 20;  // ~20 000 creates/s in batches
  std::vector<int64_t> ids_a = CreateInBatches(
      api, healthy, n, [&](int64_t i) { return TaskJson(due_a, i); }, &error);
  if (!error.empty()) {
    res.Violation("phase A: " + error);
    return res;
  }
  if (bench::WallNowMs() >= due_a) res.notes.push_back("phase A: creating ran past the due time");
  CpuWindow cpu_a(tock.pid(), due_a);
  if (!rx.WaitForAll(ids_a, std::chrono::milliseconds(o.deliver_timeout_ms), o.common.cancelled)) {
    res.Violation("phase A: healthy tasks not all delivered\n" + tock.LogTail(1500));
    return res;
  }
  double driver_cpu_a = 0, tock_cpu_a = 0;
  cpu_a.End(&driver_cpu_a, &tock_cpu_a);
  int64_t last_a = 0;
  const double rate_a = Rate(rx, ids_a, due_a, &last_a);
  const double rss_base = bench::RssMiB(tock.pid());
  Progress(o.common, "bad-receivers: baseline " + std::to_string(static_cast<int64_t>(rate_a)) +
                         " deliveries/s, RSS " + std::to_string(rss_base) + " MiB");

  // Phase B: the bad receivers, then the healthy application again.
  const BadReceiver::Mode modes[] = {BadReceiver::Mode::kHang,    BadReceiver::Mode::kReset,
                                     BadReceiver::Mode::kSlow,    BadReceiver::Mode::kStatus5xx,
                                     BadReceiver::Mode::kGarbage, BadReceiver::Mode::kRedirect,
                                     BadReceiver::Mode::kHuge};
  std::vector<BadApp> bad;
  for (BadReceiver::Mode m : modes) {
    BadApp b;
    // A redirect points at the healthy receiver: if tock followed it, the healthy receiver would
    // see a bad application's taskId.
    b.rx = std::make_unique<BadReceiver>(m, rx.Url());
    if (!b.rx->ok()) {
      res.Violation(std::string("bad receiver ") + BadReceiver::ModeName(m) + " could not bind");
      return res;
    }
    b.app = api.CreateApp(
        b.rx->Url(),
        ScenarioAppOptions(std::string("faults-") + BadReceiver::ModeName(m), o.retry_total));
    if (!b.app.ok()) {
      res.Violation("create app: " + b.app.create_response.Describe());
      return res;
    }
    const bool holds = m == BadReceiver::Mode::kHang || m == BadReceiver::Mode::kSlow;
    b.timeout_ms = holds ? o.hang_timeout_ms : o.bad_timeout_ms;
    b.tasks = holds ? o.hold_tasks_per_app : o.bad_tasks_per_app;
    bad.push_back(std::move(b));
  }
  RssSampler rss(tock.pid());
  const int64_t due_b = bench::WallNowMs() + kLeadMs + n / 20 +
                        static_cast<int64_t>(bad.size()) * o.bad_tasks_per_app / 20;
  for (BadApp& b : bad) {
    b.ids = CreateInBatches(
        api, b.app, b.tasks, [&](int64_t i) { return TaskJson(due_b, i, b.timeout_ms); }, &error);
  }
  const int64_t due_h = due_b + kHealthyAfterMs;
  std::vector<int64_t> ids_b = CreateInBatches(
      api, healthy, n, [&](int64_t i) { return TaskJson(due_h, i); }, &error);
  if (!error.empty()) {
    res.Violation("phase B: " + error);
    return res;
  }
  if (bench::WallNowMs() >= due_b) res.notes.push_back("phase B: creating ran past the due time");
  CpuWindow cpu_b(tock.pid(), due_b);
  const bool healthy_done =
      rx.WaitForAll(ids_b, std::chrono::milliseconds(o.deliver_timeout_ms), o.common.cancelled);
  double driver_cpu_b = 0, tock_cpu_b = 0;
  cpu_b.End(&driver_cpu_b, &tock_cpu_b);
  int64_t last_b = 0;
  const double rate_b = healthy_done ? Rate(rx, ids_b, due_h, &last_b) : 0;
  const int64_t held_by_hang = bad[0].rx->connections();  // modes[0] is kHang
  Progress(o.common, "bad-receivers: among bad receivers " +
                         std::to_string(static_cast<int64_t>(rate_b)) + " deliveries/s");

  // Every bad task must end failed with retry_total + 1 failed attempts. A hanging receiver gets
  // at least FlowControl::kMinWindow attempts at a time (its window shrinks to that on
  // timeouts), so its tasks need at most ceil(tasks / kMinWindow) waves of
  // (retry_total + 1) x (timeout + step).
  int64_t checked = 0, wrong = 0, followed = 0;
  std::string first_wrong;
  const int64_t slots = FlowControl::kMinWindow;
  const int64_t waves = (o.hold_tasks_per_app + slots - 1) / slots;
  const auto deadline =
      std::chrono::steady_clock::now() +
      std::chrono::milliseconds(o.deliver_timeout_ms +
                                waves * (o.retry_total + 1) * (o.hang_timeout_ms + 1000));
  for (BadApp& b : bad) {
    const int64_t sample =
        o.detail_sample < 0
            ? static_cast<int64_t>(b.ids.size())
            : std::min<int64_t>(o.detail_sample, static_cast<int64_t>(b.ids.size()));
    for (int64_t k = 0; k < sample; ++k) {
      // Spread the sample over the ids (first, last, and between).
      const int64_t id = b.ids[static_cast<size_t>(
          sample <= 1 ? 0 : k * (static_cast<int64_t>(b.ids.size()) - 1) / (sample - 1))];
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      ApiResponse d = api.WaitForDetail(
          b.app, id, [](const ApiResponse& r) { return r.Int("/data/status") == 4; },
          std::max(left, std::chrono::milliseconds(1)));
      ++checked;
      bool good = d.Int("/data/status") == 4 && d.Size("/data/attempts") == o.retry_total + 1;
      for (int64_t a = 0; good && a < d.Size("/data/attempts"); ++a) {
        good = d.Str("/data/attempts/" + std::to_string(a) + "/outcome") != "success";
      }
      if (!good && wrong++ == 0) {
        first_wrong = std::string(BadReceiver::ModeName(b.rx->mode())) + ": " + d.Describe();
      }
    }
  }
  rss.Stop();
  for (const BadApp& b : bad) {
    for (int64_t id : b.ids) followed += rx.Has(id) ? 1 : 0;
  }
  const double rss_peak = rss.peak();

  res.Add("healthy_rate_alone", rate_a, "/s");
  res.Add("healthy_rate_with_bad", rate_b, "/s");
  res.Add("rate_ratio", rate_a > 0 ? rate_b / rate_a : 0, "", 2);
  res.Add("healthy_done_after", static_cast<double>(last_b - due_h), "ms");
  res.Add("driver_cpu_alone", driver_cpu_a, "%");
  res.Add("driver_cpu_with_bad", driver_cpu_b, "%");
  res.Add("tock_cpu_alone", tock_cpu_a, "%");
  res.Add("tock_cpu_with_bad", tock_cpu_b, "%");
  res.Add("load", bench::LoadAvg1(), "", 1);
  res.Add("rss_base", rss_base, "MiB", 1);
  res.Add("rss_peak", rss_peak, "MiB", 1);
  res.Add("bad_checked", static_cast<double>(checked));
  for (BadApp& b : bad) {
    res.Add(std::string(BadReceiver::ModeName(b.rx->mode())) + "_requests",
            static_cast<double>(b.rx->requests()));
  }
  res.Add("huge_bytes_read", static_cast<double>(bad.back().rx->bytes_sent()) / (1 << 20), "MiB",
          1);

  if (!healthy_done) {
    // What tock holds of the healthy application, to tell a stall from slowness: its
    // delivery view (in flight, queued, window, pause), one task that did not arrive, and
    // the log's tail.
    int64_t arrived = 0, missing = -1;
    for (int64_t id : ids_b) {
      if (rx.Has(id)) {
        ++arrived;
      } else if (missing < 0) {
        missing = id;
      }
    }
    std::string why = "phase B: healthy tasks not all delivered: " + std::to_string(arrived) +
                      " of " + std::to_string(ids_b.size()) + " arrived";
    why += "\n  app: " + api.AdminGet("/admin/apps/" + healthy.app_key).body;
    why += "\n  stats: " + api.AdminGet("/admin/stats").body;
    if (missing >= 0) {
      why += "\n  task " + std::to_string(missing) + ": " + api.Detail(healthy, missing).body;
    }
    why += "\n" + tock.LogTail(4000);
    res.Violation(why);
  }
  if (healthy_done && last_b - due_h >= o.hang_timeout_ms) {
    res.Violation("phase B: the healthy tasks took " + std::to_string(last_b - due_h) +
                  " ms, longer than the hanging receivers hold a worker (" +
                  std::to_string(o.hang_timeout_ms) + " ms): delivery slots were starved");
  }
  if (held_by_hang == 0) res.Violation("the hanging receiver was never connected to");
  if (rss_peak > o.max_rss_mib) {
    res.Violation("RSS reached " + std::to_string(rss_peak) + " MiB (bound " +
                  std::to_string(o.max_rss_mib) + ")");
  }
  if (wrong > 0) {
    res.Violation(std::to_string(wrong) + " of " + std::to_string(checked) +
                  " bad-receiver tasks not failed after retry_total + 1 failed "
                  "attempts; first: " +
                  first_wrong);
  }
  if (followed > 0) res.Violation(std::to_string(followed) + " redirects were followed");
  if (rx.bad_webhook_ids() > 0) res.Violation("deliveries with a wrong webhook-id");
  if (rx.early() > 0)
    res.Violation(std::to_string(rx.early()) + " deliveries before their runtime");
  if (!tock.running()) res.Violation("tock died\n" + tock.LogTail(2000));
  for (BadApp& b : bad) b.rx->Stop();
  tock.Terminate(std::chrono::seconds(20));
  return res;
}

}  // namespace tock::faults
