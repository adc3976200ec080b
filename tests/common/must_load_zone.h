// MustLoadZone: a time zone a test cannot run without; fails the test case if missing.
#pragma once

#include <doctest/doctest.h>

#include <string_view>

#include "timeutil/time_zone.h"

namespace tock::testing {

inline TimeZone MustLoadZone(std::string_view name) {
  Result<TimeZone> tz = TimeZone::Load(name);
  REQUIRE_MESSAGE(tz.ok(), tz.status().message());
  return *tz;
}

}  // namespace tock::testing
