#include "common/repeat_log.h"

#include <doctest/doctest.h>

namespace tock {

using Line = RepeatLog::Line;

TEST_SUITE("RepeatLog") {
  TEST_CASE("the first failure is logged at once, repeats at most once per interval") {
    RepeatLog r("loader.claim_failed", log::Level::kDebug, 30000);
    CHECK(r.Failed("database unreachable", 1000) == Line::kFirst);
    for (int64_t t = 2000; t < 31000; t += 1000) CHECK(r.Failed("again", t) == Line::kNone);
    CHECK(r.Failed("again", 31000) == Line::kRepeat);
    CHECK(r.Failed("again", 32000) == Line::kNone);
    CHECK(r.Failed("again", 61000) == Line::kRepeat);
  }

  TEST_CASE("success after failures is logged once as recovered; plain success is not") {
    RepeatLog r("apps.refresh_failed", log::Level::kDebug, 30000);
    CHECK(r.Succeeded(0) == Line::kNone);
    CHECK(r.Failed("down", 1000) == Line::kFirst);
    CHECK(r.Failed("down", 2000) == Line::kNone);
    CHECK(r.Succeeded(3000) == Line::kRecovered);
    CHECK(r.Succeeded(4000) == Line::kNone);
    // A new outage starts over: its first failure is logged at once.
    CHECK(r.Failed("down", 5000) == Line::kFirst);
  }
}

}  // namespace tock
