#include "common/repeat_log.h"

#include <utility>

namespace tock {
namespace {

std::string RecoveredEvent(const std::string& event) {
  constexpr std::string_view kFailed = "_failed";
  if (event.size() > kFailed.size() && event.ends_with(kFailed)) {
    return event.substr(0, event.size() - kFailed.size()) + "_recovered";
  }
  return event + "_recovered";
}

}  // namespace

RepeatLog::RepeatLog(std::string event, log::Level level, int64_t every_ms)
    : event_(std::move(event)),
      recovered_event_(RecoveredEvent(event_)),
      level_(level),
      every_ms_(every_ms) {}

RepeatLog::Line RepeatLog::Failed(std::string_view error, int64_t now_mono_ms) {
  ++failures_;
  if (!failing_) {
    failing_ = true;
    failing_since_ms_ = now_mono_ms;
    last_line_ms_ = now_mono_ms;
    unlogged_ = 0;
    log::Write(level_, event_, {{"error", error}});
    return Line::kFirst;
  }
  ++unlogged_;
  if (now_mono_ms - last_line_ms_ < every_ms_) return Line::kNone;
  log::Write(level_, event_,
             {{"error", error},
              {"failures_since_last_line", unlogged_},
              {"failing_for_ms", now_mono_ms - failing_since_ms_}});
  last_line_ms_ = now_mono_ms;
  unlogged_ = 0;
  return Line::kRepeat;
}

RepeatLog::Line RepeatLog::Succeeded(int64_t now_mono_ms) {
  if (!failing_) return Line::kNone;
  log::Info(recovered_event_,
            {{"failures", failures_}, {"failed_for_ms", now_mono_ms - failing_since_ms_}});
  failing_ = false;
  failures_ = 0;
  unlogged_ = 0;
  return Line::kRecovered;
}

}  // namespace tock
