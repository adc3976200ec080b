// Creators: the client load of a fault scenario. `clients` threads, each with one keep-alive
// connection (a testutil ApiClient) to one node (thread c to ports[c % ports.size()], as a
// load balancer would spread them), create tasks numbered from a shared counter until Stop()
// or the counter reaches `limit`. Every answer is kept with the moment it came: a 200 with a
// taskId is acked (the task must reach the receiver), anything else is a refusal (503 while
// the database is down) or, with no answer, a transport error (the node was killed).
//
// A thread stops at its first transport error (its node is gone; the scenario restarts it
// later for a new Creators), and waits `pause_after_refusal_ms` after a refusal so that a
// node answering 503 at once is not asked thousands of times a second.
//
//   Creators::Options o;  o.clients = 32;  o.limit = 20000;  o.task = MakeSpec;
//   Creators load(ports, token, app, o);
//   load.Start(); ... fault ...; load.Stop();
//   for (const Creators::Answer& a : load.answers()) ...
//
// Thread-safety: Start() and Stop() from the scenario's thread; answers() after Stop().
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "scenario.h"
#include "testutil/api_client.h"

namespace tock::faults {

class Creators {
 public:
  struct Options {
    int clients = 32;
    int64_t limit = INT64_MAX;  // tasks numbered [0, limit)
    int64_t pause_after_refusal_ms = 0;
    // Task i's create request; called on the creator threads.
    std::function<testing::TaskSpec(int64_t i)> task;
  };
  struct Answer {
    int64_t wall_ms = 0;   // when the answer (or the transport error) came
    int node = 0;          // index into ports
    int status = 0;        // HTTP status; 0: no answer
    int64_t task_id = -1;  // set when acked (200 with a taskId)
    bool acked() const { return task_id >= 0; }
  };

  Creators(std::vector<int> ports, std::string admin_token, testing::App app, Options o);
  ~Creators();  // Stop()
  Creators(const Creators&) = delete;
  Creators& operator=(const Creators&) = delete;

  void Start();
  // Lets each thread finish its request in flight, then joins them. Idempotent.
  void Stop();

  // Every answer in the order they came. REQUIRES: Stop() returned.
  const std::vector<Answer>& answers() const { return answers_; }
  // The taskIds acked. REQUIRES: Stop() returned.
  std::vector<int64_t> Acked() const;
  // The first refusal's description (status and body) and its Retry-After header; "" if none.
  std::string first_refusal() const;
  std::string first_refusal_retry_after() const;

 private:
  void Loop(int client);  // one creator thread

  const std::vector<int> ports_;
  const std::string admin_token_;
  const testing::App app_;
  const Options o_;
  std::atomic<int64_t> next_{0};
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  mutable std::mutex mu_;
  std::vector<Answer> answers_;            // GUARDED_BY(mu_) until Stop()
  std::string first_refusal_;              // GUARDED_BY(mu_)
  std::string first_refusal_retry_after_;  // GUARDED_BY(mu_)
};

// Every refusal of load (an answer other than an acked 200) as one violation, "<n> <what>:
// <the first one>"; for scenarios where tock promised to take every create.
// REQUIRES: load.Stop() returned.
void AddRefusals(const Creators& load, const std::string& what, ScenarioResult* res);

}  // namespace tock::faults
