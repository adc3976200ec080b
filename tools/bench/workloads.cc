#include "workloads.h"

#include <unistd.h>

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>

#include "auth/signing.h"
#include "bench_util.h"
#include "client_pool.h"
#include "fast_receiver.h"
#include "testutil/tock_process.h"
#include "tock_nodes.h"

namespace tock::bench {
namespace {

using testing::TockProcess;

constexpr int64_t kStartTimeoutMs = 120000;
constexpr int64_t kStopTimeoutMs = 60000;
constexpr size_t kLogTailBytes = 3000;    // of tock's log, in failure messages
constexpr int64_t kStallMs = 30000;       // no new delivery for this long: stalled
constexpr int64_t kMaxPhaseErrors = 200;  // an enqueue phase gives up after this many errors

using RuntimeFn = std::function<int64_t(int64_t)>;

struct App {
  std::string key;
  std::string secret;
};

// c calls tock's API as `app` (basic auth), with the timeouts of the bench's checks.
void ActAsApp(httplib::Client& c, const App& app) {
  c.set_connection_timeout(5, 0);
  c.set_read_timeout(30, 0);
  c.set_basic_auth(app.key, app.secret);
}

void Fail(RunResult* r, const std::string& error) {
  r->ok = false;
  if (r->error.empty()) r->error = error;
}

// A run that does not apply to the options: its note is the workload's summary line.
RunResult Skipped(std::string why) {
  RunResult r;
  r.skipped = true;
  r.notes.push_back(std::move(why));
  return r;
}

void Add(RunResult* r, std::string name, double value, std::string unit = "", int precision = 0,
         bool summary = true) {
  r->figures.push_back({std::move(name), value, std::move(unit), precision, summary});
}

void Progress(const BenchOptions& opts, const char* fmt, auto... args) {
  if (!opts.verbose) return;
  std::fprintf(stderr, "# ");
  std::fprintf(stderr, fmt, args...);
  std::fprintf(stderr, "\n");
}

// The harness options of every run: a long start timeout (W3 restarts on a million tasks),
// 1 ms polls (they time restart_listen and restart_ready), SIGTERM before SIGKILL when a run
// ends early, and the driver's cancel flag.
TockProcess::Options TockOptions(const BenchOptions& opts) {
  TockProcess::Options o;
  o.binary = opts.tock_binary;
  o.extra_args = opts.tock_args;
  o.ready_timeout = std::chrono::milliseconds(kStartTimeoutMs);
  o.poll_interval = std::chrono::milliseconds(1);
  o.temp_prefix = "tock-bench-";
  o.keep_env_var = "TOCK_BENCH_KEEP";
  o.destroy_grace = std::chrono::seconds(10);
  o.cancelled = Cancelled;
  return o;
}

// Starts a fresh tock (every node) and registers one application pointing at the receiver,
// on node 1; returns once every node knows it.
bool StartTockWithApp(const FastReceiver& rx, TockNodes& tock, App* app, std::string* error) {
  if (!tock.Start(error)) return false;
  httplib::Client c("127.0.0.1", tock.node(0).port());
  c.set_connection_timeout(5, 0);
  c.set_read_timeout(30, 0);
  c.set_tcp_nodelay(true);
  httplib::Headers h = {{"Authorization", "Bearer " + tock.admin_token()}};
  std::string body = R"({"appName":"bench","linkUrl":")" + rx.Url() +
                     R"(","step":1,"retryTotal":3})";
  auto res = c.Post("/application/create", h, body, "application/json");
  if (!res) {
    *error = "POST /application/create: " + httplib::to_string(res.error());
    return false;
  }
  if (res->status != 200 || !FindJsonString(res->body, "appKey", &app->key) ||
      !FindJsonString(res->body, "secretKey", &app->secret)) {
    *error = "POST /application/create: HTTP " + std::to_string(res->status) + " " + res->body;
    return false;
  }
  return tock.WaitAppKnown(app->key, app->secret, error);
}

std::unique_ptr<ClientPool> MakePool(const BenchOptions& opts, const TockNodes& tock,
                                     const App& app, int clients = 0) {
  std::string basic = "Basic " + Base64Encode(app.key + ":" + app.secret);
  return std::make_unique<ClientPool>("127.0.0.1", tock.ports(),
                                      clients > 0 ? clients : opts.clients,
                                      std::vector<std::pair<std::string, std::string>>{
                                          {"Authorization", basic}});
}

// The start of every run: tock with one application, the client pool, and the first figures.
// Returns false (and fails r) if tock did not start.
bool StartRun(const BenchOptions& opts, const FastReceiver& rx, TockNodes& tock, int64_t n,
              App* app, std::unique_ptr<ClientPool>* pool, RunResult* r) {
  std::string err;
  if (!StartTockWithApp(rx, tock, app, &err)) {
    Fail(r, "start: " + err);
    return false;
  }
  *pool = MakePool(opts, tock, *app);
  Add(r, "tasks", static_cast<double>(n));
  Add(r, "loadavg1", LoadAvg1(), "", 2, false);
  return true;
}

// SIGTERMs tock and records how long it took to exit ("shutdown"). Returns the exit code.
int StopTock(TockNodes& tock, RunResult* r) {
  const int64_t t_stop = MonoNowUs();
  int rc = tock.Terminate(std::chrono::milliseconds(kStopTimeoutMs));
  Add(r, "shutdown", static_cast<double>(MonoNowUs() - t_stop) / 1000.0, "ms", 0, false);
  return rc;
}

// The end of a delivery run (W1, W2): peak RSS, a check that tock is still up, then stop it.
void FinishDeliveryRun(TockNodes& tock, std::unique_ptr<ClientPool> pool, RunResult* r) {
  Add(r, "rss_peak", tock.PeakRssMiB(), "MiB", 1, false);
  if (!tock.running()) Fail(r, "tock exited\n" + tock.LogTail(kLogTailBytes));
  // Close the client connections first: tock's SIGTERM waits for idle keep-alive
  // connections to time out (30 s), which would only slow the runs down.
  pool.reset();
  int rc = StopTock(tock, r);
  if (rc != 0) r->notes.push_back("tock exit code " + std::to_string(rc) + " after SIGTERM");
}

