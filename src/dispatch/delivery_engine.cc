// DESIGN
// Lifetime of an item (task id, due time), all on the client's loop threads:
//   1. RunFresh: BeginAttempt reads the task (a stale timer ends here) and names its
//      application. Under mu_: paused -> dropped; earlier items of the app still parked, the
//      server full, or FlowControl says wait -> parked (ticket given back); else counted.
//   2. Send: sign and hand to the client. Its answer comes back on a loop thread.
//   3. OnResult: classify, FinishAttempt (the recorder writes it), EndSlot.
//   4. EndSlot: FlowControl::End (window, hold, auto-pause), wake the application, Pump.
//   5. Pump: start parked items round-robin over ready applications while there is room;
//      each one is begun again (LaunchAll), since the task may have changed while it waited.
// Invariant: an application with parked items is in exactly one waiting state: in ready_
// (may start once there is room), window-bound (woken by EndSlot of one of its attempts) or
// timer-bound (timer_armed; woken by its timer). A paused application has no parked items.

#include "dispatch/delivery_engine.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "callback/callback_client.h"
#include "common/log.h"
#include "dispatch/callback_builder.h"
#include "dispatch/outcome.h"
#include "metrics/metrics.h"
#include "tasks/app_registry.h"
#include "tasks/due_source.h"
#include "tasks/task_service.h"

namespace tock {

namespace {
// Metrics of deliveries, all of them (process registry, metrics/metrics.h).
//   tock_deliveries_total{outcome}            attempts recorded, by outcome
//   tock_delivery_lateness_seconds{attempt}   attempt start (wall) minus due time; attempt is
//                                             "first" for a task's first attempt ever,
//                                             "retry" for later ones (retries, re-runs)
//   tock_delivery_duration_seconds            time from sending to the classified answer
//   tock_delivery_local_errors_total          attempts not made for lack of descriptors or
//                                             buffers on this machine (they run again)
//   tock_app_auto_pauses_total                applications paused for failing
//   tock_app_probes_total{result}             probe attempts of auto-paused applications
// Attempts handed back at shutdown are not counted (they are not recorded either).
struct DeliveryMetrics {
  metrics::Family<metrics::Counter>& deliveries = metrics::Process().AddCounterFamily(
      "tock_deliveries_total", "Callback attempts recorded, by outcome.", {"outcome"});
  metrics::Counter* by_outcome[5] = {
      &deliveries.With({"success"}), &deliveries.With({"failure"}),
      &deliveries.With({"timeout"}), &deliveries.With({"error"}), &deliveries.With({"gone"})};
  metrics::Family<metrics::Histogram>& lateness = metrics::Process().AddHistogramFamily(
      "tock_delivery_lateness_seconds",
      "Attempt start minus due time; attempt=first: a task's first attempt, retry: later ones.",
      {"attempt"}, metrics::LatenessBuckets());
  metrics::Histogram& lateness_first = lateness.With({"first"});
  metrics::Histogram& lateness_retry = lateness.With({"retry"});
  metrics::Histogram& duration = metrics::Process().AddHistogram(
      "tock_delivery_duration_seconds", "Callback attempt duration, sending to answer.",
      metrics::LatenessBuckets());
  metrics::Counter& local_errors = metrics::Process().AddCounter(
      "tock_delivery_local_errors_total",
      "Attempts not made for lack of descriptors or buffers here; they run again.");
  metrics::Counter& auto_pauses = metrics::Process().AddCounter(
      "tock_app_auto_pauses_total", "Applications paused automatically for failing.");
  metrics::Family<metrics::Counter>& probes = metrics::Process().AddCounterFamily(
      "tock_app_probes_total", "Probe attempts of automatically paused applications.",
      {"result"});
  metrics::Counter& probe_ok = probes.With({"success"});
  metrics::Counter& probe_failed = probes.With({"failure"});

