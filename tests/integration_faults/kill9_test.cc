// kill -9 at random moments under load (issue 5, Faults), short form: 2 rounds of a few thousand
// tasks. tools/faults runs 10 rounds of 20 000.
#include "../../tools/faults/kill9_scenario.h"
#include "faults_test_util.h"

namespace tock::faults {

TEST_SUITE("Faults") {
  TEST_CASE(
      "Faults: kill -9 under load loses no acked task, repeats only "
      "in-flight ones") {
    Kill9Options o;
    o.common = TestCommonOptions();
    o.rounds = 2;
    o.clients = 16;
    o.tasks_per_round = 4000;
    o.lead_ms = 800;
    o.spread_ms = 1500;
    o.kill_min_ms = 150;
    o.kill_max_ms = 1800;
    o.deliver_timeout_ms = 30000;
    std::vector<ScenarioResult> rounds = RunKill9(o);
    REQUIRE(rounds.size() == 2);
    double acked = 0;
    for (const ScenarioResult& r : rounds) {
      CheckNoViolations(r);
      acked += r.Get("acked", 0);
    }
    CHECK(acked > 0);  // the kill did not come before any load
  }
}

}  // namespace tock::faults
