#include "config/settings.h"

#include <charconv>
#include <cstdlib>
#include <functional>

namespace tock {
namespace {

enum class Kind { kString, kInt, kBool, kChoice };

struct Option {
  const char* name;  // flag is --name, environment TOCK_NAME (upper case, - -> _)
  Kind kind;
  int64_t min, max;      // kInt
  const char* choices;   // kChoice: "a|b|c"
  const char* help;
  std::function<void(Settings&, const std::string&, int64_t)> set;
  std::function<std::string(const Settings&)> get;
};

#define STR(field) \
  [](Settings& s, const std::string& v, int64_t) { s.field = v; }, \
  [](const Settings& s) { return s.field; }
#define INT(field) \
  [](Settings& s, const std::string&, int64_t v) { s.field = v; }, \
  [](const Settings& s) { return std::to_string(s.field); }
#define BOOL(field) \
  [](Settings& s, const std::string&, int64_t v) { s.field = v != 0; }, \
  [](const Settings& s) { return std::string(s.field ? "true" : "false"); }

const std::vector<Option>& Table() {
  static const std::vector<Option> table = {
      {"listen", Kind::kString, 0, 0, nullptr, "address to serve HTTP on, host:port", STR(listen)},
      {"data", Kind::kString, 0, 0, nullptr, "data directory (RocksDB)", STR(data_dir)},
      {"admin-token", Kind::kString, 0, 0, nullptr,
       "admin bearer token; generated into <data>/admin.token when empty", STR(admin_token)},
      {"time-zone", Kind::kString, 0, 0, nullptr,
       "IANA zone for wall-clock times without an offset", STR(time_zone)},
      {"workers", Kind::kInt, 1, 1024, nullptr, "callback worker threads (total concurrency)",
       INT(workers)},
      {"max-per-app", Kind::kInt, 1, 1024, nullptr, "callbacks in flight per application",
       INT(max_per_app)},
      {"http-threads", Kind::kInt, 4, 4096, nullptr,
       "HTTP server threads (one per open keep-alive connection)", INT(http_threads)},
      {"wheel-horizon", Kind::kInt, 1, 3600, nullptr,
       "seconds ahead the timing wheel holds; later tasks wait on disk", INT(wheel_horizon_s)},
      {"retention-days", Kind::kInt, 0, 3650, nullptr,
       "days finished tasks and their attempts are kept", INT(retention_days)},
      {"max-delay-days", Kind::kInt, 1, 3650, nullptr, "how far ahead a task may be due",
       INT(max_delay_days)},
      {"max-body", Kind::kInt, 1024, 64 << 20, nullptr, "largest request body in bytes",
       INT(max_body_bytes)},
      {"shutdown-grace", Kind::kInt, 0, 600, nullptr,
       "seconds in-flight callbacks get to finish on SIGTERM", INT(shutdown_grace_s)},
      {"max-schedules-per-app", Kind::kInt, 1, 1000000, nullptr,
       "unexpired schedules an application may have", INT(max_schedules_per_app)},
      {"schedule-retention-days", Kind::kInt, 0, 3650, nullptr,
       "days an expired schedule stays readable", INT(schedule_retention_days)},
      {"misfire-grace", Kind::kInt, 1, 31 * 86400, nullptr,
       "seconds late a schedule's fire may be (after downtime) and still fire once",
       INT(misfire_grace_s)},
      {"loose-payload", Kind::kBool, 0, 1, nullptr,
       "legacy: accept a signed request whose payload is not the body's SHA-256",
       BOOL(loose_payload)},
      {"log-format", Kind::kChoice, 0, 0, "logfmt|json", "log line format", STR(log_format)},
      {"log-level", Kind::kChoice, 0, 0, "debug|info|warn|error", "least severe level logged",
       STR(log_level)},
  };
  return table;
}

std::string EnvName(const char* name) {
  std::string e = "TOCK_";
  for (const char* p = name; *p; ++p) e += *p == '-' ? '_' : static_cast<char>(toupper(*p));
  return e;
}

Status Apply(const Option& o, const std::string& value, const std::string& source,
             Settings* s) {
  auto bad = [&](const std::string& rule) {
    return Status::Invalid("setting '" + std::string(o.name) + "' (" + source + ") = \"" +
                           value + "\": " + rule);
  };
  switch (o.kind) {
    case Kind::kString:
      o.set(*s, value, 0);
      return Status::Ok();
    case Kind::kInt: {
      int64_t v = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (value.empty() || ec != std::errc() || p != value.data() + value.size() || v < o.min ||
          v > o.max) {
        return bad("must be an integer from " + std::to_string(o.min) + " to " +
                   std::to_string(o.max));
      }
      o.set(*s, value, v);
      return Status::Ok();
    }
    case Kind::kBool:
      if (value == "true" || value == "1" || value == "yes") {
        o.set(*s, value, 1);
      } else if (value == "false" || value == "0" || value == "no") {
        o.set(*s, value, 0);
      } else {
        return bad("must be true or false");
      }
      return Status::Ok();
    case Kind::kChoice: {
      std::string choices = o.choices;
      std::string padded = "|" + choices + "|";
      if (value.empty() || padded.find("|" + value + "|") == std::string::npos) {
        return bad("must be one of " + choices);
      }
      o.set(*s, value, 0);
      return Status::Ok();
    }
  }
  return Status::Ok();
}

Status SplitListen(Settings* s) {
  size_t colon = s->listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Status::Invalid("setting 'listen' = \"" + s->listen + "\": must be host:port");
  }
  std::string host = s->listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::string port = s->listen.substr(colon + 1);
  int p = -1;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || p < 0 || p > 65535) {
    return Status::Invalid("setting 'listen' = \"" + s->listen +
                           "\": port must be a number from 0 to 65535");
  }
  s->host = host;
  s->port = p;
  return Status::Ok();
}

}  // namespace

