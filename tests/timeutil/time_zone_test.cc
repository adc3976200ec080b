#include "timeutil/time_zone.h"

#include <doctest/doctest.h>

#include "common/must_load_zone.h"

#include <atomic>
#include <latch>
#include <limits>
#include <thread>
#include <vector>

namespace tock {
namespace {

TimeZone MustLoad(std::string_view name) { return testing::MustLoadZone(name); }

}  // namespace

TEST_SUITE("TimeZone") {
  TEST_CASE("UTC is fixed and needs no database") {
    const TimeZone utc = TimeZone::Utc();
    CHECK(utc.name() == "UTC");
    CHECK(utc.IsUtc());
    CHECK(utc.ToUtcMs({2026, 11, 21, 5, 52, 39, 123}) == 1795240359123);
    CHECK(utc.ToCivil(1795240359123) == CivilTime{2026, 11, 21, 5, 52, 39, 123});
    CHECK(utc.ToCivil(-1) == CivilTime{1969, 12, 31, 23, 59, 59, 999});
    CHECK(utc.ToUtcMs({1969, 12, 31, 23, 59, 59, 999}) == -1);
    Result<TimeZone> loaded = TimeZone::Load("UTC");
    REQUIRE(loaded.ok());
    CHECK(loaded->IsUtc());
  }

  TEST_CASE("unknown zones are rejected, naming the zone") {
    for (const char* name : {"Mars/Olympus_Mons", "america/new_york", "", "../../etc/passwd",
                             "EST5EDT,M3.2.0,M11.1.0", "posixrules"}) {
      CAPTURE(name);
      Result<TimeZone> tz = TimeZone::Load(name);
      REQUIRE_FALSE(tz.ok());
      CHECK(tz.status().code() == Code::kInvalid);
      if (*name != '\0') CHECK(tz.status().message().find(name) != std::string::npos);
    }
    Result<TimeZone> weird = TimeZone::Load(std::string(200, 'x') + "\n");
    REQUIRE_FALSE(weird.ok());
    CHECK(weird.status().message().size() < 200);
    CHECK(weird.status().message().find('\n') == std::string::npos);
  }

  TEST_CASE("known zones load and keep their names") {
    CHECK(MustLoad("America/New_York").name() == "America/New_York");
    CHECK(MustLoad("Europe/London").name() == "Europe/London");
    CHECK(MustLoad("Asia/Kolkata").OffsetSeconds(1782907200000) == 5 * 3600 + 1800);
    CHECK_FALSE(MustLoad("Etc/UTC").IsUtc());  // a database zone, with offset 0
    CHECK(MustLoad("Etc/UTC").OffsetSeconds(1782907200000) == 0);
  }

  TEST_CASE("New York spring-forward gap maps to the first instant after it") {
    const TimeZone ny = MustLoad("America/New_York");
    // 2026-03-08: 02:00 EST -> 03:00 EDT at 07:00Z.
    CHECK(ny.ToUtcMs({2026, 3, 8, 1, 59, 59}) == 1772953199000);
    CHECK(ny.ToUtcMs({2026, 3, 8, 2, 0, 0}) == 1772953200000);
    CHECK(ny.ToUtcMs({2026, 3, 8, 2, 30, 0}) == 1772953200000);
    CHECK(ny.ToUtcMs({2026, 3, 8, 2, 59, 59, 999}) == 1772953200000);
    CHECK(ny.ToUtcMs({2026, 3, 8, 3, 0, 0}) == 1772953200000);
    CHECK(ny.ToUtcMs({2026, 3, 8, 3, 30, 0}) == 1772953200000 + 1800000);
    CHECK(ny.ToCivil(1772953200000) == CivilTime{2026, 3, 8, 3, 0, 0});
    CHECK(ny.ToCivil(1772953199000) == CivilTime{2026, 3, 8, 1, 59, 59});
  }

  TEST_CASE("New York fall-back overlap maps to the earlier instant") {
    const TimeZone ny = MustLoad("America/New_York");
    // 2026-11-01: 02:00 EDT -> 01:00 EST at 06:00Z; 01:00-01:59 happens twice.
    CHECK(ny.ToUtcMs({2026, 11, 1, 1, 30, 0}) == 1793511000000);  // 05:30Z (EDT)
    CHECK(ny.ToUtcMs({2026, 11, 1, 0, 59, 59}) == 1793509199000);
    CHECK(ny.ToUtcMs({2026, 11, 1, 2, 0, 0}) == 1793516400000);  // 07:00Z (EST)
    CHECK(ny.ToCivil(1793511000000) == CivilTime{2026, 11, 1, 1, 30, 0});
    CHECK(ny.ToCivil(1793514600000) == CivilTime{2026, 11, 1, 1, 30, 0});  // the later one
    CHECK(ny.OffsetSeconds(1793511000000) == -4 * 3600);
    CHECK(ny.OffsetSeconds(1793514600000) == -5 * 3600);
  }

  TEST_CASE("London transitions of 2026") {
    const TimeZone london = MustLoad("Europe/London");
    // 2026-03-29: 01:00 GMT -> 02:00 BST at 01:00Z.
    CHECK(london.ToUtcMs({2026, 3, 29, 0, 59, 0}) == 1774746000000 - 60000);
    CHECK(london.ToUtcMs({2026, 3, 29, 1, 30, 0}) == 1774746000000);
    CHECK(london.ToUtcMs({2026, 3, 29, 2, 0, 0}) == 1774746000000);
    CHECK(london.ToCivil(1774746000000) == CivilTime{2026, 3, 29, 2, 0, 0});
    // 2026-10-25: 02:00 BST -> 01:00 GMT at 01:00Z; 01:30 occurs at 00:30Z and 01:30Z.
    CHECK(london.ToUtcMs({2026, 10, 25, 1, 30, 0}) == 1792888200000);
    CHECK(london.ToCivil(1792888200000) == CivilTime{2026, 10, 25, 1, 30, 0});
    CHECK(london.ToCivil(1792891800000) == CivilTime{2026, 10, 25, 1, 30, 0});
    CHECK(london.ToUtcMs({2026, 10, 25, 2, 0, 0}) == 1792890000000 + 3600000);
  }

  TEST_CASE("ToCivil(ToUtcMs(x)) == x for ordinary times") {
    for (const char* name : {"UTC", "America/New_York", "Europe/London", "Asia/Kolkata",
                             "Australia/Lord_Howe", "Pacific/Chatham"}) {
      CAPTURE(name);
      const TimeZone tz = MustLoad(name);
      for (int month = 1; month <= 12; ++month) {
        for (int hour : {0, 5, 12, 23}) {
          const CivilTime c{2026, month, 15, hour, 17, 42, 250};
          CHECK(tz.ToCivil(tz.ToUtcMs(c)) == c);
        }
      }
      CHECK(tz.ToCivil(tz.ToUtcMs({2024, 2, 29, 12, 0, 0})) == CivilTime{2024, 2, 29, 12, 0, 0});
    }
  }

  TEST_CASE("fields out of range are normalised") {
    const TimeZone utc = TimeZone::Utc();
    CHECK(utc.ToUtcMs({2026, 1, 32, 0, 0, 0}) == utc.ToUtcMs({2026, 2, 1, 0, 0, 0}));
    CHECK(utc.ToUtcMs({2026, 13, 1, 0, 0, 0}) == utc.ToUtcMs({2027, 1, 1, 0, 0, 0}));
    CHECK(utc.ToUtcMs({2026, 0, 1, 0, 0, 0}) == utc.ToUtcMs({2025, 12, 1, 0, 0, 0}));
    CHECK(utc.ToUtcMs({2026, 3, 0, 0, 0, 0}) == utc.ToUtcMs({2026, 2, 28, 0, 0, 0}));
    CHECK(utc.ToUtcMs({2026, 1, 1, 24, 0, 0}) == utc.ToUtcMs({2026, 1, 2, 0, 0, 0}));
    const TimeZone ny = MustLoad("America/New_York");
    CHECK(ny.ToUtcMs({2026, 2, 36, 2, 30, 0}) == 1772953200000);  // = March 8, in the gap
  }

  TEST_CASE("extreme inputs neither throw nor overflow") {
    const TimeZone ny = MustLoad("America/New_York");
    const int64_t kMax = std::numeric_limits<int64_t>::max();
    const int64_t kMin = std::numeric_limits<int64_t>::min();
    CHECK(ny.ToCivil(kMax).year > 9999);
    CHECK(ny.ToCivil(kMin).year < 0);
    CHECK(ny.ToCivil(0) == CivilTime{1969, 12, 31, 19, 0, 0});
    const CivilTime far{std::numeric_limits<int>::max(), std::numeric_limits<int>::max(),
                        std::numeric_limits<int>::max(), std::numeric_limits<int>::max(),
                        std::numeric_limits<int>::max(), std::numeric_limits<int>::max(),
                        std::numeric_limits<int>::max()};
    CHECK(ny.ToUtcMs(far) > 0);
    const CivilTime neg{std::numeric_limits<int>::min(),
                        std::numeric_limits<int>::min(),
                        std::numeric_limits<int>::min(),
                        0,
                        0,
                        0};
    CHECK(ny.ToUtcMs(neg) < 0);
    CHECK(ny.ToCivil(ny.ToUtcMs({1, 1, 1, 0, 0, 0})).year == 1);
    CHECK(ny.ToCivil(ny.ToUtcMs({9999, 12, 31, 23, 59, 59})) ==
          CivilTime{9999, 12, 31, 23, 59, 59});
  }

  TEST_CASE("Load is safe from several threads at once") {
    constexpr int kThreads = 8;
    std::latch start(kThreads);
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        const char* name = t % 2 ? "Europe/Paris" : "Asia/Tokyo";
        Result<TimeZone> tz = TimeZone::Load(name);
        if (tz.ok() && tz->name() == name && tz->ToCivil(1782907200000).hour == (t % 2 ? 14 : 21)) {
          ++ok;
        }
      });
    }
    for (auto& th : threads) th.join();
    CHECK(ok.load() == kThreads);
  }
}

}  // namespace tock
