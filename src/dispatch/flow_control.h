// FlowControl: whether an application may start one more callback attempt now, and what an
// attempt's end says about its receiver. A pure decision (no I/O, no threads, no clock of its
// own: the caller passes now_ms), apart from the engine that acts on it.
//
// Per application, an attempt may start when all of these hold:
//   - in flight < its window, and the window is at most its parallelism limit (the app's
//     `parallelism`, or the server's max-per-app when the app has none);
//   - its token bucket holds a token (`ratePerSecond` > 0; refilled continuously, holding at
//     most max(1, rate / 20) tokens, i.e. 50 ms of burst, so a rate holds over any second);
//   - no Retry-After hold is running (a 429 or 503 asked for a pause until then).
//
// The window (AIMD, as TCP's congestion window): it starts at the parallelism limit, and
// follows it while it was never cut, so a slow receiver that answers is never throttled. Only congestion shrinks it: a timeout, a
// refused/reset connection, a 429 or a 503 halves it (never below min(4, limit)), at most
// once per round of attempts (attempts that started before the last cut do not cut again).
// Every other answer grows it by one, back up to the limit.
//
// Auto-pause: `auto_pause_after` consecutive failed attempts (any outcome but success) that
// span at least `auto_pause_window_ms` make End() say so; a success resets the count.
//
// Memory: one small state per application that ever had an attempt.
// Thread-safety: none; the DeliveryEngine calls it under its mutex.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <unordered_map>

namespace tock {

struct FlowLimits {
  int parallelism = 0;        // 0: the server's max_per_app
  double rate_per_second = 0; // 0: no rate limit
};

class FlowControl {
 public:
  struct Options {
    int max_per_app = 1000;
    int auto_pause_after = 200;        // 0: never
    int64_t auto_pause_window_ms = 600'000;
  };
  static constexpr int kMinWindow = 4;

  enum class Verdict {
    kGo,          // counted in flight (and a token taken): start it
    kWindowFull,  // wait for one of the application's attempts to end
    kWaitUntil,   // wait until *until_ms (token or Retry-After hold)
  };
  enum class Signal {
    kNone,       // no attempt was made after all (handed back, local error)
    kAnswered,   // an HTTP answer other than 429/503
    kCongested,  // timeout, connection refused/reset, 429, 503
    kNoAnswer,   // failed without an answer for another reason (DNS, TLS, address denied)
  };

  explicit FlowControl(Options opts) : opts_(opts) {}

  Verdict TryStart(const std::string& app, const FlowLimits& limits, int64_t now_ms,
                   int64_t* until_ms) {
    State& s = StateOf(app, limits);
    const int limit = Limit(limits);
    if (s.hold_until_ms > now_ms) {
      *until_ms = s.hold_until_ms;
      return Verdict::kWaitUntil;
    }
    if (s.last_cut_ms == INT64_MIN) s.window = limit;  // never cut: follows the limit
    if (s.in_flight >= std::min(s.window, limit)) return Verdict::kWindowFull;
    if (limits.rate_per_second > 0) {
      Refill(s, limits.rate_per_second, now_ms);
      if (s.tokens < 1.0) {
        const double ms = (1.0 - s.tokens) * 1000.0 / limits.rate_per_second;
        *until_ms = now_ms + std::max<int64_t>(1, static_cast<int64_t>(ms + 0.999));
        return Verdict::kWaitUntil;
      }
      s.tokens -= 1.0;
    }
    ++s.in_flight;
    return Verdict::kGo;
  }

  // Gives back what TryStart took: the attempt did not happen (its task was stale).
  void Unstart(const std::string& app, const FlowLimits& limits) {
    State& s = StateOf(app, limits);
    if (s.in_flight > 0) --s.in_flight;
    if (limits.rate_per_second > 0) s.tokens = std::min(s.tokens + 1.0, Burst(limits.rate_per_second));
  }

