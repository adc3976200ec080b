// DeliveryEngine: turns fired task timers into signed callback attempts, thousands at a time,
// on the callback client's few event-loop threads, with flow control per application.
//
//   timer thread --Submit(ids)--> loop thread: BeginAttempt, admit (FlowControl), sign,
//   CallbackClient::Send --answer--> same loop: classify, FinishAttempt (recorder thread),
//   End (window, Retry-After hold, auto-pause) --> start what now may start
//
// Admission. An attempt starts when the whole server has fewer than max_in_flight attempts
// running and its application's FlowControl says go (window, parallelism, rate, Retry-After
// hold). Otherwise the item (task id, due time) is parked on its application's queue, in
// arrival order, and nothing fails: applications with parked items that may start wait in a
// ready ring and take free slots, the one with the fewest attempts in flight first (so a
// slow receiver's backlog cannot take every slot from one that answers at once), the others
// in turn (round-robin); an application at its window waits
// for one of its attempts to end, and one waiting for a token or a hold has a timer.
//
// Pause. A paused application's items are not kept in memory: they are dropped (their due
// entries stay in storage, untouched) and the lowest dropped due key is remembered; resuming
// rewinds the due loader to it, which hands them over again. An automatically paused
// application gets one probe attempt every probe_interval_ms; a successful probe resumes it.
//
// A local failure (no descriptor for a socket) is not an attempt: nothing is recorded and
// the item comes back after local_error_retry_ms.
//
// Shutdown (Stop): no new attempts start; attempts in flight get grace_ms, then are aborted
// and handed back unrecorded (their due entries stay: they run again after restart with the
// same webhook-id).
//
// Threads: Submit from the timer thread; AppChanged from any thread; Start/Stop from the
// owner. Everything else runs on the client's loop threads. One mutex guards the queues and
// the FlowControl; it is never held while reading storage, signing or sending.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/clock.h"
#include "common/repeat_log.h"
#include "common/status.h"
#include "dispatch/delivery_view.h"
#include "dispatch/flow_control.h"
#include "wheel/timer_service.h"

namespace tock {

struct App;
class AppRegistry;
struct AttemptTicket;
class CallbackClient;
struct CallbackResult;
class DueSource;
class TaskService;

struct DeliveryEngineOptions {
  int max_in_flight = 10'000;
  int max_per_app = 1'000;
  int64_t grace_ms = 10'000;
  int auto_pause_after = 200;            // 0: never
  int64_t auto_pause_window_ms = 600'000;
  int64_t probe_interval_ms = 60'000;
  int64_t local_error_retry_ms = 1'000;
  int64_t max_retry_after_ms = 3'600'000;
};

class DeliveryEngine {
 public:
  DeliveryEngine(TaskService& tasks, AppRegistry& apps, CallbackClient& client, DueSource& loader,
                 const Clock& clock, DeliveryEngineOptions opts);
  ~DeliveryEngine();
  DeliveryEngine(const DeliveryEngine&) = delete;
  DeliveryEngine& operator=(const DeliveryEngine&) = delete;

  void Start();
  void Stop();

  // Fired task timers (timer thread; never blocks).
  void Submit(std::vector<TimerService::Fired>& batch);
  // An application was paused, resumed or had its flow settings changed (already stored
  // and published in the AppRegistry): drops or hands back its queued work accordingly.
  void AppChanged(const std::string& app_key);

  size_t queued() const;
  size_t in_flight() const { return static_cast<size_t>(in_flight_total_.load()); }
  std::vector<AppDeliveryView> Views() const;
  std::optional<AppDeliveryView> View(const std::string& app_key) const;

 private:
  struct Item {
    uint64_t id;
    int64_t due_ms;
  };
  struct AppQueue {
    std::deque<Item> parked;
    bool in_ready = false;      // in ready_
    bool timer_armed = false;   // a token / hold timer will put it back in ready_
    bool has_dropped = false;   // paused: items dropped since; rewind to `lowest_dropped`
    Item lowest_dropped{0, 0};
    Item probe_candidate{0, 0};
    bool probe_armed = false;
  };
  // What LaunchAll needs of an item about to start.
  struct Slot {
    Item item;
    std::string app_key;
    bool counted = true;  // in FlowControl (false: a probe)
  };

