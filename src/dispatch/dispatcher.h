// Dispatcher: the worker pool that turns fired timers into signed callback attempts.
//
// The timer thread hands over batches of (task id, due time) through Submit(), which only
// queues and never blocks on I/O. A fixed pool of worker threads takes items off the queue,
// begins an attempt (TaskService), signs and sends it (Sender), and records the outcome.
//
// Concurrency limits: at most `workers` attempts in flight in total (one per thread), and
// per application at most its AppLimiter limit (1..max_per_app: it grows while the receiver
// answers and halves when attempts time out). An item whose application is at its limit is
// parked on that application's queue and released when one of its attempts ends, so a
// receiver that hangs occupies a few workers, not max_per_app, and the others keep
// delivering.
//
// Schedule timers: an item whose id has keys::kScheduleTimerBit set is a schedule's fire;
// it goes to ScheduleService::Fire (which creates the message task) instead of a callback.
//
// Shutdown (Stop): no new attempts start; attempts in flight get `grace_ms` to finish, then
// are cancelled and handed back unrecorded (their due entries stay, so they run again after
// restart with the same webhook-id).
//
// Thread-safety: Submit from any thread; Start/Stop from the owner.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "dispatch/app_limiter.h"
#include "wheel/timer_service.h"

namespace tock {

struct App;
class AppRegistry;
struct AttemptTicket;
class ScheduleService;
class Sender;
class TaskService;
struct CallbackResult;

struct DispatcherOptions {
  int workers = 64;
  int max_per_app = 32;
  int64_t grace_ms = 10'000;
};

class Dispatcher {
 public:
  // `schedules` may be null (no schedule timers are then expected).
  Dispatcher(TaskService& tasks, AppRegistry& apps, Sender& sender, const Clock& clock,
             DispatcherOptions opts, ScheduleService* schedules = nullptr);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void Start();
  void Stop();
  void Submit(std::vector<TimerService::Fired>& batch);

  size_t queued() const;
  size_t busy() const { return busy_.load(); }
  // Attempts in flight per application (for metrics).
  std::vector<std::pair<std::string, int>> InFlightByApp() const;

 private:
  struct Item {
    uint64_t id;
    int64_t due_ms;
  };
  void WorkerLoop();
  // Runs a popped item, then (holding its application's slot) that application's parked
  // items for as long as there are any.
  void RunItem(Item item);
  // BeginAttempt plus the application's lookup; nullopt when there is nothing to send.
  std::optional<AttemptTicket> Begin(const Item& item, std::shared_ptr<const App>* app);
  // Sends one attempt and records its outcome. REQUIRES: the caller holds an app slot.
  // Returns what the attempt's end says about the receiver (kNone: handed back).
  AppLimiter::Signal Deliver(const Item& item, const App& app, AttemptTicket ticket);
  // Called by the holder of a slot of `app_key` when its attempt is over: moves the slot to
  // the application's next parked item (returned in *next, true) or frees it (false).
  // `signal` (from Deliver) adjusts the application's limit first.
  bool PassAppSlot(const std::string& app_key, AppLimiter::Signal signal, Item* next);

  TaskService& tasks_;
  AppRegistry& apps_;
  Sender& sender_;
  const Clock& clock_;
  const DispatcherOptions opts_;
  ScheduleService* const schedules_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;                                     // GUARDED_BY(mu_)
  std::unordered_map<std::string, int> app_busy_;              // GUARDED_BY(mu_)
  std::unordered_map<std::string, std::deque<Item>> parked_;   // GUARDED_BY(mu_)
  AppLimiter limiter_{opts_.max_per_app};                      // GUARDED_BY(mu_)
  bool stopping_ = false;                                      // GUARDED_BY(mu_)
  std::atomic<size_t> busy_{0};
  std::atomic<bool> shutting_down_{false};
  std::vector<std::thread> threads_;

};

}  // namespace tock
