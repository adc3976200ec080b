#include "common/fd_limit.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>

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

  TEST_CASE("the descriptor table is grown once, to the plan, before the first burst") {
    DescriptorPlan p = PlanDescriptors(65536, 10000, 10000);
    CHECK(PlannedDescriptors(p, 65536) == 1000 + kReservedDescriptors + 20000);
    CHECK(PlannedDescriptors(p, 4096) == 4096);  // never past the limit
    CHECK(ReserveDescriptorTable(0) == 0);
    // /proc/self/status says how many descriptors the table holds now (FDSize).
    auto table_size = [] {
      std::ifstream in("/proc/self/status");
      std::string line;
      while (std::getline(in, line)) {
        if (line.rfind("FDSize:", 0) == 0) return std::stoul(line.substr(7));
      }
      return 0ul;
    };
    rlimit lim{};
    REQUIRE(getrlimit(RLIMIT_NOFILE, &lim) == 0);
    // Twice what this test process has grown to so far (other tests open descriptors too).
    const uint64_t want = std::min<uint64_t>(std::max<uint64_t>(3000, table_size() * 2),
                                             lim.rlim_cur);
    REQUIRE(table_size() < want);
    CHECK(ReserveDescriptorTable(want) == want);
    CHECK(table_size() >= want);
    // Nothing is left open: the next descriptor is a low one again.
    const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    CHECK(fd < 64);
    ::close(fd);
  }
}

}  // namespace tock
