#include "dispatch/app_limiter.h"

#include <doctest/doctest.h>

namespace tock {

TEST_SUITE("AppLimiter") {
  TEST_CASE(
      "an application starts at a few slots and grows to max_per_app "
      "while answered") {
    AppLimiter l(32);
    CHECK(l.Limit("a") == AppLimiter::kStartSlots);
    for (int i = 0; i < 100; ++i) l.Record("a", AppLimiter::Signal::kAnswered);
    CHECK(l.Limit("a") == 32);
    CHECK(l.Limit("b") == AppLimiter::kStartSlots);  // per application
  }

  TEST_CASE(
      "timeouts halve the limit down to the start; answers win it back "
      "one by one") {
    AppLimiter l(32);
    for (int i = 0; i < 100; ++i) l.Record("a", AppLimiter::Signal::kAnswered);
    l.Record("a", AppLimiter::Signal::kTimedOut);
    CHECK(l.Limit("a") == 16);
    for (int i = 0; i < 10; ++i) l.Record("a", AppLimiter::Signal::kTimedOut);
    CHECK(l.Limit("a") == AppLimiter::kStartSlots);
    l.Record("a", AppLimiter::Signal::kAnswered);
    CHECK(l.Limit("a") == AppLimiter::kStartSlots + 1);
    l.Record("a",
             AppLimiter::Signal::kNone);  // a handed-back attempt says nothing
    CHECK(l.Limit("a") == AppLimiter::kStartSlots + 1);
  }

  TEST_CASE("a max_per_app below the start is the limit from the start") {
    AppLimiter l(2);
    CHECK(l.Limit("a") == 2);
    l.Record("a", AppLimiter::Signal::kAnswered);
    CHECK(l.Limit("a") == 2);
  }
}

}  // namespace tock
