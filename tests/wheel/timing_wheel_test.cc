#include "wheel/timing_wheel.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <utility>
#include <vector>

namespace tock {
namespace {

constexpr int64_t kSecond = 1000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;
// The latest deadline that leaves the overflow list at the first wrap of the top level.
constexpr int64_t kOverflowEdge = (int64_t{2} << 32) - 1;

std::vector<ExpiredTimer> AdvanceTo(TimingWheel& wheel, int64_t now_ms) {
  std::vector<ExpiredTimer> fired;
  wheel.Advance(now_ms, &fired);
  return fired;
}

std::vector<uint64_t> Ids(const std::vector<ExpiredTimer>& fired) {
  std::vector<uint64_t> ids;
  for (const ExpiredTimer& t : fired) ids.push_back(t.id);
  return ids;
}

bool InDeadlineOrder(const std::vector<ExpiredTimer>& fired) {
  return std::is_sorted(fired.begin(), fired.end(),
                        [](const ExpiredTimer& a, const ExpiredTimer& b) {
                          return a.deadline_ms < b.deadline_ms;
                        });
}

// Random walk checked against a std::multimap model (see the test case below).
void CheckAgainstModel(uint64_t seed) {
  CAPTURE(seed);
  // The model: id -> (deadline, tag), plus a multimap deadline -> id for the minimum.
  std::mt19937_64 rng(seed);
  const int64_t origin = 1'234'567;
  TimingWheel wheel(origin);
  int64_t now = origin;
  std::map<uint64_t, std::pair<int64_t, int64_t>> by_id;  // id -> (deadline, tag)
  std::multimap<int64_t, uint64_t> by_deadline;
  auto model_erase = [&](uint64_t id) {
    auto it = by_id.find(id);
    if (it == by_id.end()) return false;
    auto range = by_deadline.equal_range(it->second.first);
    for (auto d = range.first; d != range.second; ++d) {
      if (d->second == id) {
        by_deadline.erase(d);
        break;
      }
    }
    by_id.erase(it);
    return true;
  };
  // Distances on every scale: level 0 to overflow, and the past.
  const std::vector<int64_t> scales = {1, 10, 300, 5000, 70 * kSecond, 20 * kMinute, 5 * kHour,
                                       3 * kDay, 60 * kDay};
  auto random_distance = [&]() {
    const int64_t scale = scales[rng() % scales.size()];
    const int64_t ahead = static_cast<int64_t>(rng() % static_cast<uint64_t>(scale));
    return rng() % 10 == 0 ? ahead - scale : ahead;  // one in ten lands in the past
  };
  int64_t tag = 0;
  uint64_t fired_total = 0;
  for (int step = 0; step < 30000; ++step) {
    const uint64_t op = rng() % 100;
    if (op < 50) {
      const uint64_t id = rng() % 2000;
      const int64_t deadline = now + random_distance();
      model_erase(id);
      by_id[id] = {deadline, ++tag};
      by_deadline.emplace(deadline, id);
      wheel.Schedule(id, deadline, tag);
    } else if (op < 65) {
      const uint64_t id = rng() % 2000;
      const bool had = model_erase(id);
      REQUIRE(wheel.Cancel(id) == had);
    } else {
      int64_t to;
      bool just_before_wake = false;
      const int64_t wake = wheel.NextWakeMs();
      if (op < 80 && wake != std::numeric_limits<int64_t>::max()) {
        to = wake;  // as the timer thread does
      } else if (op < 85 && wake != std::numeric_limits<int64_t>::max() && wake > now + 1) {
        to = wake - 1;
        just_before_wake = true;
      } else {
        to = now + random_distance();
      }
      std::vector<ExpiredTimer> fired;
      wheel.Advance(to, &fired);
      if (just_before_wake) CHECK(fired.empty());
      now = std::max(now, to);
      REQUIRE(wheel.now_ms() == now);
      std::vector<ExpiredTimer> expected;
      while (!by_deadline.empty() && by_deadline.begin()->first <= now) {
        const uint64_t id = by_deadline.begin()->second;
        expected.push_back(ExpiredTimer{id, by_id[id].first, by_id[id].second});
        model_erase(id);
      }
      REQUIRE(fired.size() == expected.size());
      CHECK(InDeadlineOrder(fired));
      // Same set (ties may come in any order).
      auto key = [](const ExpiredTimer& t) { return std::make_pair(t.deadline_ms, t.id); };
      std::vector<std::pair<int64_t, uint64_t>> got_keys, want_keys;
      for (const ExpiredTimer& t : fired) got_keys.push_back(key(t));
      for (const ExpiredTimer& t : expected) want_keys.push_back(key(t));
      std::sort(got_keys.begin(), got_keys.end());
      std::sort(want_keys.begin(), want_keys.end());
      REQUIRE(got_keys == want_keys);
      for (const ExpiredTimer& t : fired) {
        auto it = std::find_if(expected.begin(), expected.end(),
                               [&](const ExpiredTimer& e) { return e.id == t.id; });
        REQUIRE(it != expected.end());
        CHECK(it->tag == t.tag);
      }
      fired_total += fired.size();
    }
    REQUIRE(wheel.size() == by_id.size());
    const int64_t wake = wheel.NextWakeMs();
    if (by_deadline.empty()) {
      REQUIRE(wake == std::numeric_limits<int64_t>::max());
    } else {
      REQUIRE(wake <= std::max(by_deadline.begin()->first, now));
      REQUIRE(wake >= now);
    }
  }
  CHECK(fired_total > 1000);  // the walk did exercise firing
}

}  // namespace

TEST_SUITE("TimingWheel") {
  TEST_CASE("a timer fires at its exact millisecond, not before") {
    TimingWheel wheel(1000);
    wheel.Schedule(1, 1500, 42);
    CHECK(AdvanceTo(wheel, 1499).empty());
    CHECK(wheel.now_ms() == 1499);
    std::vector<ExpiredTimer> fired = AdvanceTo(wheel, 1500);
    REQUIRE(fired.size() == 1);
    CHECK(fired[0].id == 1);
    CHECK(fired[0].deadline_ms == 1500);
    CHECK(fired[0].tag == 42);
    CHECK(wheel.size() == 0);
    CHECK(wheel.NextWakeMs() == std::numeric_limits<int64_t>::max());
  }

  TEST_CASE("a timer one tick ahead fires on the next millisecond") {
    TimingWheel wheel(0);
    wheel.Schedule(1, 1, 0);
    CHECK(wheel.NextWakeMs() == 1);
    CHECK(Ids(AdvanceTo(wheel, 1)) == std::vector<uint64_t>{1});
  }

  TEST_CASE("many timers on the same millisecond fire together, in insertion order") {
    TimingWheel wheel(0);
    std::vector<uint64_t> expected;
    for (uint64_t id = 1; id <= 5000; ++id) {
      wheel.Schedule(id, 777, static_cast<int64_t>(id));
      expected.push_back(id);
    }
    CHECK(wheel.size() == 5000);
    CHECK(AdvanceTo(wheel, 776).empty());
    std::vector<ExpiredTimer> fired = AdvanceTo(wheel, 777);
    CHECK(Ids(fired) == expected);
    CHECK(wheel.size() == 0);
  }

  TEST_CASE("timers cascade through every level and fire on time") {
    // 300 ms (level 1), 70 s (level 2), 5 h (level 3), 30 days (level 3, near its top), and
    // 2^33 - 1 ms (overflow; fits the wheel exactly at the 2^32 wrap), 100 and 400 days
    // (overflow). Several origins, so slot arithmetic is not aligned.
    for (int64_t origin : {int64_t{0}, int64_t{12345}, int64_t{-987654}, int64_t{1} << 40}) {
      CAPTURE(origin);
      const std::vector<int64_t> offsets = {300,           70 * kSecond, 5 * kHour,  30 * kDay,
                                            kOverflowEdge, 100 * kDay,   400 * kDay};
      TimingWheel wheel(origin);
      for (size_t i = 0; i < offsets.size(); ++i) {
        wheel.Schedule(i + 1, origin + offsets[i], static_cast<int64_t>(i));
      }
      for (size_t i = 0; i < offsets.size(); ++i) {
        CAPTURE(offsets[i]);
        const int64_t deadline = origin + offsets[i];
        CHECK(AdvanceTo(wheel, deadline - 1).empty());
        std::vector<ExpiredTimer> fired = AdvanceTo(wheel, deadline);
        REQUIRE(fired.size() == 1);
        CHECK(fired[0].id == i + 1);
        CHECK(fired[0].deadline_ms == deadline);
        CHECK(wheel.size() == offsets.size() - i - 1);
      }
    }
  }

  TEST_CASE("stepping from wake-up to wake-up reaches each deadline in a few steps") {
    // The thread above sleeps until NextWakeMs(); every cascade point it stops at must lead
    // to the deadline, and there are only a handful of them per level.
    for (int64_t offset : {int64_t{300}, 70 * kSecond, 5 * kHour, 30 * kDay, kOverflowEdge,
                           100 * kDay}) {
      CAPTURE(offset);
      TimingWheel wheel(5);
      wheel.Schedule(9, 5 + offset, 0);
      int wakeups = 0;
      std::vector<ExpiredTimer> fired;
      while (fired.empty()) {
        const int64_t wake = wheel.NextWakeMs();
        REQUIRE(wake <= 5 + offset);
        REQUIRE(wake > wheel.now_ms());
        wheel.Advance(wake, &fired);
        ++wakeups;
      }
      CHECK(fired[0].deadline_ms == 5 + offset);
      CHECK(wheel.now_ms() == 5 + offset);
      CHECK(wakeups <= 6);
    }
  }

  TEST_CASE("cancel before the timer fires removes it") {
    TimingWheel wheel(0);
    wheel.Schedule(1, 100, 0);
    wheel.Schedule(2, 100, 0);
    CHECK(wheel.Cancel(1));
    CHECK(wheel.size() == 1);
    CHECK(Ids(AdvanceTo(wheel, 1000)) == std::vector<uint64_t>{2});
  }

  TEST_CASE("cancel after the timer has cascaded to a lower level removes it") {
    TimingWheel wheel(0);
    wheel.Schedule(1, 70 * kSecond, 0);
    wheel.Schedule(2, 70 * kSecond + 1, 0);
    // 100 ms before the deadline both sit in level 0.
    CHECK(AdvanceTo(wheel, 70 * kSecond - 100).empty());
    CHECK(wheel.Cancel(1));
    CHECK(Ids(AdvanceTo(wheel, 71 * kSecond)) == std::vector<uint64_t>{2});
    CHECK(wheel.size() == 0);
  }

  TEST_CASE("cancel of an unknown, fired or already cancelled id returns false") {
    TimingWheel wheel(0);
    CHECK_FALSE(wheel.Cancel(12345));
    wheel.Schedule(1, 10, 0);
    CHECK(wheel.Cancel(1));
    CHECK_FALSE(wheel.Cancel(1));
    wheel.Schedule(2, 10, 0);
    CHECK(AdvanceTo(wheel, 10).size() == 1);
    CHECK_FALSE(wheel.Cancel(2));
    CHECK(wheel.size() == 0);
  }

  TEST_CASE("scheduling an existing id replaces its deadline and tag") {
    TimingWheel wheel(0);
    wheel.Schedule(1, 5 * kHour, 10);
    wheel.Schedule(1, 200, 20);  // earlier
    CHECK(wheel.size() == 1);
    std::vector<ExpiredTimer> fired = AdvanceTo(wheel, 200);
    REQUIRE(fired.size() == 1);
    CHECK(fired[0].tag == 20);

    wheel.Schedule(2, 300, 30);
    wheel.Schedule(2, 90 * kSecond, 40);  // later
    CHECK(AdvanceTo(wheel, 90 * kSecond - 1).empty());
    fired = AdvanceTo(wheel, 6 * kHour);
    REQUIRE(fired.size() == 1);
    CHECK(fired[0].deadline_ms == 90 * kSecond);
    CHECK(fired[0].tag == 40);
    CHECK(wheel.size() == 0);
  }

  TEST_CASE("advancing over a long idle gap fires everything in deadline order") {
    TimingWheel wheel(1'000'000);
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<int64_t> offset(1, 3 * kDay);
    std::vector<int64_t> deadlines;
    for (uint64_t id = 0; id < 20000; ++id) {
      const int64_t deadline = 1'000'000 + offset(rng);
      wheel.Schedule(id, deadline, 0);
      deadlines.push_back(deadline);
    }
    std::vector<ExpiredTimer> fired = AdvanceTo(wheel, 1'000'000 + 10 * kDay);
    CHECK(fired.size() == deadlines.size());
    CHECK(InDeadlineOrder(fired));
    for (const ExpiredTimer& t : fired) CHECK(t.deadline_ms == deadlines[t.id]);
    CHECK(wheel.size() == 0);
    CHECK(wheel.now_ms() == 1'000'000 + 10 * kDay);
  }

  TEST_CASE("a deadline at or before wheel time fires on the next Advance") {
    TimingWheel wheel(0);
    CHECK(AdvanceTo(wheel, 5000).empty());
    wheel.Schedule(1, 4000, 0);
    wheel.Schedule(2, 5000, 0);  // exactly now
    wheel.Schedule(3, -70 * kDay, 0);
    CHECK(wheel.NextWakeMs() == 5000);
    // Even an Advance that does not move time delivers them, oldest first.
    std::vector<ExpiredTimer> fired = AdvanceTo(wheel, 5000);
    CHECK(Ids(fired) == std::vector<uint64_t>{3, 1, 2});
    CHECK(wheel.size() == 0);
  }

  TEST_CASE("past-due timers come before newly due ones in one Advance") {
    TimingWheel wheel(0);
    wheel.Schedule(1, 50, 0);
    CHECK(AdvanceTo(wheel, 10).empty());
    wheel.Schedule(2, 5, 0);
    CHECK(Ids(AdvanceTo(wheel, 60)) == std::vector<uint64_t>{2, 1});
  }

  TEST_CASE("time never moves backwards") {
    TimingWheel wheel(1000);
    CHECK(AdvanceTo(wheel, 2000).empty());
    CHECK(AdvanceTo(wheel, 1500).empty());
    CHECK(wheel.now_ms() == 2000);
    wheel.Schedule(1, 1800, 0);  // before wheel time: due
    CHECK(Ids(AdvanceTo(wheel, 1500)) == std::vector<uint64_t>{1});
  }

  TEST_CASE("an empty wheel reports no wake-up and jumps any gap") {
    TimingWheel wheel(0);
    CHECK(wheel.NextWakeMs() == std::numeric_limits<int64_t>::max());
    CHECK(AdvanceTo(wheel, 1000 * kDay).empty());
    CHECK(wheel.now_ms() == 1000 * kDay);
    wheel.Schedule(1, 1000 * kDay + 1, 0);
    CHECK(Ids(AdvanceTo(wheel, 1000 * kDay + 1)) == std::vector<uint64_t>{1});
  }

  TEST_CASE("extreme deadlines and times do not overflow") {
    TimingWheel wheel(0);
    wheel.Schedule(1, std::numeric_limits<int64_t>::max(), 0);
    wheel.Schedule(2, std::numeric_limits<int64_t>::min(), 0);
    CHECK(Ids(AdvanceTo(wheel, 1)) == std::vector<uint64_t>{2});
    CHECK(wheel.NextWakeMs() > 0);
    CHECK(AdvanceTo(wheel, 10'000 * kDay).empty());
    CHECK(AdvanceTo(wheel, std::numeric_limits<int64_t>::max()).empty());
    CHECK(wheel.size() == 1);
    CHECK(wheel.Cancel(1));

    TimingWheel late(std::numeric_limits<int64_t>::max() - 10);
    late.Schedule(1, std::numeric_limits<int64_t>::max() - 5, 0);
    CHECK(Ids(AdvanceTo(late, std::numeric_limits<int64_t>::max())) == std::vector<uint64_t>{1});
  }

  TEST_CASE("size counts scheduled timers once, through replace, cancel and fire") {
    TimingWheel wheel(0);
    CHECK(wheel.size() == 0);
    for (uint64_t id = 0; id < 100; ++id) wheel.Schedule(id, 1000 + static_cast<int64_t>(id), 0);
    CHECK(wheel.size() == 100);
    for (uint64_t id = 0; id < 100; ++id) wheel.Schedule(id, 2000, 0);  // replace all
    CHECK(wheel.size() == 100);
    for (uint64_t id = 0; id < 100; id += 2) CHECK(wheel.Cancel(id));
    CHECK(wheel.size() == 50);
    CHECK(AdvanceTo(wheel, 2000).size() == 50);
    CHECK(wheel.size() == 0);
    wheel.Schedule(7, 2500, 0);  // a released slot is reused
    CHECK(wheel.size() == 1);
  }

  TEST_CASE("200 000 timers schedule, cancel and fire") {
    TimingWheel wheel(0);
    constexpr uint64_t kCount = 200'000;
    for (uint64_t id = 0; id < kCount; ++id) {
      wheel.Schedule(id * 7919, static_cast<int64_t>(id % 300'000) + 1, 0);
    }
    CHECK(wheel.size() == kCount);
    for (uint64_t id = 0; id < kCount; id += 4) CHECK(wheel.Cancel(id * 7919));
    std::vector<ExpiredTimer> fired = AdvanceTo(wheel, 300'000);
    CHECK(fired.size() == kCount - kCount / 4);
    CHECK(InDeadlineOrder(fired));
    CHECK(wheel.size() == 0);
  }

  TEST_CASE("random operations agree with a std::multimap model") {
    // After every operation: same size; NextWakeMs() is never later than the earliest
    // deadline, never before wheel time, and advancing to just before it fires nothing; every
    // Advance fires exactly the model's due timers, in deadline order. Fixed seeds.
    for (uint64_t seed : {20240611u, 7u, 99991u}) CheckAgainstModel(seed);
  }
}

}  // namespace tock
