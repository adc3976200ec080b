// Recorder: the healthy callback target of the fault scenarios. A HookServer
// (tests/testutil/hook_server.h: one epoll thread on 127.0.0.1, port 0) that answers 200 "success" to every
// POST and records, per taskId (from the body), every arrival: wall time, the `attempt` field,
// and whether the `webhook-id` header matched the taskId (Standard Webhooks: the id of a
// message, the same on every attempt). Also counts arrivals before the body's `scheduledAt`
// (early fires).
//
// Owned by one scenario; destroying it stops the server. Thread-safety: any thread.
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "scenario.h"
#include "testutil/hook_server.h"

namespace tock::faults {

class Recorder {
 public:
  // TCP_INFO counts in jiffies (4 ms at this kernel's HZ=250): two of them.
  static constexpr int64_t kReceivedSlackMs = 8;
  struct Arrival {
    int64_t wall_ms = 0;  // when the receiver read it: after tock sent it
    // When the kernel took it in (HookServer::kReceivedHeader), within kReceivedSlackMs of
    // when tock sent it, however far behind the receiver's loop ran: what tells a request a
    // killed tock sent just before it died from one sent after the restart.
    int64_t received_ms = 0;
    int64_t attempt = 0;
  };
  struct Task {
    std::vector<Arrival> arrivals;
    int64_t scheduled_ms = 0;
  };

  Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  bool ok() const { return server_.ok(); }
  std::string Url() const { return server_.Url(); }

  int64_t arrivals() const;
  int64_t bad_webhook_ids() const;  // webhook-id missing or not the body's taskId
  int64_t early() const;            // arrived before scheduledAt
  int64_t unparsed() const;         // bodies without a taskId
  // A copy of what arrived for taskId (empty if nothing).
  Task Get(int64_t task_id) const;
  bool Has(int64_t task_id) const;
  // Arrival times (wall ms) of first deliveries, of every task.
  std::vector<int64_t> FirstArrivals() const;
  // The earliest arrival (any task, first or repeat) after wall_ms; -1 if none yet.
  // O(arrivals): a reading at the end of a run, not a poll.
  int64_t FirstArrivalAfter(int64_t wall_ms) const;

  // Waits until every id in ids has arrived at least once; false on timeout or cancel.
  bool WaitForAll(const std::vector<int64_t>& ids, std::chrono::milliseconds timeout,
                  const std::function<bool()>& cancelled = {}) const;

 private:
  void Handle(const httplib::Request& req, httplib::Response& res);

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::unordered_map<int64_t, Task> tasks_;  // GUARDED_BY(mu_)
  int64_t arrivals_ = 0;                     // GUARDED_BY(mu_)
  int64_t bad_webhook_ids_ = 0;              // GUARDED_BY(mu_)
  int64_t early_ = 0;                        // GUARDED_BY(mu_)
  int64_t unparsed_ = 0;                     // GUARDED_BY(mu_)
  testing::HookServer server_;  // last: destroyed (stopped) first, before what Handle() touches
};

// False, with the violation "the receiver could not bind 127.0.0.1" in res, if rx did not
// start: the scenario has nothing to measure with.
bool CheckStarted(const Recorder& rx, ScenarioResult* res);

}  // namespace tock::faults
