// What the fault test cases share: the scenario options pointed at this tree's tock binary, and one
// CHECK per scenario result that prints its summary line and violations.
#pragma once

#include <doctest/doctest.h>

#include "../../tools/faults/scenario.h"

namespace tock::faults {

inline CommonOptions TestCommonOptions() {
  CommonOptions c;
  c.tock_binary = TOCK_BINARY;
  c.verbose = false;
  c.seed = 20261121;  // fixed: a failing run can be repeated
  return c;
}

inline void CheckNoViolations(const ScenarioResult& r) {
  INFO(r.SummaryLine(), "\n", r.Details());
  MESSAGE(r.SummaryLine());
  CHECK(r.ok());
}

}  // namespace tock::faults
