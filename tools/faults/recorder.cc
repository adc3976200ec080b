// DESIGN: the HookServer's one loop thread runs Handle(); connections are never closed by the
// server while tock keeps them (which could make its sender repeat a POST and blur the
// duplicate counts). One mutex guards the per-task map against the scenario's readers; at the
// fault suite's rates (<= 20 000/s) that is cheap.
#include "recorder.h"

#include <algorithm>
#include <cstdlib>

#include "../bench/bench_util.h"

namespace tock::faults {

Recorder::Recorder() {
  server_.StampReceiveTimes();
  server_.Start([this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); });
}

void Recorder::Handle(const httplib::Request& req, httplib::Response& res) {
  const int64_t now = bench::WallNowMs();
  // When the kernel took the request in, which under load can be well before this loop got
  // to it (see Arrival).
  int64_t received = now;
  const std::string stamp = req.get_header_value(testing::HookServer::kReceivedHeader);
  if (!stamp.empty()) received = std::min<int64_t>(now, std::strtoll(stamp.c_str(), nullptr, 10));
  res.set_content("success", "text/plain");
  int64_t task_id = -1, attempt = 0, scheduled = 0;
  const bool parsed = bench::FindJsonInt(req.body, "taskId", &task_id);
  bench::FindJsonInt(req.body, "attempt", &attempt);
  bench::FindJsonInt(req.body, "scheduledAt", &scheduled);
  const std::string webhook_id = req.get_header_value("webhook-id");
  {
    std::lock_guard<std::mutex> l(mu_);
    ++arrivals_;
    if (!parsed) {
      ++unparsed_;
    } else {
      if (webhook_id != std::to_string(task_id)) ++bad_webhook_ids_;
      // The wheel may fire up to ~1 ms early by truncation; the dispatcher waits that out, so
      // anything before scheduledAt is early.
      if (scheduled > 0 && now < scheduled) ++early_;
      Task& t = tasks_[task_id];
      t.scheduled_ms = scheduled;
      t.arrivals.push_back({now, received, attempt});
    }
  }
  cv_.notify_all();
}

int64_t Recorder::arrivals() const {
  std::lock_guard<std::mutex> l(mu_);
  return arrivals_;
}
int64_t Recorder::bad_webhook_ids() const {
  std::lock_guard<std::mutex> l(mu_);
  return bad_webhook_ids_;
}
int64_t Recorder::early() const {
  std::lock_guard<std::mutex> l(mu_);
  return early_;
}
int64_t Recorder::unparsed() const {
  std::lock_guard<std::mutex> l(mu_);
  return unparsed_;
}

Recorder::Task Recorder::Get(int64_t task_id) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = tasks_.find(task_id);
  return it == tasks_.end() ? Task{} : it->second;
}

bool Recorder::Has(int64_t task_id) const {
  std::lock_guard<std::mutex> l(mu_);
  return tasks_.count(task_id) > 0;
}

std::vector<int64_t> Recorder::FirstArrivals() const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<int64_t> out;
  out.reserve(tasks_.size());
  for (const auto& [id, t] : tasks_) out.push_back(t.arrivals.front().wall_ms);
  return out;
}

int64_t Recorder::FirstArrivalAfter(int64_t wall_ms) const {
  std::lock_guard<std::mutex> l(mu_);
  int64_t first = -1;
  for (const auto& [id, t] : tasks_) {
    for (const Arrival& a : t.arrivals) {
      if (a.wall_ms > wall_ms && (first < 0 || a.wall_ms < first)) first = a.wall_ms;
    }
  }
  return first;
}

bool Recorder::WaitForAll(const std::vector<int64_t>& ids, std::chrono::milliseconds timeout,
                          const std::function<bool()>& cancelled) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t next = 0;  // ids[0..next) have arrived: arrivals are never removed
  std::unique_lock<std::mutex> l(mu_);
  while (true) {
    while (next < ids.size() && tasks_.count(ids[next]) > 0) ++next;
    if (next == ids.size()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    if (cancelled && cancelled()) return false;
    cv_.wait_for(l, std::chrono::milliseconds(100));
  }
}

bool CheckStarted(const Recorder& rx, ScenarioResult* res) {
  if (rx.ok()) return true;
  res->Violation("the receiver could not bind 127.0.0.1");
  return false;
}

}  // namespace tock::faults