// tock's CPU time per task between two TockNodes::CpuSeconds() readings: of all nodes, and
// with more than one, of each ("<name>_node<k>").
void AddCpuPerTask(RunResult* r, const std::string& name, const std::vector<double>& from,
                   const std::vector<double>& to, int64_t n) {
  auto per_task = [n](double s) { return s * 1e6 / static_cast<double>(n); };
  double total = 0;
  for (size_t i = 0; i < from.size() && i < to.size(); ++i) total += to[i] - from[i];
  Add(r, name, per_task(total), "us", 1, false);
  if (from.size() < 2) return;
  for (size_t i = 0; i < from.size() && i < to.size(); ++i) {
    Add(r, name + "_node" + std::to_string(i + 1), per_task(to[i] - from[i]), "us", 1, false);
  }
}

// Opens every client's keep-alive connection (and the tock thread that serves it), so the
// first measured phase does not pay for connection set-up.
void WarmUp(ClientPool& pool) {
  std::vector<bool> sent(static_cast<size_t>(pool.size()), false);
  pool.Run(
      [&](int conn, ClientPool::Call* call) {
        if (sent[conn]) return false;
        sent[conn] = true;
        call->method = "GET";
        call->path = "/healthz";
        return true;
      },
      [](int, const ClientPool::Call&, const ClientPool::Answer&) {});
}

void AppendTask(std::string* out, int64_t i, int64_t runtime_ms) {
  *out += "{\"content\":{\"i\":";
  *out += std::to_string(i);
  *out += "},\"runtime\":\"";
  *out += Rfc3339Ms(runtime_ms);
  *out += "\"}";
}

struct EnqueueResult {
  double seconds = 0;
  int64_t created = 0;
  int64_t requests = 0;
  int64_t errors = 0;
  std::string first_error;
  int64_t sample_task_id = -1;  // the first id of the first answered batch (or single)
  double rate() const { return seconds > 0 ? static_cast<double>(created) / seconds : 0; }
};

// One creating phase: items [begin, end) in steps of `step`, each step one POST made by
// make(first, last, &call), sent over the pool's connections (or only the first
// `max_clients`, if > 0) with one request in flight per connection. An answer is a success
// if it is a 200 whose body contains `ok_marker`; each success counts last - first created.
EnqueueResult RunPhase(ClientPool& pool, int64_t begin, int64_t end, int64_t step,
                       const std::function<void(int64_t, int64_t, ClientPool::Call*)>& make,
                       std::string_view ok_marker, int max_clients = 0) {
  int64_t next = begin;
  PhaseStats stats;
  int64_t requests = 0;
  int64_t sample = -1;
  std::vector<std::pair<int64_t, int64_t>> range(static_cast<size_t>(pool.size()));
  const int64_t t0 = MonoNowUs();
  pool.Run(
      [&](int conn, ClientPool::Call* call) {
        if (Cancelled() || next >= end) return false;
        if (stats.http_errors + stats.transport_errors > kMaxPhaseErrors) return false;
        range[conn] = {next, std::min(end, next + step)};
        next = range[conn].second;
        make(range[conn].first, range[conn].second, call);
        ++requests;
        return true;
      },
      [&](int conn, const ClientPool::Call& call, const ClientPool::Answer& a) {
        if (a.status == 0) {
          stats.transport_errors.fetch_add(1);
          stats.RecordError(call.path + ": " + a.error);
          return;
        }
        if (a.status != 200 || a.body.find(ok_marker) == std::string::npos) {
          stats.http_errors.fetch_add(1);
          stats.RecordError(call.path + ": HTTP " + std::to_string(a.status) + " " +
                            a.body.substr(0, 300));
          return;
        }
        stats.tasks_created.fetch_add(range[conn].second - range[conn].first);
        if (sample < 0) {
          // {"code":0,"msg":"ok","data":{"taskIds":[N,...]}} or {"data":{"taskId":N}}
          size_t p = a.body.find("\"taskIds\":[");
          if (p != std::string::npos) {
            sample = std::strtoll(a.body.c_str() + p + 11, nullptr, 10);
          } else if (!FindJsonInt(a.body, "taskId", &sample)) {
            sample = -1;
          }
        }
      },
      max_clients);
  EnqueueResult r;
  r.seconds = static_cast<double>(MonoNowUs() - t0) / 1e6;
  r.created = stats.tasks_created;
  r.requests = requests;
  r.errors = stats.http_errors + stats.transport_errors;
  r.first_error = stats.first_error;
  r.sample_task_id = sample;
  if (Cancelled()) {
    r.errors += 1;
    if (r.first_error.empty()) r.first_error = "cancelled";
  }
  return r;
}

// Creates tasks [begin, end): one POST /task/create each (batch == 0) or POST
// /task/batch-create of `batch` tasks (or only over the first `max_clients` connections).
EnqueueResult Enqueue(ClientPool& pool, int64_t begin, int64_t end, int batch,
                      const RuntimeFn& runtime, int max_clients = 0) {
  return RunPhase(
      pool, begin, end, batch > 0 ? batch : 1,
      [&](int64_t first, int64_t last, ClientPool::Call* call) {
        if (batch > 0) {
          call->path = "/task/batch-create";
          call->body = "{\"tasks\":[";
          for (int64_t i = first; i < last; ++i) {
            if (i != first) call->body += ',';
            AppendTask(&call->body, i, runtime(i));
          }
          call->body += "]}";
        } else {
          call->path = "/task/create";
          AppendTask(&call->body, first, runtime(first));
        }
      },
      "\"code\":0", max_clients);
}