  metrics::Counter& Outcome(AttemptOutcome o) {
    switch (o) {
      case AttemptOutcome::kSuccess: return *by_outcome[0];
      case AttemptOutcome::kFailure: return *by_outcome[1];
      case AttemptOutcome::kTimeout: return *by_outcome[2];
      case AttemptOutcome::kError: return *by_outcome[3];
      case AttemptOutcome::kGone: return *by_outcome[4];
    }
    return *by_outcome[3];
  }
};

DeliveryMetrics& Metrics() {
  static DeliveryMetrics* const m = new DeliveryMetrics();
  return *m;
}
// Registered at load, so the families are on /metrics (at 0) before the first delivery.
[[maybe_unused]] const bool kMetricsRegistered = (Metrics(), true);

FlowLimits LimitsOf(const App& app) { return FlowLimits{app.parallelism, app.rate_per_second}; }

// Ready applications compared for the next free slot.
constexpr size_t kFairScan = 64;
}  // namespace

struct DeliveryEngine::InFlight {
  Slot slot;
  AttemptTicket ticket;
  std::shared_ptr<const App> app;
  int64_t started_ms = 0;
};

namespace {

bool KeyLess(int64_t due_a, uint64_t id_a, int64_t due_b, uint64_t id_b) {
  return due_a != due_b ? due_a < due_b : id_a < id_b;
}
}  // namespace

DeliveryEngine::DeliveryEngine(TaskService& tasks, AppRegistry& apps, CallbackClient& client,
                               DueSource& loader, const Clock& clock, DeliveryEngineOptions opts)
    : tasks_(tasks), apps_(apps), client_(client), loader_(loader), clock_(clock), opts_(opts),
      flow_(FlowControl::Options{opts.max_per_app, opts.auto_pause_after,
                                 opts.auto_pause_window_ms}) {}

DeliveryEngine::~DeliveryEngine() { Stop(); }

void DeliveryEngine::Start() {
  std::lock_guard<std::mutex> l(mu_);
  running_ = true;
  stopping_.store(false);
  shutting_down_.store(false);
}

void DeliveryEngine::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!running_) return;
    running_ = false;
  }
  stopping_.store(true);
  // Attempts in flight get their grace period; then they are aborted and handed back.
  const int64_t deadline = clock_.MonoMs() + opts_.grace_ms;
  while (in_flight_total_.load() > 0 && clock_.MonoMs() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  shutting_down_.store(true);
  if (in_flight_total_.load() > 0) {
    log::Warn("dispatch.grace_expired",
              {{"in_flight", static_cast<uint64_t>(in_flight_total_.load())}});
    tasks_.CancelAllInFlight();
    client_.AbortAll();
    const int64_t abort_deadline = clock_.MonoMs() + 5'000;
    while (in_flight_total_.load() > 0 && clock_.MonoMs() < abort_deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
}

void DeliveryEngine::Submit(std::vector<TimerService::Fired>& batch) {
  if (!loader_.may_attempt()) {
    // A shared store whose leases this node may have lost: another node may own these
    // entries now. Hand them back; they run here once the leases are renewed.
    for (const TimerService::Fired& f : batch) loader_.Rewind(f.id, f.due_wall_ms);
    return;
  }
  if (batch.empty()) return;
  // Shared out over the loops, so a burst is begun and signed on every core.
  const size_t parts = std::min<size_t>(static_cast<size_t>(client_.loops()), batch.size());
  const size_t per = (batch.size() + parts - 1) / parts;
  for (size_t p = 0; p < parts; ++p) {
    auto items = std::make_shared<std::vector<Item>>();
    const size_t end = std::min(batch.size(), (p + 1) * per);
    items->reserve(end - p * per);
    for (size_t i = p * per; i < end; ++i) items->push_back({batch[i].id, batch[i].due_wall_ms});
    client_.Post([this, items] { RunFresh(*items, 0); });
  }
}

void DeliveryEngine::RunFresh(const std::vector<Item>& items, size_t from) {
  const size_t end = std::min(items.size(), from + kFreshChunk);
  if (end < items.size()) {
    // The rest after this loop's I/O: a burst of 100 000 must not hold back the sending of
    // its first attempts until all of it is begun.
    auto rest = std::make_shared<std::vector<Item>>(items.begin() + end, items.end());
    client_.Post([this, rest] { RunFresh(*rest, 0); });
  }
  if (stopping_.load()) return;  // what is not begun stays due in storage
  std::vector<std::pair<uint64_t, int64_t>> due;
  due.reserve(end - from);
  for (size_t i = from; i < end; ++i) due.emplace_back(items[i].id, items[i].due_ms);
  // One store read for the chunk: on PostgreSQL one round trip instead of kFreshChunk.
  std::vector<Result<std::optional<AttemptTicket>>> begun_all = tasks_.BeginAttempts(due);
  if (begin_failing_.load(std::memory_order_relaxed) && !begun_all.empty() &&
      begun_all.front().ok()) {
    BeginRecovered();
  }
  for (size_t i = from; i < end; ++i) {
    const Item& item = items[i];
    Result<std::optional<AttemptTicket>>& begun = begun_all[i - from];
    if (!begun.ok()) {
      BeginFailed(item, begun.status());
      continue;
    }
    if (!begun->has_value()) continue;  // stale timer
    auto f = std::make_unique<InFlight>();
    f->ticket = std::move(**begun);
    std::shared_ptr<const App> app = apps_.Find(f->ticket.task.app_key);
    if (!app) {
      log::Error("dispatch.unknown_app", {{"task_id", item.id}, {"app", f->ticket.task.app_key}});
      tasks_.AbandonAttempt(f->ticket);
      continue;
    }
    const std::string& key = app->app_key;
    bool go = false;
    {
      std::lock_guard<std::mutex> l(mu_);
      AppQueue& q = queues_[key];
      if (stopping_.load()) {
      } else if (app->pause != PauseKind::kNone) {
        DropLocked(q, key, item, app->pause == PauseKind::kAuto);
      } else if (!q.parked.empty() || in_flight_ >= opts_.max_in_flight) {
        // Behind its application's earlier items, or waiting for room in the server.
        ParkLocked(q, key, item);
        if (q.parked.size() == 1) MakeReadyLocked(q, key);
      } else {
        int64_t until = 0;
        switch (flow_.TryStart(key, LimitsOf(*app), clock_.WallMs(), &until)) {
          case FlowControl::Verdict::kGo:
            ++in_flight_;
            in_flight_total_.fetch_add(1);
            go = true;
            break;
          case FlowControl::Verdict::kWindowFull:
            ParkLocked(q, key, item);
            break;
          case FlowControl::Verdict::kWaitUntil:
            ParkLocked(q, key, item);
            ArmTimerLocked(q, key, until);
            break;
        }
      }
    }
    if (go) {
      f->slot = Slot{item, key, true};
      f->app = std::move(app);
      Send(std::move(f));
    } else {
      tasks_.AbandonAttempt(f->ticket);
    }
  }
}

void DeliveryEngine::ParkLocked(AppQueue& q, const std::string&, const Item& item) {
  // An item can come twice (a rewind hands over again what is already parked): keep one.
  if (parked_ids_.insert(item.id).second) q.parked.push_back(item);
}

void DeliveryEngine::DropLocked(AppQueue& q, const std::string& app_key, const Item& item,
                                bool auto_paused) {
  if (!q.has_dropped ||
      KeyLess(item.due_ms, item.id, q.lowest_dropped.due_ms, q.lowest_dropped.id)) {
    q.lowest_dropped = item;
  }
  q.has_dropped = true;
  q.probe_candidate = item;
  if (auto_paused) ArmProbeLocked(q, app_key);
}

void DeliveryEngine::MakeReadyLocked(AppQueue& q, const std::string& app_key) {
  if (q.in_ready || q.timer_armed || q.parked.empty()) return;
  q.in_ready = true;
  ready_.push_back(app_key);
}

void DeliveryEngine::ArmTimerLocked(AppQueue& q, const std::string& app_key, int64_t at_wall_ms) {
  if (q.timer_armed) return;
  q.timer_armed = true;
  if (q.in_ready) {
    q.in_ready = false;
    ready_.erase(std::find(ready_.begin(), ready_.end(), app_key));
  }
  client_.PostAfter(at_wall_ms - clock_.WallMs(), [this, app_key] {
    {
      std::lock_guard<std::mutex> l(mu_);
      AppQueue& q = queues_[app_key];
      q.timer_armed = false;
      MakeReadyLocked(q, app_key);
    }
    Pump();
  });
}

void DeliveryEngine::ArmProbeLocked(AppQueue& q, const std::string& app_key) {
  if (q.probe_armed) return;
  q.probe_armed = true;
  client_.PostAfter(opts_.probe_interval_ms, [this, app_key] { RunProbe(app_key); });
}

void DeliveryEngine::Pump() {
  for (;;) {
    std::vector<Slot> starts;
    {
      std::lock_guard<std::mutex> l(mu_);
      if (stopping_.load()) return;
      const int64_t now = clock_.WallMs();
      while (in_flight_ < opts_.max_in_flight && !ready_.empty()) {
        // The ready application with the fewest attempts in flight goes first (among the
        // first kFairScan of the ring): applications whose receivers hold their slots long
        // (slow, hanging) cannot take the free slots from one that answers at once.
        auto pick = ready_.begin();
        int fewest = flow_.InFlight(*pick);
        const size_t scan = std::min(ready_.size(), kFairScan);
        for (size_t i = 1; i < scan && fewest > 0; ++i) {
          const int n = flow_.InFlight(ready_[i]);
          if (n < fewest) {
            fewest = n;
            pick = ready_.begin() + static_cast<std::ptrdiff_t>(i);
          }
        }
        const std::string key = std::move(*pick);
        ready_.erase(pick);
        AppQueue& q = queues_[key];
        q.in_ready = false;
        if (q.parked.empty()) continue;
        std::shared_ptr<const App> app = apps_.Find(key);
        if (!app || app->pause != PauseKind::kNone) {
          for (const Item& item : q.parked) {
            parked_ids_.erase(item.id);
            if (app) DropLocked(q, key, item, app->pause == PauseKind::kAuto);
          }
          q.parked.clear();
          continue;
        }
        int64_t until = 0;
        switch (flow_.TryStart(key, LimitsOf(*app), now, &until)) {
          case FlowControl::Verdict::kGo: {
            const Item item = q.parked.front();
            q.parked.pop_front();
            parked_ids_.erase(item.id);
            ++in_flight_;
            in_flight_total_.fetch_add(1);
            starts.push_back(Slot{item, key, true});
            MakeReadyLocked(q, key);  // to the back of the ring: the next app goes first
            break;
          }
          case FlowControl::Verdict::kWaitUntil:
            ArmTimerLocked(q, key, until);
            break;
          case FlowControl::Verdict::kWindowFull:
            break;  // EndSlot of one of its attempts makes it ready again
        }
      }
    }
    if (starts.empty()) return;
    if (LaunchAll(starts)) return;  // else the stale ones' slots came free: look again
  }
}

bool DeliveryEngine::LaunchAll(const std::vector<Slot>& starts) {
  bool all = true;
  std::vector<std::pair<uint64_t, int64_t>> due;
  for (size_t from = 0; from < starts.size(); from += kFreshChunk) {
    const size_t end = std::min(starts.size(), from + kFreshChunk);
    due.clear();
    for (size_t i = from; i < end; ++i) due.emplace_back(starts[i].item.id, starts[i].item.due_ms);
    // One store read per chunk, as in RunFresh: on PostgreSQL an application held to its
    // window or rate would otherwise cost the loop one round trip per attempt.
    std::vector<Result<std::optional<AttemptTicket>>> begun = tasks_.BeginAttempts(due);
    for (size_t i = from; i < end; ++i) all &= Start(starts[i], std::move(begun[i - from]));
  }
  return all;
}

bool DeliveryEngine::Start(const Slot& s, Result<std::optional<AttemptTicket>> begun) {
  std::shared_ptr<const App> app = apps_.Find(s.app_key);
  if (begun.ok() && begun->has_value()) {
    if (app) {
      auto f = std::make_unique<InFlight>();
      f->slot = s;
      f->ticket = std::move(**begun);
      f->app = std::move(app);
      Send(std::move(f));
      return true;
    }
    tasks_.AbandonAttempt(**begun);  // the application was deleted while the item waited
  }
  if (!begun.ok()) BeginFailed(s.item, begun.status());
  std::lock_guard<std::mutex> l(mu_);
  if (s.counted) {
    if (app) flow_.Unstart(s.app_key, LimitsOf(*app));
    --in_flight_;
  }
  in_flight_total_.fetch_sub(1);
  MakeReadyLocked(queues_[s.app_key], s.app_key);
  return false;
}

void DeliveryEngine::BeginRecovered() {
  std::lock_guard<std::mutex> l(begin_log_mu_);
  if (begin_failing_.exchange(false)) begin_log_.Succeeded(clock_.MonoMs());
}

void DeliveryEngine::BeginFailed(const Item& item, const Status& status) {
  {
    std::lock_guard<std::mutex> l(begin_log_mu_);
    begin_failing_.store(true);
    begin_log_.Failed("task " + std::to_string(item.id) + ": " + status.message(),
                      clock_.MonoMs());
  }
  // Storage did not answer (the database unreachable): without the rewind the entry would
  // wait for a restart, and on PostgreSQL the lease this node goes on renewing would keep it
  // from the other nodes too. Another failure (a record unreadable) would only repeat.
  if (status.code() == Code::kUnavailable) loader_.Rewind(item.id, item.due_ms);
}

void DeliveryEngine::Send(std::unique_ptr<InFlight> f) {
  const int64_t now = clock_.WallMs();
  if (shutting_down_.load()) {
    tasks_.AbandonAttempt(f->ticket);
    EndSlot(f->slot, LimitsOf(*f->app), FlowControl::Signal::kNone, false, now, 0);
    return;
  }
  // The wheel may fire up to 1 ms early (both clock readings drop sub-milliseconds); a
  // callback must never go out before its due time.
  if (f->slot.item.due_ms > now) {
    const int64_t wait = f->slot.item.due_ms - now;
    client_.PostAfter(wait, [this, p = f.release()] { Send(std::unique_ptr<InFlight>(p)); });
    return;
  }
  f->started_ms = now;
  const Task& task = f->ticket.task;
  CallbackRequest req;
  req.url = f->app->link_url;
  req.body = BuildCallbackBody(task, task.round + 1);
  req.headers = BuildCallbackHeaders(*f->app, task, req.body, now);
  req.timeout_ms = task.timeout_ms;
  req.cancel = f->ticket.cancel.get();
  // The client calls back exactly once, so the raw pointer is owned again there.
  client_.Send(std::move(req), [this, p = f.release()](CallbackResult res) {
    OnResult(std::unique_ptr<InFlight>(p), std::move(res));
  });
}

void DeliveryEngine::OnResult(std::unique_ptr<InFlight> f, CallbackResult res) {
  const Slot& s = f->slot;
  const std::shared_ptr<const App>& app = f->app;
  AttemptTicket* ticket = &f->ticket;
  const int64_t started_ms = f->started_ms;
  const FlowLimits limits = LimitsOf(*app);
  if (shutting_down_.load()) {
    // Handed back: no record, the due entry stays, the attempt repeats after restart.
    tasks_.AbandonAttempt(*ticket);
    EndSlot(s, limits, FlowControl::Signal::kNone, false, started_ms, 0);
    return;
  }
  if (res.local_error) {
    // Not the receiver's doing: nothing is recorded, and the item tries again shortly.
    Metrics().local_errors.Inc();
    log::Warn("delivery.local_error", {{"task_id", s.item.id}, {"error", res.error}});
    tasks_.AbandonAttempt(*ticket);
    EndSlot(s, limits, FlowControl::Signal::kNone, false, started_ms, 0);
    const Item item = s.item;
    client_.PostAfter(opts_.local_error_retry_ms, [this, item] { RunFresh({item}, 0); });
    return;
  }
  const uint32_t number = ticket->task.round + 1;
  const bool first_attempt = ticket->task.round == 0;
  Attempt attempt;
  attempt.started_ms = started_ms;
  attempt.duration_ms = res.duration_ms;
  attempt.http_status = res.http_status;
  attempt.outcome = ClassifyOutcome(res, app->success_mode);
  // Every failed attempt says why in words (model/task.h FailureReason).
  attempt.error = FailureReason(attempt.outcome, res.http_status, res.error);
  attempt.response = res.body_prefix;
  const int64_t now = clock_.WallMs();
  int64_t hold_until = 0;
  if ((res.http_status == 429 || res.http_status == 503) && res.retry_after_wall_ms > now) {
    hold_until = std::min(res.retry_after_wall_ms, now + opts_.max_retry_after_ms);
    // Why the next attempt is so far off, in the task's history ("HTTP 429 (Retry-After
    // 3600 s)"): the wait as applied, after the cap.
    attempt.error += " (Retry-After " + std::to_string((hold_until - now + 999) / 1000) + " s)";
  }
  DeliveryMetrics& m = Metrics();
  m.Outcome(attempt.outcome).Inc();
  const int64_t late_ms = std::max<int64_t>(0, started_ms - s.item.due_ms);
  (first_attempt ? m.lateness_first : m.lateness_retry).Observe(late_ms / 1000.0);
  m.duration.Observe(static_cast<double>(res.duration_ms) / 1000.0);
  const bool failed = attempt.outcome != AttemptOutcome::kSuccess;
  if (failed) {
    log::Info("delivery.failed", {{"task_id", s.item.id}, {"attempt", number},
                                  {"status", res.http_status},
                                  {"outcome", AttemptOutcomeName(attempt.outcome)},
                                  {"error", attempt.error}});
  }
  const bool congested =
      res.connection_failed || res.http_status == 429 || res.http_status == 503;
  const FlowControl::Signal signal = congested ? FlowControl::Signal::kCongested
                                     : res.http_status != 0 ? FlowControl::Signal::kAnswered
                                                            : FlowControl::Signal::kNoAnswer;
  // The application's state first (a Retry-After hold, the window), then the record: once
  // anyone can read this attempt, its hold is already in force. The task stays in flight
  // until the record is written, so the freed slot cannot begin it again.
  EndSlot(s, limits, signal, failed, started_ms, hold_until);
  tasks_.FinishAttempt(std::move(*ticket), *app, std::move(attempt), hold_until);
}

void DeliveryEngine::EndSlot(const Slot& s, const FlowLimits& limits, FlowControl::Signal signal,
                             bool failed, int64_t started_ms, int64_t hold_until_ms) {
  bool pause = false;
  int failures = 0;
  {
    std::lock_guard<std::mutex> l(mu_);
    failures = flow_.ConsecutiveFailures(s.app_key) + 1;
    pause = flow_.End(s.app_key, limits, s.counted, signal, failed, started_ms, clock_.WallMs(),
                      hold_until_ms);
    if (s.counted) --in_flight_;
    in_flight_total_.fetch_sub(1);
    MakeReadyLocked(queues_[s.app_key], s.app_key);
  }
  if (!s.counted && signal != FlowControl::Signal::kNone) {
    // A probe of an auto-paused application.
    if (!failed) {
      Metrics().probe_ok.Inc();
      ResumeAfterProbe(s.app_key);
    } else {
      Metrics().probe_failed.Inc();
      std::lock_guard<std::mutex> l(mu_);
      ArmProbeLocked(queues_[s.app_key], s.app_key);
    }
  }
  if (pause && s.counted) AutoPause(s.app_key, failures);
  Pump();
}

void DeliveryEngine::RunProbe(const std::string& app_key) {
  Item candidate{0, 0};
  {
    std::lock_guard<std::mutex> l(mu_);
    AppQueue& q = queues_[app_key];
    q.probe_armed = false;
    if (stopping_.load() || !q.has_dropped) return;  // nothing due: armed again by a drop
    std::shared_ptr<const App> app = apps_.Find(app_key);
    if (!app || app->pause != PauseKind::kAuto) return;
    candidate = q.probe_candidate;
    in_flight_total_.fetch_add(1);
  }
  const Slot probe{candidate, app_key, false};
  Result<std::optional<AttemptTicket>> begun = tasks_.BeginAttempt(candidate.id, candidate.due_ms);
  if (begun.ok() && begun->has_value()) {
    (*begun)->probe = true;
    log::Info("app.probe", {{"app", app_key}, {"task_id", candidate.id}});
  }
  if (!Start(probe, std::move(begun))) {
    // The candidate is no longer due (cancelled, retried): hand the dropped items over again,
    // which drops them anew and leaves a current candidate for the next probe.
    RewindDropped(app_key);
    std::lock_guard<std::mutex> l(mu_);
    ArmProbeLocked(queues_[app_key], app_key);
  }
}

void DeliveryEngine::RewindDropped(const std::string& app_key) {
  Item lowest{0, 0};
  {
    std::lock_guard<std::mutex> l(mu_);
    AppQueue& q = queues_[app_key];
    if (!q.has_dropped) return;
    lowest = q.lowest_dropped;
    q.has_dropped = false;
  }
  loader_.Rewind(lowest.id, lowest.due_ms);
}

void DeliveryEngine::AutoPause(const std::string& app_key, int failures) {
  const int64_t now = clock_.WallMs();
  const std::string reason =
      "auto: " + std::to_string(failures) + " failed attempts in a row over at least " +
      std::to_string(opts_.auto_pause_window_ms / 1000) + " s";
  Result<std::shared_ptr<const App>> r = apps_.Update(app_key, [&](App& a) {
    if (a.pause != PauseKind::kNone) return Status::Conflict("already paused");
    a.pause = PauseKind::kAuto;
    a.pause_reason = reason;
    a.paused_ms = now;
    return Status::Ok();
  });
  if (!r.ok()) {
    if (r.status().code() != Code::kConflict) {
      log::Error("app.auto_pause_failed", {{"app", app_key}, {"error", r.status().message()}});
    }
    return;
  }
  Metrics().auto_pauses.Inc();
  log::Warn("app.auto_paused", {{"app", app_key}, {"reason", reason},
                                {"probe_every_s", opts_.probe_interval_ms / 1000}});
  AppChanged(app_key);
}

void DeliveryEngine::ResumeAfterProbe(const std::string& app_key) {
  Result<std::shared_ptr<const App>> r = apps_.Update(app_key, [](App& a) {
    if (a.pause != PauseKind::kAuto) return Status::Conflict("not auto-paused");
    a.pause = PauseKind::kNone;
    a.pause_reason.clear();
    a.paused_ms = 0;
    return Status::Ok();
  });
  if (!r.ok()) {
    if (r.status().code() != Code::kConflict) {
      log::Error("app.resume_failed", {{"app", app_key}, {"error", r.status().message()}});
    }
    return;
  }
  log::Info("app.resumed", {{"app", app_key}, {"by", "probe"}});
  AppChanged(app_key);
}

void DeliveryEngine::AppChanged(const std::string& app_key) {
  std::shared_ptr<const App> app = apps_.Find(app_key);
  std::optional<Item> rewind;
  {
    std::lock_guard<std::mutex> l(mu_);
    AppQueue& q = queues_[app_key];
    if (app && app->pause != PauseKind::kNone) {
      const bool auto_paused = app->pause == PauseKind::kAuto;
      for (const Item& item : q.parked) {
        parked_ids_.erase(item.id);
        DropLocked(q, app_key, item, auto_paused);
      }
      q.parked.clear();
      if (q.in_ready) {
        q.in_ready = false;
        ready_.erase(std::find(ready_.begin(), ready_.end(), app_key));
      }
    } else {
      flow_.Reset(app_key);
      if (q.has_dropped) {
        rewind = q.lowest_dropped;
        q.has_dropped = false;
      }
      MakeReadyLocked(q, app_key);
    }
  }
  if (rewind) loader_.Rewind(rewind->id, rewind->due_ms);
  client_.Post([this] { Pump(); });  // a larger parallelism may let more start
}

size_t DeliveryEngine::queued() const {
  std::lock_guard<std::mutex> l(mu_);
  return parked_ids_.size();
}

std::vector<AppDeliveryView> DeliveryEngine::Views() const {
  std::vector<AppDeliveryView> out;
  std::lock_guard<std::mutex> l(mu_);
  for (const auto& [key, q] : queues_) {
    std::shared_ptr<const App> app = apps_.Find(key);
    if (!app) continue;
    AppDeliveryView v;
    v.app_key = key;
    v.in_flight = flow_.InFlight(key);
    v.window = flow_.Window(key, LimitsOf(*app));
    v.queued = q.parked.size();
    v.dropped = q.has_dropped;
    v.hold_until_ms = flow_.HoldUntil(key);
    v.consecutive_failures = flow_.ConsecutiveFailures(key);
    v.attempts = flow_.Ended(key);
    v.failed_attempts = flow_.EndedFailed(key);
    out.push_back(std::move(v));
  }
  return out;
}

std::optional<AppDeliveryView> DeliveryEngine::View(const std::string& app_key) const {
  for (AppDeliveryView& v : Views()) {
    if (v.app_key == app_key) return std::move(v);
  }
  return std::nullopt;
}

}  // namespace tock
