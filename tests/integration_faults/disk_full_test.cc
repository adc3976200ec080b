// Disk full (issue 5, Faults), short form: tock's data dir on a small tmpfs. Needs root or
// passwordless sudo to mount it; without, this test FAILS (it must not pass unrun).
#include "../../tools/faults/disk_full_scenario.h"
#include "faults_test_util.h"

namespace tock::faults {

TEST_SUITE("Faults") {
  TEST_CASE(
      "Faults: a full disk refuses creates with 503, loses nothing, and "
      "heals in place") {
    DiskFullOptions o;
    o.common = TestCommonOptions();
    o.tmpfs_bytes = 96LL << 20;
    o.leave_free_bytes = 4LL << 20;
    o.full_hold_ms = 2000;
    o.recover_timeout_ms = 15000;
    o.deliver_timeout_ms = 30000;
    ScenarioResult r = RunDiskFull(o);
    CheckNoViolations(r);
    CHECK(r.Get("refused_while_full") > 0);
    CHECK(r.Get("acked") > 0);
  }
}

}  // namespace tock::faults