bool CheckEnqueue(const EnqueueResult& e, int64_t expected, const char* phase, RunResult* r) {
  if (e.errors == 0 && e.created == expected) return true;
  Fail(r, std::string(phase) + ": created " + std::to_string(e.created) + "/" +
              std::to_string(expected) + ", " + std::to_string(e.errors) +
              " errors; first: " + e.first_error);
  return false;
}

// Waits until the receiver saw `expected` distinct tasks. Gives up at the deadline, when
// nothing new arrived for kStallMs, when tock exits, or on cancel. Returns true if complete.
bool WaitDeliveries(const BenchOptions& opts, const char* label, FastReceiver& rx,
                    int64_t expected, int64_t deadline_wall_ms, TockNodes& tock,
                    std::string* why) {
  int64_t last_count = -1, last_change = MonoNowUs(), last_report = MonoNowUs();
  int64_t count_at_report = 0;
  while (true) {
    int64_t n = rx.distinct();
    if (n >= expected) return true;
    const int64_t now = MonoNowUs();
    if (n != last_count) {
      last_count = n;
      last_change = now;
    }
    // The stall clock only runs once deliveries have started.
    if (n > 0 && now - last_change > kStallMs * 1000) {
      *why = "stalled: " + std::to_string(n) + "/" + std::to_string(expected) +
             " delivered, nothing new for " + std::to_string(kStallMs / 1000) + " s";
      return false;
    }
    if (WallNowMs() > deadline_wall_ms) {
      *why = "timeout: " + std::to_string(n) + "/" + std::to_string(expected) + " delivered";
      return false;
    }
    if (!tock.running()) {
      *why = "tock exited: " + std::to_string(n) + "/" + std::to_string(expected) +
             " delivered\n" + tock.LogTail(kLogTailBytes);
      return false;
    }
    if (Cancelled()) {
      *why = "cancelled";
      return false;
    }
    if (now - last_report > 5000000) {
      Progress(opts, "%s: delivered %lld/%lld (+%lld in 5 s)", label, static_cast<long long>(n),
               static_cast<long long>(expected), static_cast<long long>(n - count_at_report));
      last_report = now;
      count_at_report = n;
    }
    usleep(5000);
  }
}

struct DeliveryStats {
  int64_t delivered = 0;
  int64_t dup = 0;
  int64_t first_us = 0;  // earliest first arrival
  int64_t last_us = 0;   // latest first arrival
  std::vector<double> late_ms;  // sorted, one per delivered task (its first arrival)
  int64_t over_100ms = 0;
  int64_t over_1s = 0;
};

DeliveryStats CollectDeliveries(const FastReceiver& rx) {
  DeliveryStats d;
  d.late_ms.reserve(rx.slots());
  d.first_us = std::numeric_limits<int64_t>::max();
  for (size_t i = 0; i < rx.slots(); ++i) {
    uint32_t hits = rx.hits(i);
    int64_t at = rx.first_arrival_us(i);
    if (hits == 0 || at == 0) continue;
    ++d.delivered;
    d.dup += hits - 1;
    d.first_us = std::min(d.first_us, at);
    d.last_us = std::max(d.last_us, at);
    double late = static_cast<double>(at) / 1000.0 - static_cast<double>(rx.scheduled_ms(i));
    d.late_ms.push_back(late);
    if (late > 100) ++d.over_100ms;
    if (late > 1000) ++d.over_1s;
  }
  if (d.delivered == 0) d.first_us = 0;
  std::sort(d.late_ms.begin(), d.late_ms.end());
  return d;
}

// Per-task arrivals, for looking at the shape of a run (CSV, one line per slot).
void DumpArrivals(const BenchOptions& opts, const FastReceiver& rx, const char* label) {
  if (opts.dump_path.empty()) return;
  std::string path = opts.dump_path + "." + label + "." + std::to_string(WallNowMs()) + ".csv";
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return;
  std::fprintf(f, "slot,scheduled_ms,first_arrival_us,hits\n");
  for (size_t i = 0; i < rx.slots(); ++i) {
    std::fprintf(f, "%zu,%lld,%lld,%u\n", i, static_cast<long long>(rx.scheduled_ms(i)),
                 static_cast<long long>(rx.first_arrival_us(i)), rx.hits(i));
  }
  std::fclose(f);
  Progress(opts, "%s: arrivals written to %s", label, path.c_str());
}

void AddLateness(RunResult* r, const DeliveryStats& d) {
  Add(r, "late_p50", Percentile(d.late_ms, 50), "ms", 1);
  Add(r, "late_p99", Percentile(d.late_ms, 99), "ms", 1);
  Add(r, "late_p999", Percentile(d.late_ms, 99.9), "ms", 1, false);
  Add(r, "late_max", d.late_ms.empty() ? 0 : d.late_ms.back(), "ms", 1);
  Add(r, "late_min", d.late_ms.empty() ? 0 : d.late_ms.front(), "ms", 1, false);
  Add(r, "late_over_100ms", static_cast<double>(d.over_100ms), "", 0, false);
  Add(r, "late_over_1s", static_cast<double>(d.over_1s), "", 0, false);
}

// Delivery counts, and the failure/notes they imply.
void AddDeliveryCounts(RunResult* r, const DeliveryStats& d, const FastReceiver& rx,
                       int64_t expected) {
  const int64_t lost = expected - d.delivered;
  Add(r, "delivered", static_cast<double>(d.delivered), "", 0, false);
  Add(r, "lost", static_cast<double>(lost));
  Add(r, "dup", static_cast<double>(d.dup));
  Add(r, "retries", static_cast<double>(rx.retries()), "", 0, false);
  Add(r, "unknown", static_cast<double>(rx.unknown()), "", 0, false);
  if (lost > 0) {
    Fail(r, std::to_string(lost) + " of " + std::to_string(expected) + " not delivered");
  }
  if (d.dup > 0) {
    r->notes.push_back(std::to_string(d.dup) + " duplicate deliveries (" +
                       std::to_string(rx.retries()) + " with attempt > 1)");
  }
  if (rx.unknown() > 0) {
    r->notes.push_back(std::to_string(rx.unknown()) + " deliveries for unknown slots");
  }
}

