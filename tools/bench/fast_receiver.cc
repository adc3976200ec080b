#include "fast_receiver.h"

#include "bench_util.h"

namespace tock::bench {

FastReceiver::FastReceiver() {
  Reset(0);
  server_.Start([this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); });
}

void FastReceiver::Reset(size_t n) {
  n_ = n;
  first_us_.reset(new std::atomic<int64_t>[n]);
  scheduled_ms_.reset(new std::atomic<int64_t>[n]);
  hits_.reset(new std::atomic<uint32_t>[n]);
  task_id_.reset(new std::atomic<int64_t>[n]);
  for (size_t i = 0; i < n; ++i) {
    first_us_[i].store(0, std::memory_order_relaxed);
    scheduled_ms_[i].store(0, std::memory_order_relaxed);
    hits_[i].store(0, std::memory_order_relaxed);
    task_id_[i].store(0, std::memory_order_relaxed);
  }
  arrivals_ = 0;
  distinct_ = 0;
  unknown_ = 0;
  retries_ = 0;
  last_first_us_ = 0;
}

void FastReceiver::Handle(const httplib::Request& req, httplib::Response& res) {
  // The whole request has been read by now; the arrival is taken before any parsing.
  const int64_t now_us = WallNowUs();
  arrivals_.fetch_add(1, std::memory_order_relaxed);
  res.set_content("success", "text/plain");

  // Body: {"data":{"i":N},"taskId":..,"taskNo":"..","name":"..","attempt":k,"scheduledAt":ms}
  std::string_view body = req.body;
  int64_t slot = -1, scheduled = 0, attempt = 1, task_id = 0;
  size_t data = body.find("\"data\":");
  if (data == std::string_view::npos || !FindJsonInt(body.substr(data), "i", &slot) ||
      slot < 0 || static_cast<size_t>(slot) >= n_ ||
      !FindJsonInt(body, "scheduledAt", &scheduled)) {
    unknown_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (FindJsonInt(body, "attempt", &attempt) && attempt > 1) {
    retries_.fetch_add(1, std::memory_order_relaxed);
  }
  if (hits_[slot].fetch_add(1, std::memory_order_acq_rel) == 0) {
    scheduled_ms_[slot].store(scheduled, std::memory_order_relaxed);
    if (FindJsonInt(body, "taskId", &task_id)) task_id_[slot].store(task_id, std::memory_order_relaxed);
    first_us_[slot].store(now_us, std::memory_order_release);
    distinct_.fetch_add(1, std::memory_order_relaxed);
    int64_t prev = last_first_us_.load(std::memory_order_relaxed);
    while (prev < now_us && !last_first_us_.compare_exchange_weak(prev, now_us)) {
    }
  }
}

}  // namespace tock::bench