std::string SettingsHelp() {
  std::string out = "Usage: tock serve [--name value]...\n\nSettings (flag, environment, default):\n";
  Settings defaults;
  for (const Option& o : Table()) {
    out += "  --" + std::string(o.name) + "  (" + EnvName(o.name) + ", default \"" +
           o.get(defaults) + "\")\n      " + o.help;
    if (o.kind == Kind::kInt) {
      out += "; " + std::to_string(o.min) + " to " + std::to_string(o.max);
    } else if (o.kind == Kind::kChoice) {
      out += "; one of " + std::string(o.choices);
    }
    out += "\n";
  }
  return out;
}

Status LoadSettings(const std::vector<std::string>& args, Settings* out, std::string* help_text) {
  Settings s;
  for (const Option& o : Table()) {
    std::string env = EnvName(o.name);
    if (const char* v = std::getenv(env.c_str())) {
      TOCK_RETURN_IF_ERROR(Apply(o, v, "from " + env, &s));
    }
  }
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      *help_text = SettingsHelp();
      return Status::Ok();
    }
    if (a.rfind("--", 0) != 0) return Status::Invalid("unexpected argument \"" + a + "\"");
    std::string name = a.substr(2), value;
    size_t eq = name.find('=');
    const Option* opt = nullptr;
    std::string key = eq == std::string::npos ? name : name.substr(0, eq);
    for (const Option& o : Table()) {
      if (key == o.name) opt = &o;
    }
    if (opt == nullptr) return Status::Invalid("unknown flag --" + key + " (see tock serve --help)");
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
    } else if (opt->kind == Kind::kBool && (i + 1 >= args.size() || args[i + 1].rfind("--", 0) == 0)) {
      value = "true";
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return Status::Invalid("flag --" + key + " needs a value");
    }
    TOCK_RETURN_IF_ERROR(Apply(*opt, value, "from --" + key, &s));
  }
  TOCK_RETURN_IF_ERROR(SplitListen(&s));
  if (s.data_dir.empty()) return Status::Invalid("setting 'data' must not be empty");
  *out = std::move(s);
  return Status::Ok();
}

}  // namespace tock
