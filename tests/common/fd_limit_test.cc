#include "common/fd_limit.h"

#include <doctest/doctest.h>

namespace tock {

TEST_SUITE("FdLimit") {
  TEST_CASE("a roomy limit leaves the settings as they are") {
    DescriptorPlan p = PlanDescriptors(65536, 10000, 10000);
    CHECK(p.ok);
    CHECK_FALSE(p.lowered);
    CHECK(p.max_connections == 10000);
    CHECK(p.max_in_flight == 10000);
    CHECK(p.rocksdb_files == 1000);
  }

  TEST_CASE("a tight limit lowers connections first, callbacks keep half of what is left") {
    DescriptorPlan p = PlanDescriptors(20000, 10000, 10000);
    REQUIRE(p.ok);
    CHECK(p.lowered);
    const int64_t budget = 20000 - 1000 - kReservedDescriptors;
    CHECK(p.max_connections + p.max_in_flight == budget);
    CHECK(p.max_in_flight >= budget / 2);
    // Few callbacks wanted: they keep all of it, connections take the rest.
    DescriptorPlan q = PlanDescriptors(20000, 30000, 100);
    CHECK(q.max_in_flight == 100);
    CHECK(q.max_connections == budget - 100);
  }

  TEST_CASE("on PostgreSQL the store takes its pool's share, not RocksDB's 1000 files") {
    DescriptorPlan p = PlanDescriptors(20000, 10000, 9900, /*embedded_store=*/false);
    REQUIRE(p.ok);
    CHECK(p.rocksdb_files == kPostgresDescriptors);
    CHECK_FALSE(p.lowered);  // 10000 + 9900 fit in 20000 - 32 - the reserve
  }

  TEST_CASE("ulimit -n 200 still runs; below the minimum start-up stops with why") {
    DescriptorPlan p = PlanDescriptors(200, 10000, 10000);
    REQUIRE(p.ok);
    CHECK(p.rocksdb_files == 50);
    CHECK(p.max_connections + p.max_in_flight == 200 - 50 - kReservedDescriptors);
    DescriptorPlan none = PlanDescriptors(100, 10000, 10000);
    CHECK_FALSE(none.ok);
    CHECK(none.why.find("ulimit -n") != std::string::npos);
  }
}

}  // namespace tock
