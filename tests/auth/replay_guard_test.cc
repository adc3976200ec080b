#include "auth/replay_guard.h"

#include <doctest/doctest.h>

#include <atomic>
#include <latch>
#include <limits>
#include <string>
#include <thread>
#include <vector>

namespace tock {

TEST_SUITE("ReplayGuard") {
  constexpr int64_t kNow = 1700000000;

  TEST_CASE("a nonce is accepted once within the window") {
    ReplayGuard guard(300);
    CHECK(guard.CheckAndRemember("app", "nonce-0001", kNow, kNow));
    CHECK_FALSE(guard.CheckAndRemember("app", "nonce-0001", kNow, kNow));
    CHECK_FALSE(guard.CheckAndRemember("app", "nonce-0001", kNow, kNow + 300));
    CHECK(guard.CheckAndRemember("app", "nonce-0002", kNow, kNow));
    CHECK(guard.size() == 2);
  }

  TEST_CASE("another application may use the same nonce") {
    ReplayGuard guard;
    CHECK(guard.CheckAndRemember("app-a", "nonce-0001", kNow, kNow));
    CHECK(guard.CheckAndRemember("app-b", "nonce-0001", kNow, kNow));
    // The key encoding keeps ("ab", "c...") and ("a", "bc...") apart.
    CHECK(guard.CheckAndRemember("ab", "cdefghij", kNow, kNow));
    CHECK(guard.CheckAndRemember("a", "bcdefghij", kNow, kNow));
    CHECK_FALSE(guard.CheckAndRemember("app-b", "nonce-0001", kNow, kNow));
  }

  TEST_CASE("an entry lives until its timestamp leaves the window") {
    ReplayGuard guard(300);
    CHECK(guard.CheckAndRemember("app", "nonce-old", kNow - 100, kNow));
    CHECK(guard.CheckAndRemember("app", "nonce-new", kNow + 100, kNow));
    guard.Expire(kNow + 200);  // old: ts + 300 = kNow + 200, still inside
    CHECK(guard.size() == 2);
    guard.Expire(kNow + 201);
    CHECK(guard.size() == 1);
    guard.Expire(kNow + 401);
    CHECK(guard.size() == 0);
  }

  TEST_CASE("CheckAndRemember expires its shard as it goes") {
    ReplayGuard guard(300);
    for (int i = 0; i < 1000; ++i) {
      CHECK(guard.CheckAndRemember("app", "nonce-" + std::to_string(i), kNow, kNow));
    }
    CHECK(guard.size() == 1000);
    // Much later, the same nonces are new again (their requests would be stale anyway), and
    // the old entries are dropped without any Expire() call.
    for (int i = 0; i < 1000; ++i) {
      CHECK(guard.CheckAndRemember("app", "nonce-" + std::to_string(i), kNow + 1000, kNow + 1000));
    }
    CHECK(guard.size() == 1000);
    guard.Expire(kNow + 1301);
    CHECK(guard.size() == 0);
  }

  TEST_CASE("nonces remembered from disk are refused") {
    ReplayGuard guard(300);
    guard.Remember("app", "nonce-disk", kNow - 10);
    guard.Remember("app", "nonce-disk", kNow - 20);  // an older copy does not shorten it
    CHECK_FALSE(guard.CheckAndRemember("app", "nonce-disk", kNow, kNow));
    guard.Remember("app", "nonce-disk", kNow + 50);  // a newer one lengthens it
    guard.Expire(kNow + 291);
    CHECK(guard.size() == 1);
    guard.Expire(kNow + 351);
    CHECK(guard.size() == 0);
    CHECK(guard.CheckAndRemember("app", "nonce-disk", kNow + 351, kNow + 351));
  }

  TEST_CASE("a far-future timestamp cannot pin an entry") {
    ReplayGuard guard(300);
    CHECK(guard.CheckAndRemember("app", "nonce-far", kNow + 1'000'000, kNow));
    guard.Expire(kNow + 601);
    CHECK(guard.size() == 0);
    guard.Remember("app", "nonce-max", std::numeric_limits<int64_t>::max());  // no overflow
    CHECK(guard.size() == 1);
  }

  TEST_CASE("concurrent uses of one nonce: exactly one wins") {
    ReplayGuard guard;
    constexpr int kThreads = 8;
    constexpr int kRounds = 200;
    std::atomic<int> wins{0};
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        start.arrive_and_wait();
        for (int r = 0; r < kRounds; ++r) {
          if (guard.CheckAndRemember("app", "race-" + std::to_string(r), kNow, kNow)) ++wins;
        }
      });
    }
    for (auto& th : threads) th.join();
    CHECK(wins.load() == kRounds);
    CHECK(guard.size() == kRounds);
  }
}

}  // namespace tock
