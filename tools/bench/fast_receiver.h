// FastReceiver: the callback target of the benchmark. A HookServer (hook_server.h: one epoll
// thread on 127.0.0.1, port 0, keep-alive, tcp_nodelay) answering 200 "success" to every POST.
//
// Each delivery is recorded without a lock: the body's `"data":{"i":N}` gives the task's slot
// N in arrays preallocated by Reset(n); the slot keeps the first arrival (wall µs), the
// scheduledAt (ms) and taskId of the body, and counts hits, so duplicates are hits beyond the
// first.
// Arrivals with a slot out of range are counted as `unknown`.
//
// Owned by the driver; destroying it stops the server and joins its thread.
// Thread-safety: Reset() only while no delivery can arrive (between workloads); the other
// methods from any thread.
#pragma once

#include <httplib.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "testutil/hook_server.h"

namespace tock::bench {

class FastReceiver {
 public:
  FastReceiver();
  FastReceiver(const FastReceiver&) = delete;
  FastReceiver& operator=(const FastReceiver&) = delete;

  bool ok() const { return server_.ok(); }
  // Answers `success` this long after each request (W5); 0: at once.
  void SetLatencyMs(int ms) { server_.SetLatencyMs(ms); }
  int64_t max_pending() const { return server_.max_pending(); }
  void ResetMaxPending() { server_.ResetMaxPending(); }
  int port() const { return server_.port(); }
  std::string Url() const { return server_.Url(); }

  // Prepares slots 0..n-1 and zeroes every counter.
  void Reset(size_t n);

  int64_t arrivals() const { return arrivals_.load(std::memory_order_relaxed); }
  int64_t distinct() const { return distinct_.load(std::memory_order_relaxed); }
  int64_t unknown() const { return unknown_.load(std::memory_order_relaxed); }
  int64_t retries() const { return retries_.load(std::memory_order_relaxed); }  // attempt > 1
  int64_t last_first_arrival_us() const { return last_first_us_.load(); }

  size_t slots() const { return n_; }
  // First arrival of slot i in wall µs, 0 if none; its scheduledAt (ms); hits.
  int64_t first_arrival_us(size_t i) const { return first_us_[i].load(); }
  int64_t scheduled_ms(size_t i) const { return scheduled_ms_[i].load(); }
  uint32_t hits(size_t i) const { return hits_[i].load(); }
  int64_t task_id(size_t i) const { return task_id_[i].load(); }  // of the first arrival

 private:
  void Handle(const httplib::Request& req, httplib::Response& res);

  size_t n_ = 0;
  std::unique_ptr<std::atomic<int64_t>[]> first_us_;
  std::unique_ptr<std::atomic<int64_t>[]> scheduled_ms_;
  std::unique_ptr<std::atomic<uint32_t>[]> hits_;
  std::unique_ptr<std::atomic<int64_t>[]> task_id_;
  std::atomic<int64_t> arrivals_{0};
  std::atomic<int64_t> distinct_{0};
  std::atomic<int64_t> unknown_{0};
  std::atomic<int64_t> retries_{0};
  std::atomic<int64_t> last_first_us_{0};
  testing::HookServer server_;  // last: destroyed (stopped) first, before the slots Handle() writes
};

}  // namespace tock::bench