  // Loop thread: items fresh from the timers, kFreshChunk at a time from `from` (the rest
  // is posted back to the loop, so sending starts while a burst is still being begun).
  static constexpr size_t kFreshChunk = 32;
  void RunFresh(const std::vector<Item>& items, size_t from);
  // REQUIRES: mu_ held. Parks (dedup by id) or drops an item of app_key.
  void ParkLocked(AppQueue& q, const std::string& app_key, const Item& item);
  void DropLocked(AppQueue& q, const std::string& app_key, const Item& item, bool auto_paused);
  void MakeReadyLocked(AppQueue& q, const std::string& app_key);
  // Starts whatever may start now, round-robin over ready applications.
  void Pump();
  // One attempt from its start to its result: one allocation, passed to the client's
  // callback as a raw pointer (so the callback fits std::function's small buffer).
  struct InFlight;
  // Begins admitted items (kFreshChunk per store read) and sends them; false if any did not
  // start (a stale task, a failed read, its application gone): their slots are given back.
  bool LaunchAll(const std::vector<Slot>& starts);
  // Sends an admitted item whose attempt `begun` began; else gives its slot back (false).
  bool Start(const Slot& s, Result<std::optional<AttemptTicket>> begun);
  // BeginAttempt failed for item: logged (through begin_log_: while the database is down
  // every due task fails so, and a line each would bury the log); when storage did not
  // answer, the item goes back to the loader (its timer is spent, its entry still due), to
  // be armed once storage answers.
  void BeginFailed(const Item& item, const Status& status);
  // A begin read storage again after failures: begin_log_'s recovery line.
  void BeginRecovered();
  void Send(std::unique_ptr<InFlight> f);
  void OnResult(std::unique_ptr<InFlight> f, CallbackResult res);
  // The item's slot is free again: FlowControl::End, wake the application, pump.
  void EndSlot(const Slot& s, const FlowLimits& limits, FlowControl::Signal signal, bool failed,
               int64_t started_ms, int64_t hold_until_ms);
  void ArmTimerLocked(AppQueue& q, const std::string& app_key, int64_t at_wall_ms);
  void ArmProbeLocked(AppQueue& q, const std::string& app_key);
  void RunProbe(const std::string& app_key);
  void AutoPause(const std::string& app_key, int failures);
  void ResumeAfterProbe(const std::string& app_key);
  void RewindDropped(const std::string& app_key);

  TaskService& tasks_;
  AppRegistry& apps_;
  CallbackClient& client_;
  DueSource& loader_;
  const Clock& clock_;
  const DeliveryEngineOptions opts_;

  mutable std::mutex mu_;
  FlowControl flow_;                                  // GUARDED_BY(mu_)
  std::unordered_map<std::string, AppQueue> queues_;  // GUARDED_BY(mu_)
  std::deque<std::string> ready_;                     // GUARDED_BY(mu_)
  std::unordered_set<uint64_t> parked_ids_;           // GUARDED_BY(mu_)
  int in_flight_ = 0;                                 // GUARDED_BY(mu_): counted attempts
  bool running_ = false;                              // GUARDED_BY(mu_)
  std::atomic<bool> stopping_{false};
  std::mutex begin_log_mu_;  // loop threads share begin_log_
  RepeatLog begin_log_{"dispatch.begin_failed", log::Level::kError};  // GUARDED_BY(begin_log_mu_)
  std::atomic<bool> begin_failing_{false};  // a line of begin_log_ awaits its recovery
  std::atomic<bool> shutting_down_{false};            // grace over: results are handed back
  std::atomic<int64_t> in_flight_total_{0};           // attempts on the wire (probes too)
};

}  // namespace tock
