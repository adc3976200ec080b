// AppDeliveryView: what /metrics and the admin API show of one application's deliveries
// right now (DeliveryEngine::Views). Plain values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace tock {

struct AppDeliveryView {
  std::string app_key;
  int in_flight = 0;
  int window = 0;            // attempts it may have in flight now (adaptive)
  size_t queued = 0;         // fired and waiting in memory for room
  bool dropped = false;      // paused with due work left in storage
  int64_t hold_until_ms = 0; // a Retry-After hold runs until then (wall ms); 0: none
  int consecutive_failures = 0;
  uint64_t attempts = 0;         // attempts that ended since start
  uint64_t failed_attempts = 0;  // the failed ones among them
};

}  // namespace tock
