#include "common/log.h"

#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>

#include "common/json_writer.h"

namespace tock::log {
namespace {

std::atomic<Format> g_format{Format::kLogfmt};
std::atomic<Level> g_level{Level::kInfo};

const char* LevelName(Level l) {
  switch (l) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

std::string Timestamp() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  tm t;
  gmtime_r(&ts.tv_sec, &t);
  char buf[64];
  snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", t.tm_year + 1900,
           t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, ts.tv_nsec / 1000000);
  return buf;
}

// logfmt quotes a value that is empty or holds a space, a quote or '='.
void AppendLogfmtValue(std::string* out, std::string_view v) {
  bool needs_quotes = v.empty();
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) {
      needs_quotes = true;
      break;
    }
  }
  if (needs_quotes) {
    AppendJsonString(out, v);
  } else {
    out->append(v);
  }
}

}  // namespace

void SetFormat(Format format) { g_format = format; }
void SetLevel(Level level) { g_level = level; }
bool Enabled(Level level) { return level >= g_level.load(std::memory_order_relaxed); }

void Write(Level level, std::string_view event, std::initializer_list<Field> fields) {
  if (!Enabled(level)) return;
  std::string line;
  if (g_format.load(std::memory_order_relaxed) == Format::kJson) {
    JsonWriter w;
    w.BeginObject();
    w.Key("ts"); w.String(Timestamp());
    w.Key("level"); w.String(LevelName(level));
    w.Key("event"); w.String(event);
    for (const Field& f : fields) {
      w.Key(f.key);
      if (f.quoted) w.String(f.value); else w.Raw(f.value);
    }
    w.EndObject();
    line = w.Take();
  } else {
    line = "ts=" + Timestamp() + " level=" + LevelName(level) + " event=";
    AppendLogfmtValue(&line, event);
    for (const Field& f : fields) {
      line += ' ';
      line.append(f.key);
      line += '=';
      AppendLogfmtValue(&line, f.value);
    }
  }
  line += '\n';
  // One write(2) per line keeps lines whole when threads log at once.
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace tock::log