// Waits for `expected` deliveries (then 2 s more for late duplicates, if all came), writes the
// arrivals if asked and collects them. *cpu: the nodes' CPU seconds when the wait ended; *why:
// empty if all came, else the reason.
DeliveryStats AwaitDeliveries(const BenchOptions& opts, const char* label, FastReceiver& rx,
                              int64_t expected, int64_t deadline_wall_ms, TockNodes& tock,
                              std::vector<double>* cpu, std::string* why) {
  bool complete = WaitDeliveries(opts, label, rx, expected, deadline_wall_ms, tock, why);
  *cpu = tock.CpuSeconds();
  if (complete) SleepMs(2000);  // late duplicates
  DumpArrivals(opts, rx, label);
  return CollectDeliveries(rx);
}

// Lateness and delivery counts; fails r with `why` if the deliveries did not all come.
void AddDeliveries(RunResult* r, const DeliveryStats& d, const FastReceiver& rx,
                   int64_t expected, const std::string& why) {
  AddLateness(r, d);
  AddDeliveryCounts(r, d, rx, expected);
  if (!why.empty()) Fail(r, why);
}

// Fire lateness: when tock began each delivered task's first attempt (its /task/detail
// `attempts[0].startedAt`, tock's wall clock) minus its due time. Arrival lateness adds the
// HTTP exchange to it, which on this shared 2-core box queues behind every other callback due
// in the same millisecond; this is the part that is tock's timekeeping. Read after the run.
void AddFireLateness(RunResult* r, const FastReceiver& rx, const TockProcess& tock,
                     const App& app) {
  httplib::Client c("127.0.0.1", tock.port());
  ActAsApp(c, app);
  std::vector<double> late;
  late.reserve(rx.slots());
  for (size_t i = 0; i < rx.slots(); ++i) {
    if (rx.task_id(i) <= 0) continue;
    auto res = c.Get("/task/detail?id=" + std::to_string(rx.task_id(i)));
    int64_t started = 0;
    const size_t at = res && res->status == 200 ? res->body.find("\"attempts\"") : std::string::npos;
    if (at == std::string::npos ||
        !FindJsonInt(std::string_view(res->body).substr(at), "startedAt", &started)) {
      r->notes.push_back("no first attempt in the detail of task " + std::to_string(rx.task_id(i)));
      return;
    }
    late.push_back(static_cast<double>(started - rx.scheduled_ms(i)));
  }
  std::sort(late.begin(), late.end());
  Add(r, "fire_p50", Percentile(late, 50), "ms", 1);
  Add(r, "fire_p99", Percentile(late, 99), "ms", 1);
  Add(r, "fire_min", late.empty() ? 0 : late.front(), "ms", 1, false);
  Add(r, "fire_max", late.empty() ? 0 : late.back(), "ms", 1, false);
}

int64_t CeilToSecondMs(int64_t ms) { return (ms + 999) / 1000 * 1000; }

}  // namespace

RunResult RunW1(const BenchOptions& opts, FastReceiver& rx) {
  RunResult r;
  const int64_t n = opts.tasks > 0 ? opts.tasks : 100000;
  const int64_t n_single = std::clamp<int64_t>(
      static_cast<int64_t>(std::llround(static_cast<double>(n) * opts.single_share)), 0, n);
  rx.Reset(static_cast<size_t>(n));
  TockNodes tock(TockOptions(opts), opts.pg_url, opts.nodes);
  App app;
  std::unique_ptr<ClientPool> pool;
  if (!StartRun(opts, rx, tock, n, &app, &pool, &r)) return r;

  // Calibration (also opens every keep-alive connection): tasks due in a day, with slots the
  // receiver does not know, so they can never count as burst deliveries.
  // tock's httplib server listens with a backlog of 5: 64 simultaneous connects may stall.
  const int64_t w0 = MonoNowUs();
  WarmUp(*pool);
  Add(&r, "connect_all", static_cast<double>(MonoNowUs() - w0) / 1000.0, "ms", 0, false);
  double offset_s = opts.offset_s;
  if (offset_s <= 0) {
    const int64_t far = WallNowMs() + 86400000;
    auto far_fn = [far](int64_t) { return far; };
    EnqueueResult cs = Enqueue(*pool, n, n + 1000, 0, far_fn);
    EnqueueResult cb = Enqueue(*pool, n + 1000, n + 1000 + 4 * opts.batch, opts.batch, far_fn, 4);
    if (!CheckEnqueue(cs, 1000, "calibration single", &r) ||
        !CheckEnqueue(cb, 4 * opts.batch, "calibration batch", &r)) {
      return r;
    }
    double est = static_cast<double>(n_single) / std::max(1.0, cs.rate()) +
                 static_cast<double>(n - n_single) / std::max(1.0, cb.rate());
    offset_s = est * 1.3 + 3.0;
    Add(&r, "calib_single", cs.rate(), "/s", 0, false);
    Add(&r, "calib_batch", cb.rate(), "/s", 0, false);
  }
  const int64_t due_ms = CeilToSecondMs(WallNowMs() + static_cast<int64_t>(offset_s * 1000));
  Add(&r, "offset", static_cast<double>(due_ms - WallNowMs()) / 1000.0, "s", 1, false);
  Progress(opts, "W1: %lld tasks due at %s (in %.1f s)", static_cast<long long>(n),
           Rfc3339Ms(due_ms).c_str(), static_cast<double>(due_ms - WallNowMs()) / 1000.0);
  auto due_fn = [due_ms](int64_t) { return due_ms; };

  const std::vector<double> cpu0 = tock.CpuSeconds();
  EnqueueResult es = Enqueue(*pool, 0, n_single, 0, due_fn);
  if (!CheckEnqueue(es, n_single, "enqueue single", &r)) return r;
  EnqueueResult eb = Enqueue(*pool, n_single, n, opts.batch, due_fn);
  if (!CheckEnqueue(eb, n - n_single, "enqueue batch", &r)) return r;
  const int64_t enqueued_at = WallNowMs();
  const std::vector<double> cpu1 = tock.CpuSeconds();
  Add(&r, "enqueue_single", es.rate(), "/s");
  Add(&r, "enqueue_batch", eb.rate(), "/s");
  Progress(opts, "W1: enqueued single %.0f/s, batch %.0f/s; %.1f s before due", es.rate(),
           eb.rate(), static_cast<double>(due_ms - enqueued_at) / 1000.0);
  if (enqueued_at > due_ms - 200) {
    r.notes.push_back("enqueue ended " + std::to_string(enqueued_at - due_ms) +
                      " ms after the due time - 200 ms: delivery overlapped; raise --offset");
  }

  const int64_t deadline = due_ms + 60000 + n / 1000 * 1000;
  std::string why;
  std::vector<double> cpu2;
  DeliveryStats d = AwaitDeliveries(opts, "W1", rx, n, deadline, tock, &cpu2, &why);
  const double drain_s = static_cast<double>(d.last_us - due_ms * 1000) / 1e6;
  Add(&r, "deliver", drain_s > 0 ? static_cast<double>(d.delivered) / drain_s : 0, "/s");
  Add(&r, "drain", drain_s, "s", 2, false);
  Add(&r, "first", static_cast<double>(d.first_us - due_ms * 1000) / 1000.0, "ms", 1, false);
  AddDeliveries(&r, d, rx, n, why);
  AddCpuPerTask(&r, "cpu_enqueue_us_per_task", cpu0, cpu1, n);
  AddCpuPerTask(&r, "cpu_deliver_us_per_task", cpu1, cpu2, n);
  FinishDeliveryRun(tock, std::move(pool), &r);
  return r;
}