  // An attempt that TryStart let go has ended (or a probe, which TryStart did not count:
  // counted = false). hold_until_ms > 0: a Retry-After hold for the application. Returns true
  // when the application should be paused automatically now.
  bool End(const std::string& app, const FlowLimits& limits, bool counted, Signal signal,
           bool failed, int64_t started_ms, int64_t now_ms, int64_t hold_until_ms) {
    State& s = StateOf(app, limits);
    const int limit = Limit(limits);
    if (counted && s.in_flight > 0) --s.in_flight;
    s.window = std::min(s.window, limit);
    if (signal == Signal::kAnswered) {
      s.window = std::min(limit, s.window + 1);
    } else if (signal == Signal::kCongested && started_ms >= s.last_cut_ms) {
      s.window = std::max(std::min(kMinWindow, limit), s.window / 2);
      s.last_cut_ms = now_ms;
    }
    if (hold_until_ms > s.hold_until_ms) s.hold_until_ms = hold_until_ms;
    if (signal == Signal::kNone) return false;
    ++s.ended;
    if (failed) ++s.ended_failed;
    if (!failed) {
      s.failures = 0;
      return false;
    }
    if (s.failures++ == 0) s.first_failure_ms = now_ms;
    if (opts_.auto_pause_after > 0 && s.failures >= opts_.auto_pause_after &&
        now_ms - s.first_failure_ms >= opts_.auto_pause_window_ms) {
      s.failures = 0;
      return true;
    }
    return false;
  }

  // Forgets the failure streak and any hold (an operator resumed the application).
  void Reset(const std::string& app) {
    auto it = states_.find(app);
    if (it == states_.end()) return;
    it->second.failures = 0;
    it->second.hold_until_ms = 0;
  }

  int InFlight(const std::string& app) const {
    auto it = states_.find(app);
    return it == states_.end() ? 0 : it->second.in_flight;
  }
  int Window(const std::string& app, const FlowLimits& limits) const {
    auto it = states_.find(app);
    if (it == states_.end() || it->second.last_cut_ms == INT64_MIN) return Limit(limits);
    return std::min(it->second.window, Limit(limits));
  }
  int64_t HoldUntil(const std::string& app) const {
    auto it = states_.find(app);
    return it == states_.end() ? 0 : it->second.hold_until_ms;
  }
  int ConsecutiveFailures(const std::string& app) const {
    auto it = states_.find(app);
    return it == states_.end() ? 0 : it->second.failures;
  }
  // Attempts that ended since start, and the failed ones among them (the console's
  // per-application rates are their differences over time).
  uint64_t Ended(const std::string& app) const {
    auto it = states_.find(app);
    return it == states_.end() ? 0 : it->second.ended;
  }
  uint64_t EndedFailed(const std::string& app) const {
    auto it = states_.find(app);
    return it == states_.end() ? 0 : it->second.ended_failed;
  }

 private:
  struct State {
    int in_flight = 0;
    int window = 0;
    int64_t last_cut_ms = INT64_MIN;
    double tokens = 0;
    int64_t refilled_ms = INT64_MIN;
    int64_t hold_until_ms = 0;
    int failures = 0;
    int64_t first_failure_ms = 0;
    uint64_t ended = 0;
    uint64_t ended_failed = 0;
  };

  int Limit(const FlowLimits& l) const {
    return std::max(1, l.parallelism > 0 ? l.parallelism : opts_.max_per_app);
  }
  static double Burst(double rate) { return std::max(1.0, rate / 20.0); }

  State& StateOf(const std::string& app, const FlowLimits& limits) {
    auto [it, fresh] = states_.try_emplace(app);
    if (fresh) it->second.window = Limit(limits);
    return it->second;
  }

  static void Refill(State& s, double rate, int64_t now_ms) {
    if (s.refilled_ms == INT64_MIN) {
      s.tokens = Burst(rate);
    } else if (now_ms > s.refilled_ms) {
      s.tokens = std::min(Burst(rate), s.tokens + (now_ms - s.refilled_ms) * rate / 1000.0);
    }
    s.refilled_ms = std::max(s.refilled_ms, now_ms);
  }

  const Options opts_;
  std::unordered_map<std::string, State> states_;
};

}  // namespace tock
