// RepeatLog: the log lines of a failure that repeats each time a loop runs. While the
// database is down the due loader's claim fails every second (every 50 ms while a backlog
// drains) and the application refresh every second; a line each time buries everything else
// in the log. So: the first failure is logged at once, with its error; then at most one line
// every `every_ms` (30 s), saying how many calls failed since the last line and the latest
// error; and when the call succeeds again, one info line "<event minus _failed>_recovered"
// with how many failed and for how long.
//
//   RepeatLog claim_log("loader.claim_failed", log::Level::kError);
//   if (s.ok()) claim_log.Succeeded(clock.MonoMs()); else claim_log.Failed(s.message(), ...);
//
// Thread-safety: none; owned by the one loop thread that makes the call.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/log.h"

namespace tock {

class RepeatLog {
 public:
  static constexpr int64_t kEveryMs = 30000;
  // Which line a call wrote (tests read it; callers may ignore it).
  enum class Line { kNone, kFirst, kRepeat, kRecovered };

  // event ends in "_failed" ("loader.claim_failed"); the recovery line replaces that suffix
  // with "_recovered" (or appends it).
  RepeatLog(std::string event, log::Level level, int64_t every_ms = kEveryMs);
  RepeatLog(const RepeatLog&) = delete;
  RepeatLog& operator=(const RepeatLog&) = delete;

  Line Failed(std::string_view error, int64_t now_mono_ms);
  Line Succeeded(int64_t now_mono_ms);

 private:
  const std::string event_;
  const std::string recovered_event_;
  const log::Level level_;
  const int64_t every_ms_;
  bool failing_ = false;
  int64_t failing_since_ms_ = 0;
  int64_t last_line_ms_ = 0;
  uint64_t failures_ = 0;  // since failing_since_ms_
  uint64_t unlogged_ = 0;  // since the last line
};

}  // namespace tock