RunResult RunW2(const BenchOptions& opts, FastReceiver& rx) {
  RunResult r;
  const int64_t secs = opts.seconds > 0 ? opts.seconds : 60;
  const int64_t n = opts.tasks > 0 ? opts.tasks : 1000 * secs;
  rx.Reset(static_cast<size_t>(n));
  TockNodes tock(TockOptions(opts), opts.pg_url, opts.nodes);
  App app;
  std::unique_ptr<ClientPool> pool;
  if (!StartRun(opts, rx, tock, n, &app, &pool, &r)) return r;
  Add(&r, "seconds", static_cast<double>(secs), "s");

  WarmUp(*pool);
  double offset_s = opts.offset_s;
  if (offset_s <= 0) {
    const int64_t far = WallNowMs() + 86400000;
    EnqueueResult cb = Enqueue(*pool, n, n + 4 * opts.batch, opts.batch,
                               [far](int64_t) { return far; }, 4);
    if (!CheckEnqueue(cb, 4 * opts.batch, "calibration batch", &r)) return r;
    offset_s = static_cast<double>(n) / std::max(1.0, cb.rate()) * 1.3 + 3.0;
  }
  const int64_t start_ms = CeilToSecondMs(WallNowMs() + static_cast<int64_t>(offset_s * 1000));
  const int64_t span_ms = secs * 1000;
  auto runtime = [start_ms, span_ms, n](int64_t i) {
    return i >= n ? start_ms + 86400000 : start_ms + i * span_ms / n;
  };
  Progress(opts, "W2: %lld tasks due from %s over %lld s", static_cast<long long>(n),
           Rfc3339Ms(start_ms).c_str(), static_cast<long long>(secs));
  EnqueueResult eb = Enqueue(*pool, 0, n, opts.batch, runtime);
  if (!CheckEnqueue(eb, n, "enqueue batch", &r)) return r;
  const int64_t enqueued_at = WallNowMs();
  Add(&r, "enqueue_batch", eb.rate(), "/s");
  if (enqueued_at > start_ms - 200) {
    r.notes.push_back("enqueue ended " + std::to_string(enqueued_at - start_ms) +
                      " ms after the first due time: delivery overlapped; raise --offset");
  }
  const std::vector<double> cpu1 = tock.CpuSeconds();
  std::string why;
  std::vector<double> cpu2;
  DeliveryStats d =
      AwaitDeliveries(opts, "W2", rx, n, start_ms + span_ms + 60000, tock, &cpu2, &why);
  AddDeliveries(&r, d, rx, n, why);
  AddCpuPerTask(&r, "cpu_deliver_us_per_task", cpu1, cpu2, n);
  FinishDeliveryRun(tock, std::move(pool), &r);
  return r;
}

