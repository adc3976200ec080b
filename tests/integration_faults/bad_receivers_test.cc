// Bad receivers (issue 5, Faults), short form. tock runs with 24 callbacks in flight and 8 per
// application, a size a test can saturate: the hanging and trickling receivers hold their 8
// each for the whole task timeout, and the five that fail fast want 8 each too, so the
// healthy application competes for what is left. What keeps it going is the per-application
// cap and the fewest-in-flight-first choice of who gets a free slot (delivery_engine.h); with
// every slot held by receivers that hang (two applications owning all 16 of a 16-slot
// server), nothing can, until their timeouts. The healthy application's tasks must all land
// while those receivers still hold their connections, and every bad task must end failed after its
// retries. No rate is asserted here (tools/faults reports the ratio).
#include "../../tools/faults/bad_receivers_scenario.h"
#include "faults_test_util.h"

namespace tock::faults {

TEST_SUITE("Faults") {
  TEST_CASE(
      "Faults: receivers that hang, reset, trickle, 503, garble, "
      "redirect or flood") {
    BadReceiversOptions o;
    o.common = TestCommonOptions();
    o.common.tock_args = {"--max-in-flight", "24", "--max-per-app", "8"};
    o.healthy_tasks = 2000;
    o.bad_tasks_per_app = 12;
    o.hold_tasks_per_app = 9;  // more than an application's 8 slots
    o.hang_timeout_ms = 1500;
    o.bad_timeout_ms = 1000;
    o.retry_total = 1;
    o.detail_sample = -1;  // every bad task
    o.max_rss_mib = 256;
    o.deliver_timeout_ms = 20000;
    ScenarioResult r = RunBadReceivers(o);
    CheckNoViolations(r);
    CHECK(r.Get("bad_checked") == 5 * 12 + 2 * 9);
    CHECK(r.Get("hang_requests") > 0);
    CHECK(r.Get("huge_requests") > 0);
  }
}

}  // namespace tock::faults
