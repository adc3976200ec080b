#include "dispatch/flow_control.h"

#include <doctest/doctest.h>

namespace tock {
namespace {

using Verdict = FlowControl::Verdict;
using Signal = FlowControl::Signal;

FlowControl Make(int max_per_app = 100, int auto_after = 0, int64_t window_ms = 0) {
  return FlowControl(FlowControl::Options{max_per_app, auto_after, window_ms});
}

// Starts attempts until the verdict is not kGo; returns how many started.
int Fill(FlowControl& f, const std::string& app, const FlowLimits& l, int64_t now) {
  int n = 0;
  int64_t until = 0;
  while (f.TryStart(app, l, now, &until) == Verdict::kGo) ++n;
  return n;
}

}  // namespace

TEST_SUITE("FlowControl") {
  TEST_CASE("a new application may use its whole limit at once: a slow receiver is not throttled") {
    FlowControl f = Make(1000);
    CHECK(Fill(f, "a", {}, 0) == 1000);
    CHECK(Fill(f, "b", {250, 0}, 0) == 250);  // the app's own parallelism wins
    // Answers (however slow) keep the window where it is.
    for (int i = 0; i < 1000; ++i) f.End("a", {}, true, Signal::kAnswered, false, 0, 5000, 0);
    CHECK(f.Window("a", {}) == 1000);
    CHECK(Fill(f, "a", {}, 6000) == 1000);
  }

  TEST_CASE("congestion halves the window once per round; answers grow it back one by one") {
    FlowControl f = Make(64);
    REQUIRE(Fill(f, "a", {}, 0) == 64);
    // 64 attempts started at t=0 all time out: one cut, not 64.
    for (int i = 0; i < 64; ++i) f.End("a", {}, true, Signal::kCongested, true, 0, 100, 0);
    CHECK(f.Window("a", {}) == 32);
    // Attempts started after the cut cut again.
    REQUIRE(Fill(f, "a", {}, 200) == 32);
    f.End("a", {}, true, Signal::kCongested, true, 200, 300, 0);
    CHECK(f.Window("a", {}) == 16);
    // Each later round (started after the previous cut) halves again, down to the floor.
    for (int i = 0; i < 20; ++i) {
      f.End("a", {}, true, Signal::kCongested, true, 400 + i * 10, 405 + i * 10, 0);
    }
    CHECK(f.Window("a", {}) == FlowControl::kMinWindow);
    // Other failures (DNS, TLS) and handed-back attempts say nothing about the window.
    f.End("a", {}, false, Signal::kNoAnswer, true, 1000, 1000, 0);
    f.End("a", {}, false, Signal::kNone, false, 1000, 1000, 0);
    CHECK(f.Window("a", {}) == FlowControl::kMinWindow);
    f.End("a", {}, false, Signal::kAnswered, true, 1000, 1000, 0);  // a 500 is an answer
    CHECK(f.Window("a", {}) == FlowControl::kMinWindow + 1);
    CHECK(f.InFlight("a") == 32 - 21);  // 32 started after the first cut, 21 ended
  }

  TEST_CASE("the token bucket holds the rate and says when the next token comes") {
    FlowControl f = Make(1000);
    const FlowLimits l{0, 20};  // 20/s: one token per 50 ms, a burst of 1
    int64_t until = 0;
    CHECK(f.TryStart("a", l, 1000, &until) == Verdict::kGo);
    CHECK(f.TryStart("a", l, 1000, &until) == Verdict::kWaitUntil);
    CHECK(until == 1050);
    CHECK(f.TryStart("a", l, 1049, &until) == Verdict::kWaitUntil);
    CHECK(f.TryStart("a", l, 1050, &until) == Verdict::kGo);
    // Over 10 s of asking every millisecond, 200 starts (+ the burst).
    FlowControl g = Make(100000);
    int started = 0;
    for (int64_t t = 0; t < 10000; ++t) {
      while (g.TryStart("a", {0, 20}, t, &until) == Verdict::kGo) ++started;
    }
    CHECK(started >= 200);
    CHECK(started <= 201);
    // An unstarted attempt gives its token back.
    FlowControl h = Make(10);
    REQUIRE(h.TryStart("a", l, 0, &until) == Verdict::kGo);
    h.Unstart("a", l);
    CHECK(h.TryStart("a", l, 0, &until) == Verdict::kGo);
  }

  TEST_CASE("a Retry-After hold stops starts until then; a later hold extends it") {
    FlowControl f = Make(10);
    int64_t until = 0;
    REQUIRE(f.TryStart("a", {}, 0, &until) == Verdict::kGo);
    f.End("a", {}, true, Signal::kCongested, true, 0, 10, 5000);
    CHECK(f.TryStart("a", {}, 4999, &until) == Verdict::kWaitUntil);
    CHECK(until == 5000);
    f.End("a", {}, false, Signal::kCongested, true, 20, 20, 3000);  // earlier: ignored
    CHECK(f.HoldUntil("a") == 5000);
    CHECK(f.TryStart("a", {}, 5000, &until) == Verdict::kGo);
    CHECK(f.TryStart("b", {}, 0, &until) == Verdict::kGo);  // per application
  }

  TEST_CASE("auto-pause after N failures in a row spanning the window; a success resets") {
    FlowControl f = Make(10, 3, 1000);
    CHECK_FALSE(f.End("a", {}, false, Signal::kAnswered, true, 0, 0, 0));
    CHECK_FALSE(f.End("a", {}, false, Signal::kAnswered, true, 0, 10, 0));
    CHECK_FALSE(f.End("a", {}, false, Signal::kAnswered, true, 0, 20, 0));  // 3, but 20 ms
    CHECK(f.End("a", {}, false, Signal::kNoAnswer, true, 0, 1000, 0));     // 4, over 1 s
    CHECK(f.ConsecutiveFailures("a") == 0);
    CHECK_FALSE(f.End("b", {}, false, Signal::kAnswered, true, 0, 0, 0));
    CHECK_FALSE(f.End("b", {}, false, Signal::kAnswered, false, 0, 5000, 0));  // success
    CHECK_FALSE(f.End("b", {}, false, Signal::kAnswered, true, 0, 6000, 0));
    CHECK(f.ConsecutiveFailures("b") == 1);
    FlowControl never = Make(10, 0, 0);
    for (int i = 0; i < 1000; ++i) CHECK_FALSE(never.End("a", {}, false, Signal::kAnswered, true, 0, i * 1000, 0));
  }

  TEST_CASE("a changed parallelism applies at once; after a cut a higher one is grown into") {
    FlowControl f = Make(100);
    REQUIRE(Fill(f, "a", {}, 0) == 100);
    for (int i = 0; i < 100; ++i) f.End("a", {}, true, Signal::kAnswered, false, 0, 1, 0);
    CHECK(Fill(f, "a", {10, 0}, 2) == 10);
    CHECK(f.Window("a", {10, 0}) == 10);
    for (int i = 0; i < 10; ++i) f.End("a", {10, 0}, true, Signal::kAnswered, false, 2, 3, 0);
    CHECK(Fill(f, "a", {500, 0}, 4) == 500);  // never cut: the window follows the limit
    for (int i = 0; i < 500; ++i) f.End("a", {500, 0}, true, Signal::kAnswered, false, 4, 5, 0);
    // Cut once (timeout), then raised: grown into by answers, not at once.
    REQUIRE(Fill(f, "a", {500, 0}, 6) == 500);
    for (int i = 0; i < 500; ++i) f.End("a", {500, 0}, true, Signal::kCongested, true, 6, 7, 0);
    CHECK(f.Window("a", {1000, 0}) == 250);
    CHECK(Fill(f, "a", {1000, 0}, 8) == 250);
  }
}

}  // namespace tock