RunResult RunW3(const BenchOptions& opts, FastReceiver& rx) {
  RunResult r;
  if (opts.nodes > 1) return Skipped("W3 skipped: --nodes applies to W1, W2 and W5");
  const int64_t n = opts.tasks > 0 ? opts.tasks : 1000000;
  rx.Reset(0);  // nothing may arrive: any delivery counts as unknown
  TockNodes nodes(TockOptions(opts), opts.pg_url, 1);
  App app;
  std::unique_ptr<ClientPool> pool;
  if (!StartRun(opts, rx, nodes, n, &app, &pool, &r)) return r;
  TockProcess& tock = nodes.node(0);
  SleepMs(500);
  Add(&r, "rss_idle", RssMiB(tock.pid()), "MiB", 1, false);

  // Due between 24 h and 25 h from now, in a scattered order (not append-only in the index).
  const int64_t base = WallNowMs() + 86400000;
  auto runtime = [base](int64_t i) { return base + (i * 7919) % 3600000; };
  const std::vector<double> cpu0 = nodes.CpuSeconds();
  EnqueueResult eb = Enqueue(*pool, 0, n, opts.batch, runtime);
  if (!CheckEnqueue(eb, n, "enqueue batch", &r)) return r;
  AddCpuPerTask(&r, "cpu_enqueue_us_per_task", cpu0, nodes.CpuSeconds(), n);
  Add(&r, "enqueue_time", eb.seconds, "s", 1);
  Add(&r, "enqueue_batch", eb.rate(), "/s");
  Progress(opts, "W3: %lld tasks in %.1f s; settling 2 s", static_cast<long long>(n),
           eb.seconds);
  pool.reset();  // close the 64 connections (and their tock threads) before measuring
  SleepMs(2000);
  Add(&r, "rss", RssMiB(tock.pid()), "MiB", 1);
  Add(&r, "rss_peak", PeakRssMiB(tock.pid()), "MiB", 1, false);
  // What of the RSS is RocksDB's memtables (bounded by the store's memtable budget).
  if (!nodes.postgresql()) {
    httplib::Client c("127.0.0.1", tock.port());
    auto m = c.Get("/metrics");
    const std::string key = "\ntock_rocksdb_memtable_bytes ";
    size_t p = m ? m->body.find(key) : std::string::npos;
    if (p != std::string::npos) {
      Add(&r, "memtables", std::strtod(m->body.c_str() + p + key.size(), nullptr) / 1048576.0,
          "MiB", 1, false);
    }
  }
  // On PostgreSQL the tasks live in the database, not the data dir: its size is the disk.
  double apparent = 0;
  if (nodes.postgresql()) {
    Add(&r, "disk", nodes.database()->SizeMiB(), "MiB", 1);
  } else {
    Add(&r, "disk", DiskUsageMiB(tock.data_dir(), &apparent), "MiB", 1);
    Add(&r, "disk_apparent", apparent, "MiB", 1, false);
  }

  int rc = StopTock(nodes, &r);
  if (rc != 0) {
    Fail(&r, "tock exit code " + std::to_string(rc) + " after SIGTERM\n" +
                 tock.LogTail(kLogTailBytes));
  }
  if (!nodes.postgresql()) {
    Add(&r, "disk_after_stop", DiskUsageMiB(tock.data_dir()), "MiB", 1, false);
  }

  std::string err;
  if (!tock.Start(&err)) {
    Fail(&r, "restart: " + err);
    return r;
  }
  Add(&r, "restart_ready", tock.start_to_ready_ms(), "ms", 0);
  Add(&r, "restart_listen", tock.start_to_listen_ms(), "ms", 0, false);
  Add(&r, "rss_restart_at_ready", RssMiB(tock.pid()), "MiB", 1, false);
  SleepMs(2000);
  Add(&r, "rss_restart", RssMiB(tock.pid()), "MiB", 1);

  // A crash under load: 200 000 more tasks (enough to fill the memtables), then kill -9 the
  // moment the last is acknowledged, and restart: ready includes replaying the WAL. On
  // PostgreSQL tock keeps no log of its own to replay (the database recovers by itself), so
  // the phase would measure the plain restart above again.
  if (nodes.postgresql()) {
    r.notes.push_back("PostgreSQL: no kill -9 restart (tock has no WAL of its own to replay)");
  } else {
    auto crash_pool = MakePool(opts, nodes, app);
    const int64_t extra = std::min<int64_t>(200000, n);
    EnqueueResult ek = Enqueue(*crash_pool, n, n + extra, opts.batch, runtime);
    if (!CheckEnqueue(ek, extra, "enqueue before kill -9", &r)) return r;
    crash_pool.reset();
    tock.Kill9();
    if (!tock.Start(&err)) {
      Fail(&r, "restart after kill -9: " + err);
      return r;
    }
    Add(&r, "restart_ready_kill9", tock.start_to_ready_ms(), "ms", 0);
  }

  // One task must have survived, still waiting.
  if (eb.sample_task_id > 0) {
    httplib::Client c("127.0.0.1", tock.port());
    ActAsApp(c, app);
    auto res = c.Get("/task/detail?id=" + std::to_string(eb.sample_task_id));
    if (!res || res->status != 200 || res->body.find("waiting") == std::string::npos) {
      Fail(&r, "task " + std::to_string(eb.sample_task_id) + " after restart: " +
                   (res ? "HTTP " + std::to_string(res->status) + " " + res->body.substr(0, 300)
                        : httplib::to_string(res.error())));
    }
  }
  if (rx.unknown() > 0) {
    r.notes.push_back(std::to_string(rx.unknown()) + " deliveries arrived (none were due)");
  }
  rc = nodes.Terminate(std::chrono::milliseconds(kStopTimeoutMs));
  if (rc != 0) r.notes.push_back("tock exit code " + std::to_string(rc) + " after SIGTERM");
  return r;
}

namespace {

// "yyyy-mm-dd hh:mm:ss" in UTC (the bench's tock runs with the default UTC zone).
std::string UtcDateTime(int64_t ms) {
  time_t secs = static_cast<time_t>(ms / 1000);
  tm t;
  gmtime_r(&secs, &t);
  char buf[80];  // room for any int fields, so GCC sees no truncation
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d", t.tm_year + 1900, t.tm_mon + 1,
                t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec);
  return buf;
}

// Creates single-trigger schedules [begin, end), one POST /v4/schedules each, firing at
// fire_ms(i) (whole seconds) with push {"i":i}.
EnqueueResult CreateSchedules(ClientPool& pool, int64_t begin, int64_t end,
                              const RuntimeFn& fire_ms) {
  return RunPhase(
      pool, begin, end, 1,
      [&](int64_t i, int64_t, ClientPool::Call* call) {
        call->path = "/v4/schedules";
        call->body = "{\"name\":\"bench " + std::to_string(i) +
                     "\",\"enabled\":true,\"trigger\":{\"single\":{\"time\":\"" +
                     UtcDateTime(fire_ms(i)) + "\",\"zone_type\":1}},\"push\":{\"i\":" +
                     std::to_string(i) + "}}";
      },
      "schedule_id");
}

}  // namespace

