// FirePath: the thread that turns fired schedule timers into their messages, apart from the
// delivery engine, so that fires keep time however busy deliveries are.
//
// The timer thread hands over schedule timers (Submit never blocks); the fire thread takes
// every timer waiting at that moment and fires them as one group (ScheduleService::FireBatch:
// one synced write for the whole group). Schedule timers come up to the fire lead
// (kFireLeadMs) before their fire time, so the message is written ahead and its delivery is
// due exactly at the fire time.
//
// Threads: one fire thread (Start/Stop from the owner); Submit from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace tock {

class ScheduleService;

class FirePath {
 public:
  // How far ahead of its fire time a schedule timer is handed over.
  static constexpr int64_t kFireLeadMs = 1000;
  // Timers fired together at most (bounds one batch's size and lock set).
  static constexpr size_t kMaxGroup = 4096;

  explicit FirePath(ScheduleService& schedules) : schedules_(schedules) {}
  ~FirePath() { Stop(); }
  FirePath(const FirePath&) = delete;
  FirePath& operator=(const FirePath&) = delete;

  void Start();
  // Fires still waiting are dropped: their due entries stay, and they fire after restart.
  void Stop();
  void Submit(const std::vector<std::pair<uint64_t, int64_t>>& timers);

 private:
  void Run();

  ScheduleService& schedules_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<uint64_t, int64_t>> queue_;  // GUARDED_BY(mu_)
  bool stop_ = false;                                // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace tock
