// DESIGN
// One mutex guards the shared queue, the per-application busy counts and the parked
// queues; it is never held while sending or touching storage. A worker:
//   1. pops an item (or waits);
//   2. BeginAttempt reads the task; a stale timer ends here;
//   3. takes an application slot, or parks the item on the application's queue and
//      abandons the attempt (the task stays due; the item comes back when a slot frees);
//   4. builds, signs and sends the callback; classifies the answer;
//   5. hands the outcome to FinishAttempt, which records it (asynchronously, in groups)
//      and schedules a retry;
//   6. hands its slot to the next parked item of the same application and runs that item
//      itself (step 2), or gives the slot back and returns to step 1.
// Step 6 keeps a busy application's items on the worker that already runs them: no wake-up
// of another thread and no trip through the shared queue per delivery, which is what a
// burst for one application (more due items than its slots) costs otherwise.

#include "dispatch/dispatcher.h"

#include <algorithm>

#include "callback/sender.h"
#include "common/log.h"
#include "dispatch/callback_builder.h"
#include "dispatch/outcome.h"
#include "metrics/metrics.h"
#include "schedules/schedule_service.h"
#include "storage/keys.h"
#include "tasks/app_registry.h"
#include "tasks/task_service.h"

namespace tock {

namespace {
// Metrics of the dispatcher, all of them (process registry, metrics/metrics.h).
//   tock_deliveries_total{outcome}            attempts recorded, by outcome
//   tock_delivery_lateness_seconds{attempt}   attempt start (wall) minus due time; attempt is
//                                             "first" for a task's first attempt ever,
//                                             "retry" for later ones (retries, re-runs)
//   tock_delivery_duration_seconds            time from sending to the classified answer
// Attempts handed back at shutdown are not counted (they are not recorded either).
struct DispatchMetrics {
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

DispatchMetrics& Metrics() {
  static DispatchMetrics* const m = new DispatchMetrics();
  return *m;
}
// Registered at load, so the families are on /metrics (at 0) before the first delivery.
[[maybe_unused]] const bool kMetricsRegistered = (Metrics(), true);
}  // namespace

Dispatcher::Dispatcher(TaskService& tasks, AppRegistry& apps, Sender& sender,
                       const Clock& clock, DispatcherOptions opts, ScheduleService* schedules)
    : tasks_(tasks), apps_(apps), sender_(sender), clock_(clock), opts_(opts),
      schedules_(schedules) {}

Dispatcher::~Dispatcher() { Stop(); }

void Dispatcher::Start() {
  std::lock_guard<std::mutex> l(mu_);
  if (!threads_.empty()) return;
  stopping_ = false;
  for (int i = 0; i < opts_.workers; ++i) threads_.emplace_back([this] { WorkerLoop(); });
}

void Dispatcher::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (threads_.empty()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  // Give attempts in flight their grace period, then cancel them: they are handed back.
  const int64_t deadline = clock_.MonoMs() + opts_.grace_ms;
  while (busy_.load() > 0 && clock_.MonoMs() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (busy_.load() > 0) {
    log::Warn("dispatch.grace_expired", {{"in_flight", static_cast<uint64_t>(busy_.load())}});
    shutting_down_.store(true);
    tasks_.CancelAllInFlight();
  }
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void Dispatcher::Submit(std::vector<TimerService::Fired>& batch) {
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& f : batch) queue_.push_back({f.id, f.due_wall_ms});
  }
  if (batch.size() == 1) {
    cv_.notify_one();
  } else {
    cv_.notify_all();
  }
}

size_t Dispatcher::queued() const {
  std::lock_guard<std::mutex> l(mu_);
  size_t n = queue_.size();
  for (const auto& [app, q] : parked_) n += q.size();
  return n;
}

std::vector<std::pair<std::string, int>> Dispatcher::InFlightByApp() const {
  std::lock_guard<std::mutex> l(mu_);
  return {app_busy_.begin(), app_busy_.end()};
}

void Dispatcher::WorkerLoop() {
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    cv_.wait(l, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;  // what is queued stays due in storage
    Item item = queue_.front();
    queue_.pop_front();
    busy_.fetch_add(1);
    l.unlock();
    RunItem(item);
    busy_.fetch_sub(1);
    l.lock();
  }
}

bool Dispatcher::PassAppSlot(const std::string& app_key, AppLimiter::Signal signal,
                             Item* next) {
  std::lock_guard<std::mutex> l(mu_);
  limiter_.Record(app_key, signal);
  auto p = parked_.find(app_key);
  // Passed on only while the application is within its (possibly just lowered) limit.
  if (p != parked_.end() && !stopping_ && app_busy_[app_key] <= limiter_.Limit(app_key)) {
    *next = p->second.front();
    p->second.pop_front();
    if (p->second.empty()) parked_.erase(p);
    return true;  // the slot stays counted: it now belongs to *next
  }
  auto it = app_busy_.find(app_key);
  if (it != app_busy_.end() && --it->second <= 0) app_busy_.erase(it);
  return false;
}

void Dispatcher::RunItem(Item item) {
  if (keys::IsScheduleTimer(item.id)) {
    // A schedule's fire: it writes the message task, which comes back here as a task.
    Status st = schedules_ != nullptr
                    ? schedules_->Fire(item.id, item.due_ms)
                    : Status::Internal("schedule timer fired without a schedule service");
    if (!st.ok()) {
      log::Error("dispatch.schedule_fire_failed",
                 {{"timer_id", item.id}, {"error", st.message()}});
    }
    return;
  }
  std::string slot_app;  // the application whose slot this worker holds; empty: none
  for (;;) {
    std::shared_ptr<const App> app;
    std::optional<AttemptTicket> ticket = Begin(item, &app);
    if (ticket && slot_app.empty()) {
      std::lock_guard<std::mutex> l(mu_);
      int& busy = app_busy_[app->app_key];
      if (busy >= limiter_.Limit(app->app_key)) {
        parked_[app->app_key].push_back(item);
        tasks_.AbandonAttempt(*ticket);
        return;
      }
      ++busy;
      slot_app = app->app_key;
    }
    const AppLimiter::Signal signal =
        ticket ? Deliver(item, *app, std::move(*ticket)) : AppLimiter::Signal::kNone;
    // A parked item is always of the application whose slot frees, so slot_app is its app.
    if (slot_app.empty() || !PassAppSlot(slot_app, signal, &item)) return;
  }
}

std::optional<AttemptTicket> Dispatcher::Begin(const Item& item,
                                               std::shared_ptr<const App>* app) {
  Result<std::optional<AttemptTicket>> begun = tasks_.BeginAttempt(item.id, item.due_ms);
  if (!begun.ok()) {
    log::Error("dispatch.begin_failed", {{"task_id", item.id}, {"error", begun.status().message()}});
    return std::nullopt;
  }
  if (!begun->has_value()) return std::nullopt;  // stale timer
  *app = apps_.Find((*begun)->task.app_key);
  if (!*app) {
    log::Error("dispatch.unknown_app", {{"task_id", item.id}, {"app", (*begun)->task.app_key}});
    tasks_.AbandonAttempt(**begun);
    return std::nullopt;
  }
  return std::move(*begun);
}

AppLimiter::Signal Dispatcher::Deliver(const Item& item, const App& app, AttemptTicket ticket) {
  // The wheel may fire up to 1 ms early (both clock readings drop sub-milliseconds); a
  // callback must never go out before its due time.
  const int64_t early_ms = item.due_ms - clock_.WallMs();
  if (early_ms > 0 && early_ms <= 5) {
    std::this_thread::sleep_for(std::chrono::milliseconds(early_ms));
  }

  const uint32_t number = ticket.task.round + 1;
  CallbackRequest req;
  req.url = app.link_url;
  req.body = BuildCallbackBody(ticket.task, number);
  req.headers = BuildCallbackHeaders(app, ticket.task, req.body, clock_.WallMs());
  req.timeout_ms = ticket.task.timeout_ms;
  req.cancel = ticket.cancel.get();

  Attempt attempt;
  attempt.started_ms = clock_.WallMs();
  const bool first_attempt = ticket.task.round == 0;
  CallbackResult res = sender_.Send(req);

  if (shutting_down_.load()) {
    // Handed back: no record, the due entry stays, the attempt repeats after restart.
    tasks_.AbandonAttempt(ticket);
    return AppLimiter::Signal::kNone;
  } else {
    attempt.duration_ms = res.duration_ms;
    attempt.http_status = res.http_status;
    attempt.outcome = ClassifyOutcome(res, app.success_mode);
    attempt.error = res.error;
    attempt.response = res.body_prefix;
    DispatchMetrics& m = Metrics();
    m.Outcome(attempt.outcome).Inc();
    const int64_t late_ms = std::max<int64_t>(0, attempt.started_ms - item.due_ms);
    (first_attempt ? m.lateness_first : m.lateness_retry).Observe(late_ms / 1000.0);
    m.duration.Observe(static_cast<double>(res.duration_ms) / 1000.0);
    if (attempt.outcome != AttemptOutcome::kSuccess) {
      log::Info("delivery.failed", {{"task_id", item.id}, {"attempt", number},
                                    {"status", res.http_status},
                                    {"outcome", AttemptOutcomeName(attempt.outcome)},
                                    {"error", res.error}});
    }
    const bool timed_out = attempt.outcome == AttemptOutcome::kTimeout;
    tasks_.FinishAttempt(std::move(ticket), app, std::move(attempt));
    return timed_out ? AppLimiter::Signal::kTimedOut : AppLimiter::Signal::kAnswered;
  }
}

}  // namespace tock