RunResult RunW4(const BenchOptions& opts, FastReceiver& rx) {
  RunResult r;
  if (opts.nodes > 1) return Skipped("W4 skipped: --nodes applies to W1, W2 and W5");
  const int64_t n = opts.tasks > 0 ? opts.tasks : 100000;
  const int64_t n_due = std::min<int64_t>(1000, n);
  rx.Reset(static_cast<size_t>(n_due));  // slots 0..n_due-1: the schedules due together
  BenchOptions o = opts;
  o.tock_args.push_back("--max-schedules-per-app");
  o.tock_args.push_back(std::to_string(n + 1000));
  TockNodes nodes(TockOptions(o), o.pg_url, 1);
  App app;
  std::unique_ptr<ClientPool> pool;
  if (!StartRun(o, rx, nodes, n, &app, &pool, &r)) return r;
  TockProcess& tock = nodes.node(0);
  WarmUp(*pool);
  SleepMs(500);
  Add(&r, "rss_idle", RssMiB(tock.pid()), "MiB", 1, false);

  // The schedules that do not fire during the run: single triggers spread over the next
  // 300 days (whole seconds), numbered after the due ones so the receiver ignores them.
  const int64_t day = 86400000;
  const int64_t far_base = CeilToSecondMs(WallNowMs()) + day;
  auto far_fire = [far_base](int64_t i) { return far_base + (i * 7919 % 25920) * 1000 * 1000; };
  const std::vector<double> cpu0 = nodes.CpuSeconds();
  EnqueueResult far = CreateSchedules(*pool, n_due, n, far_fire);
  if (!CheckEnqueue(far, n - n_due, "create schedules", &r)) return r;
  AddCpuPerTask(&r, "cpu_create_us_per_schedule", cpu0, nodes.CpuSeconds(), n - n_due);
  Add(&r, "create_rate", far.rate(), "/s");
  Progress(opts, "W4: %lld schedules in %.1f s; settling 2 s", static_cast<long long>(n - n_due),
           far.seconds);
  pool.reset();
  SleepMs(2000);
  Add(&r, "rss", RssMiB(tock.pid()), "MiB", 1);

  // Restart with the schedules pending: time to ready and memory after.
  int rc = StopTock(nodes, &r);
  if (rc != 0) {
    Fail(&r, "tock exit code " + std::to_string(rc) + " after SIGTERM\n" +
                 tock.LogTail(kLogTailBytes));
    return r;
  }
  std::string err;
  if (!tock.Start(&err)) {
    Fail(&r, "restart: " + err);
    return r;
  }
  Add(&r, "restart_ready", tock.start_to_ready_ms(), "ms", 0);
  SleepMs(1000);
  Add(&r, "rss_restart", RssMiB(tock.pid()), "MiB", 1);

  // n_due schedules, all due in the same second, a few seconds after they are created.
  pool = MakePool(o, nodes, app);
  WarmUp(*pool);
  const int64_t fire_at = CeilToSecondMs(WallNowMs() + 4000);
  EnqueueResult due = CreateSchedules(*pool, 0, n_due, [fire_at](int64_t) { return fire_at; });
  if (!CheckEnqueue(due, n_due, "create due schedules", &r)) return r;
  if (WallNowMs() >= fire_at) r.notes.push_back("the due schedules were still being created at their fire time");
  std::vector<double> cpu;
  std::string why;
  DeliveryStats d = AwaitDeliveries(opts, "W4", rx, n_due, fire_at + 60000, nodes, &cpu,
                                    &why);
  AddDeliveries(&r, d, rx, n_due, why);
  if (why.empty()) AddFireLateness(&r, rx, tock, app);
  FinishDeliveryRun(nodes, std::move(pool), &r);
  return r;
}

RunResult RunW5(const BenchOptions& opts, FastReceiver& rx) {
  RunResult r;
  const int64_t n = opts.tasks > 0 ? opts.tasks : 20000;
  rx.Reset(static_cast<size_t>(n));
  TockNodes tock(TockOptions(opts), opts.pg_url, opts.nodes);
  App app;
  std::unique_ptr<ClientPool> pool;
  if (!StartRun(opts, rx, tock, n, &app, &pool, &r)) return r;
  WarmUp(*pool);
  Add(&r, "latency", opts.latency_ms, "ms", 0);

  // Enqueued in batches well before they are due, so delivery runs alone.
  const int64_t due_ms = CeilToSecondMs(WallNowMs() + 3000 + n / 20);
  auto due_fn = [due_ms](int64_t) { return due_ms; };
  EnqueueResult eb = Enqueue(*pool, 0, n, opts.batch, due_fn);
  if (!CheckEnqueue(eb, n, "enqueue batch", &r)) return r;
  pool.reset();
  if (WallNowMs() > due_ms - 200) r.notes.push_back("enqueue overlapped the due time");
  Progress(opts, "W5: %lld tasks due at %s; receiver latency %d ms", static_cast<long long>(n),
           Rfc3339Ms(due_ms).c_str(), opts.latency_ms);
  rx.SetLatencyMs(opts.latency_ms);
  rx.ResetMaxPending();
  const std::vector<double> cpu0 = tock.CpuSeconds();

  // Waits for every delivery, sampling the nodes' RSS (the largest) every 100 ms on the way.
  double rss_peak = 0;
  std::string why;
  const int64_t deadline = due_ms + 120000 + n / 100 * opts.latency_ms;
  int64_t last_sample = 0;
  while (rx.distinct() < n) {
    const int64_t now = MonoNowUs();
    if (now - last_sample >= 100000) {
      for (int i = 0; i < tock.size(); ++i) {
        rss_peak = std::max(rss_peak, RssMiB(tock.node(i).pid()));
      }
      last_sample = now;
    }
    if (WallNowMs() > deadline) {
      why = "timeout: " + std::to_string(rx.distinct()) + "/" + std::to_string(n) + " delivered";
      break;
    }
    if (!tock.running()) {
      why = "tock exited\n" + tock.LogTail(kLogTailBytes);
      break;
    }
    if (Cancelled()) {
      why = "cancelled";
      break;
    }
    usleep(2000);
  }
  const std::vector<double> cpu1 = tock.CpuSeconds();
  SleepMs(static_cast<int64_t>(opts.latency_ms) + 1000);  // the last answers; late duplicates
  rx.SetLatencyMs(0);
  DeliveryStats d = CollectDeliveries(rx);
  const double drain_s = static_cast<double>(d.last_us - due_ms * 1000) / 1e6;
  Add(&r, "deliver", drain_s > 0 ? static_cast<double>(d.delivered) / drain_s : 0, "/s");
  Add(&r, "drain", drain_s, "s", 2, false);
  Add(&r, "in_flight_max", static_cast<double>(rx.max_pending()), "", 0);
  Add(&r, "rss_in_flight", rss_peak, "MiB", 1);
  AddCpuPerTask(&r, "cpu_deliver_us_per_task", cpu0, cpu1, n);
  AddDeliveries(&r, d, rx, n, why);
  FinishDeliveryRun(tock, nullptr, &r);
  return r;
}

namespace {

// The median of `runs` timed GETs of path (admin bearer), in ms; "" in *error when all
// answered 200 with "code":0. The body of the last answer goes to *body.
double MedianGetMs(httplib::Client& c, const httplib::Headers& h, const std::string& path,
                   int runs, std::string* body, std::string* error) {
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const int64_t t0 = MonoNowUs();
    auto res = c.Get(path, h);
    ms.push_back(static_cast<double>(MonoNowUs() - t0) / 1000.0);
    if (!res || res->status != 200 || res->body.find("\"code\":0") == std::string::npos) {
      *error = "GET " + path + ": " +
               (res ? "HTTP " + std::to_string(res->status) + " " + res->body.substr(0, 300)
                    : httplib::to_string(res.error()));
      return 0;
    }
    *body = res->body;
  }
  return Median(ms);
}

}  // namespace

RunResult RunW6(const BenchOptions& opts, FastReceiver& rx) {
  RunResult r;
  const int64_t n = opts.tasks > 0 ? opts.tasks : 1000000;
  rx.Reset(0);  // nothing may arrive: every task is due in a day
  TockNodes tock(TockOptions(opts), opts.pg_url, 1);
  App app;
  std::unique_ptr<ClientPool> pool;
  if (!StartRun(opts, rx, tock, n, &app, &pool, &r)) return r;

  // Due between 24 h and 25 h from now in a scattered order. Their taskNos are the ones tock
  // generates (version-7 UUIDs, which begin with their creation time), so batch-create takes
  // its fast path (no taskNo to check).
  const int64_t base = WallNowMs() + 86400000;
  auto runtime = [base](int64_t i) { return base + (i * 7919) % 3600000; };
  EnqueueResult eb = Enqueue(*pool, 0, n, opts.batch, runtime);
  if (!CheckEnqueue(eb, n, "enqueue batch", &r)) return r;
  Add(&r, "enqueue_batch", eb.rate(), "/s");
  pool.reset();
  Progress(opts, "W6: %lld tasks in %.1f s; listing", static_cast<long long>(n), eb.seconds);
  SleepMs(2000);  // let the last memtable writes settle, as a reader of a quiet server would

  httplib::Client c("127.0.0.1", tock.node(0).port());
  c.set_connection_timeout(5, 0);
  c.set_read_timeout(60, 0);
  c.set_keep_alive(true);
  const httplib::Headers admin = {{"Authorization", "Bearer " + tock.admin_token()}};
  const std::string key = "app=" + app.key;
  std::string body;
  std::string error;
  // Three timed GETs each; the first one of the run also warms the connection.
  auto timed = [&](const char* name, const std::string& path, bool summary) {
    if (!error.empty()) return;
    const double ms = MedianGetMs(c, admin, path, 3, &body, &error);
    if (!error.empty()) return Fail(&r, error);
    Add(&r, name, ms, "ms", 2, summary);
  };
  timed("first_page", "/admin/tasks?limit=50", true);
  std::string cursor;
  FindJsonString(body, "nextCursor", &cursor);
  // A taskNo prefix: the first 11 characters of a listed one ("xxxxxxxx-xx"), which name the
  // 256 ms in which it was made, and so match the tens of thousands created with it.
  std::string listed_no;
  FindJsonString(body, "taskNo", &listed_no);
  timed("app_state_page", "/admin/tasks?" + key + "&state=waiting&limit=50", true);
  // A later page: the cursor of the first, and a page from the middle of the due range.
  if (!cursor.empty()) timed("next_page", "/admin/tasks?limit=50&cursor=" + cursor, false);
  timed("due_range_page",
        "/admin/tasks?" + key + "&state=waiting&limit=50&from=" + std::to_string(base + 1800000) +
            "&to=" + std::to_string(base + 1860000),
        false);
  // The page takes the first 50 of those.
  timed("prefix_page", "/admin/tasks?" + key + "&prefix=" + listed_no.substr(0, 11) + "&limit=50",
        true);
  timed("failed_page", "/admin/failed?" + key + "&limit=50", false);
  int64_t examined = 0;
  if (FindJsonInt(body, "examined", &examined)) Add(&r, "failed_examined", examined, "", 0, false);

  if (rx.unknown() > 0) {
    r.notes.push_back(std::to_string(rx.unknown()) + " deliveries arrived (none were due)");
  }
  const int rc = StopTock(tock, &r);
  if (rc != 0) r.notes.push_back("tock exit code " + std::to_string(rc) + " after SIGTERM");
  return r;
}

}  // namespace tock::bench
