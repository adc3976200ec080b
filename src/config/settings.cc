// DESIGN: one table (Table() below) declares every setting of `tock serve`: its name, kind,
// bounds, help, and how to set and read it on Settings. Everything else is derived from it:
// the flag (--name) and environment (TOCK_NAME) names, the TOML keys, `tock serve --help` and
// the commented example config (`tock config example`, shipped as packaging/tock.toml; a test
// keeps the two equal). Loading applies the sources in order default < file < environment <
// flag, each value through the same Apply(), so a rule is checked in one place whatever the
// source. toml++ is heavy (~4 s per translation unit): it is included here only, never in a
// header, and built without exceptions (errors come back as values).
#include "config/settings.h"

#include <errno.h>
#include <string.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <sstream>
#include <string_view>

#include "callback/address_guard.h"
#include "callback/url.h"

#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

namespace tock {
namespace {

enum class Kind { kString, kInt, kBool, kChoice };

struct Option {
  const char* name;  // flag --name, environment TOCK_NAME (upper case, - -> _), TOML key name
  Kind kind;
  int64_t min, max;      // kInt
  const char* choices;   // kChoice: "a|b|c"
  const char* help;
  std::function<void(Settings&, const std::string&, int64_t)> set;
  std::function<std::string(const Settings&)> get;
  // kString: a further rule; Ok or why not (the message follows "...": ").
  std::function<Status(const std::string&)> check = nullptr;
  // A setting that no longer does anything: still accepted (so an old config file starts),
  // with a warning that says what replaced it; not in --help or the example config.
  const char* retired = nullptr;
};

Status CheckCidrList(const std::string& v) {
  Result<AddressGuard> g = AddressGuard::Parse(v, "");
  if (!g.ok()) return Status::Invalid("must be a comma-separated list of CIDR blocks: " +
                                      g.status().message());
  return Status::Ok();
}

// The admin token opens every application: a short one could be guessed.
constexpr size_t kMinAdminToken = 32;

Status CheckAdminToken(const std::string& v) {
  if (!v.empty() && v.size() < kMinAdminToken) {
    return Status::Invalid("must be empty (a token is generated) or at least " +
                           std::to_string(kMinAdminToken) + " characters");
  }
  return Status::Ok();
}

Status CheckStore(const std::string& v) {
  if (v == "rocksdb" || v.rfind("postgresql://", 0) == 0 || v.rfind("postgres://", 0) == 0) {
    return Status::Ok();
  }
  return Status::Invalid(
      "must be rocksdb or a PostgreSQL URL, postgresql://user:password@host:port/db");
}

Status CheckProxy(const std::string& v) {
  if (v.empty()) return Status::Ok();
  Result<CallbackUrl> u = ParseCallbackUrl(v);
  if (!u.ok() || u->scheme != "http" || u->target != "/") {
    return Status::Invalid("must be empty or http://host:port (an HTTP proxy that accepts CONNECT)");
  }
  return Status::Ok();
}

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
      {"store", Kind::kString, 0, 0, nullptr,
       "rocksdb (embedded, in --data) or postgresql://user:password@host:port/db?sslmode=... "
       "(shared by any number of nodes)",
       STR(store), CheckStore},
      {"lease-ttl", Kind::kInt, 2, 600, nullptr,
       "seconds a node's lease on due work lasts unrenewed (PostgreSQL store): a dead node's "
       "work moves to another within it",
       INT(lease_ttl_s)},
      {"admin-token", Kind::kString, 0, 0, nullptr,
       "admin bearer token, at least 32 characters; generated into <data>/admin.token when empty",
       STR(admin_token), CheckAdminToken},
      {"time-zone", Kind::kString, 0, 0, nullptr,
       "IANA zone for wall-clock times without an offset", STR(time_zone)},
      {"max-in-flight", Kind::kInt, 1, 100000, nullptr,
       "callbacks in flight at most, all applications together", INT(max_in_flight)},
      {"max-per-app", Kind::kInt, 1, 100000, nullptr,
       "callbacks in flight per application, unless the application sets its parallelism",
       INT(max_per_app)},
      {"delivery-threads", Kind::kInt, 1, 64, nullptr,
       "event-loop threads that send callbacks (each holds thousands in flight)",
       INT(delivery_threads)},
      {"max-connections-per-origin", Kind::kInt, 1, 100000, nullptr,
       "connections to one callback scheme://host:port at most", INT(max_connections_per_origin)},
      {"callback-deny", Kind::kString, 0, 0, nullptr,
       "CIDR blocks callbacks may not connect to (checked after DNS); tock's own listen "
       "address and port are always denied, whatever callback-allow says",
       STR(callback_deny), CheckCidrList},
      {"callback-allow", Kind::kString, 0, 0, nullptr,
       "CIDR blocks allowed although callback-deny covers them", STR(callback_allow),
       CheckCidrList},
      {"callback-proxy", Kind::kString, 0, 0, nullptr,
       "http://host:port of an HTTP proxy every callback goes through (CONNECT); empty: none",
       STR(callback_proxy), CheckProxy},
      {"auto-pause-after", Kind::kInt, 0, 1000000, nullptr,
       "consecutive failed attempts that pause an application (0: never)",
       INT(auto_pause_after)},
      {"auto-pause-window", Kind::kInt, 0, 30 * 86400, nullptr,
       "seconds those failed attempts must span at least (0: no minimum; auto-pause-after 0 "
       "turns auto-pause off)",
       INT(auto_pause_window_s)},
      {"auto-pause-probe", Kind::kInt, 1, 3600, nullptr,
       "seconds between probe deliveries of an automatically paused application",
       INT(auto_pause_probe_s)},
      {"http-threads", Kind::kInt, 1, 4096, nullptr,
       "threads for HTTP requests that wait on storage (creates excepted)", INT(http_threads)},
      {"http-loops", Kind::kInt, 1, 64, nullptr,
       "HTTP event-loop threads (read, parse, answer; one suits 2 cores)", INT(http_loops)},
      {"max-connections", Kind::kInt, 16, 1000000, nullptr,
       "open HTTP connections at most; more are closed as they arrive", INT(max_connections)},
      {"max-connections-per-ip", Kind::kInt, 0, 1000000, nullptr,
       "open HTTP connections one client address may hold (0: no cap; loopback included)",
       INT(max_connections_per_ip)},
      {"max-buffered-bytes", Kind::kInt, 1 << 20, 1LL << 40, nullptr,
       "bytes of request bodies being received at once, all connections; over it: 503",
       INT(max_buffered_bytes)},
      {"auth-failure-limit", Kind::kInt, 0, 1000000, nullptr,
       "authentication failures a client address may have per minute before 429 (0: no limit)",
       INT(auth_failure_limit)},
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
      // Retired settings.
      {"workers", Kind::kInt, 1, 1024, nullptr, "callback worker threads (retired)",
       [](Settings&, const std::string&, int64_t) {}, [](const Settings&) { return std::string(); },
       nullptr,
       "callbacks are event-driven and no longer use a thread each; 'max-in-flight' (default "
       "10000) bounds them and 'delivery-threads' sets the threads"},
  };
  return table;
}

constexpr const char* kConfigEnv = "TOCK_CONFIG";

const Option* Find(std::string_view name) {
  for (const Option& o : Table()) {
    if (name == o.name) return &o;
  }
  return nullptr;
}

std::string EnvName(const char* name) {
  std::string e = "TOCK_";
  for (const char* p = name; *p; ++p) e += *p == '-' ? '_' : static_cast<char>(toupper(*p));
  return e;
}

// The rule a value of o must follow, as the error messages and the help state it.
std::string Rule(const Option& o) {
  switch (o.kind) {
    case Kind::kString:
      return "must be a string";
    case Kind::kInt:
      return "must be an integer from " + std::to_string(o.min) + " to " + std::to_string(o.max);
    case Kind::kBool:
      return "must be true or false";
    case Kind::kChoice:
      return "must be one of " + std::string(o.choices);
  }
  return "";
}

Status Bad(const Option& o, const std::string& value, const std::string& source,
           const std::string& rule) {
  return Status::Invalid("setting '" + std::string(o.name) + "' (" + source + ") = \"" + value +
                         "\": " + rule);
}

// Checks value against o's rule and stores it. source says where it came from ("from
// TOCK_WORKERS", "from --workers", "from /etc/tock/tock.toml:3").
Status Apply(const Option& o, const std::string& value, const std::string& source,
             Settings* s) {
  if (o.retired != nullptr) {
    s->warnings.push_back("setting '" + std::string(o.name) + "' (" + source +
                          ") is no longer used: " + o.retired);
  }
  switch (o.kind) {
    case Kind::kString:
      if (o.check) {
        if (Status st = o.check(value); !st.ok()) return Bad(o, value, source, st.message());
      }
      o.set(*s, value, 0);
      return Status::Ok();
    case Kind::kInt: {
      int64_t v = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (value.empty() || ec != std::errc() || p != value.data() + value.size() || v < o.min ||
          v > o.max) {
        return Bad(o, value, source, Rule(o));
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
        return Bad(o, value, source, Rule(o));
      }
      return Status::Ok();
    case Kind::kChoice: {
      std::string padded = "|" + std::string(o.choices) + "|";
      if (value.empty() || padded.find("|" + value + "|") == std::string::npos) {
        return Bad(o, value, source, Rule(o));
      }
      o.set(*s, value, 0);
      return Status::Ok();
    }
  }
  return Status::Ok();
}

// --- the config file ---------------------------------------------------------------------

const char* TomlTypeName(toml::node_type t) {
  switch (t) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

// The value as the file spelled it (strings without their quotes), for error messages.
std::string NodeText(const toml::node& node) {
  if (const auto* str = node.as_string()) return str->get();
  if (node.is_table()) return "[table]";
  std::ostringstream os;
  node.visit([&os](const auto& n) { os << n; });
  return os.str();
}

// The TOML type a setting of kind k takes.
toml::node_type WantedType(Kind k) {
  switch (k) {
    case Kind::kInt: return toml::node_type::integer;
    case Kind::kBool: return toml::node_type::boolean;
    case Kind::kString:
    case Kind::kChoice: break;
  }
  return toml::node_type::string;
}

Status ReadFile(const std::string& path, std::string* text) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return Status::Invalid("config file " + path + ": cannot open it: " + strerror(errno));
  }
  char buf[8192];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text->append(buf, n);
  bool failed = std::ferror(f) != 0;
  int err = errno;
  std::fclose(f);
  if (failed) return Status::Invalid("config file " + path + ": cannot read it: " + strerror(err));
  return Status::Ok();
}

// Applies every key of the TOML file at path. Keys are settings' names at top level; the
// first problem (in file order) is returned.
Status ApplyFile(const std::string& path, Settings* s) {
  std::string text;
  TOCK_RETURN_IF_ERROR(ReadFile(path, &text));
  toml::parse_result parsed = toml::parse(text, path);
  if (!parsed) {
    const toml::parse_error& e = parsed.error();
    return Status::Invalid("config file " + path + ":" + std::to_string(e.source().begin.line) +
                           ":" + std::to_string(e.source().begin.column) +
                           ": not valid TOML: " + std::string(e.description()));
  }
  struct Entry {
    uint32_t line;
    std::string key;
    const toml::node* node;
  };
  std::vector<Entry> entries;
  for (auto&& [key, node] : parsed.table()) {
    entries.push_back({key.source().begin.line, std::string(key.str()), &node});
  }
  // toml::table is ordered by key; report problems in the order the file has them.
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& a, const Entry& b) { return a.line < b.line; });
  for (const Entry& e : entries) {
    std::string where = path + ":" + std::to_string(e.line);
    const Option* o = Find(e.key);
    if (o == nullptr) {
      return Status::Invalid("config file " + where + ": unknown setting '" + e.key +
                             "' (keys are the flag names of tock serve --help, at top level)");
    }
    toml::node_type want = WantedType(o->kind);
    if (e.node->type() != want) {
      toml::node_type got = e.node->type();
      std::string hint;
      if (got == toml::node_type::string) {
        hint = "; write it without quotes";
      } else if (want == toml::node_type::string && e.node->is_value()) {
        hint = "; write it in quotes";
      }
      return Bad(*o, NodeText(*e.node), "from " + where,
                 Rule(*o) + " (got " + TomlTypeName(got) + hint + ")");
    }
    std::string value;
    if (const auto* i = e.node->as_integer()) {
      value = std::to_string(i->get());
    } else if (const auto* b = e.node->as_boolean()) {
      value = b->get() ? "true" : "false";
    } else {
      value = e.node->as_string()->get();
    }
    TOCK_RETURN_IF_ERROR(Apply(*o, value, "from " + where, s));
  }
  return Status::Ok();
}

// --- flags ---------------------------------------------------------------------------------

bool IsHelp(const std::string& a) { return a == "--help" || a == "-h"; }

// Applies --name value / --name=value flags. With take_config, --config FILE is accepted and
// skipped (LoadSettings reads it first); otherwise it is an unknown flag.
Status ApplyFlags(const std::vector<std::string>& args, bool take_config, Settings* s) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) != 0) return Status::Invalid("unexpected argument \"" + a + "\"");
    std::string name = a.substr(2), value;
    size_t eq = name.find('=');
    std::string key = eq == std::string::npos ? name : name.substr(0, eq);
    if (take_config && key == "config") {
      if (eq == std::string::npos) ++i;
      continue;
    }
    const Option* opt = Find(key);
    if (opt == nullptr) {
      return Status::Invalid("unknown flag --" + key + " (see tock serve --help)");
    }
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
    } else if (opt->kind == Kind::kBool &&
               (i + 1 >= args.size() || args[i + 1].rfind("--", 0) == 0)) {
      value = "true";
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return Status::Invalid("flag --" + key + " needs a value");
    }
    TOCK_RETURN_IF_ERROR(Apply(*opt, value, "from --" + key, s));
  }
  return Status::Ok();
}

// Which config file to read: --config (last one), else TOCK_CONFIG, else default_config if it
// exists. *path is empty when none is to be read.
Status ConfigPath(const std::vector<std::string>& args, const std::string& default_config,
                  std::string* path) {
  bool given = false;
  if (const char* env = std::getenv(kConfigEnv)) {
    *path = env;
    given = true;
  }
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config") {
      if (i + 1 >= args.size()) return Status::Invalid("flag --config needs a value");
      *path = args[++i];
      given = true;
    } else if (args[i].rfind("--config=", 0) == 0) {
      *path = args[i].substr(9);
      given = true;
    }
  }
  if (!given) {
    std::error_code ec;
    *path = !default_config.empty() && std::filesystem::exists(default_config, ec)
                ? default_config
                : std::string();
  }
  return Status::Ok();
}

Status SplitListen(Settings* s) {
  size_t colon = s->listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Status::Invalid("setting 'listen' = \"" + s->listen + "\": must be host:port");
  }
  std::string host = s->listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::string port = s->listen.substr(colon + 1);
  int p = -1;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || p < 0 ||
      p > 65535) {
    return Status::Invalid("setting 'listen' = \"" + s->listen +
                           "\": port must be a number from 0 to 65535");
  }
  s->host = host;
  s->port = p;
  return Status::Ok();
}

// A TOML basic string: quotes, backslashes and control characters escaped.
std::string TomlString(const std::string& v) {
  std::string out = "\"";
  for (unsigned char c : v) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string TomlValue(const Option& o, const Settings& s) {
  return o.kind == Kind::kString || o.kind == Kind::kChoice ? TomlString(o.get(s)) : o.get(s);
}

}  // namespace

std::string SettingsHelp() {
  std::string out =
      "Usage: tock serve [--config FILE] [--name value]...\n\n"
      "Precedence, lowest first: built-in default < config file < environment < flag.\n"
      "  --config FILE  (TOCK_CONFIG, default " + std::string(kDefaultConfigPath) +
      " if it exists)\n"
      "      TOML file whose keys are the names below (`tock config example` prints one;\n"
      "      `tock config check` validates one); --config \"\" reads no file\n\n"
      "Settings (flag, environment, default):\n";
  Settings defaults;
  for (const Option& o : Table()) {
    if (o.retired != nullptr) continue;
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

std::string ExampleConfig(const Settings& values) {
  std::string out =
      "# tock.toml: settings of `tock serve` (generated by `tock config example`).\n"
      "#\n"
      "# Keys are the flag names of `tock serve --help`, all at top level. Precedence, lowest\n"
      "# first: built-in default < this file < environment (TOCK_<NAME>, e.g. TOCK_MAX_PER_APP)\n"
      "# < flag. A commented-out line shows the built-in default. Check a file with\n"
      "# `tock config check --config FILE`.\n";
  Settings defaults;
  for (const Option& o : Table()) {
    if (o.retired != nullptr) continue;
    out += "\n# " + std::string(o.help);
    if (o.kind == Kind::kInt) {
      out += "; " + std::to_string(o.min) + " to " + std::to_string(o.max);
    } else if (o.kind == Kind::kChoice) {
      out += "; one of " + std::string(o.choices);
    } else if (o.kind == Kind::kBool) {
      out += "; true or false";
    }
    out += "\n";
    std::string default_value = TomlValue(o, defaults);
    std::string value = TomlValue(o, values);
    if (value == default_value) {
      out += "#" + std::string(o.name) + " = " + default_value + "\n";
    } else {
      out += "# (default: " + default_value + ")\n";
      out += std::string(o.name) + " = " + value + "\n";
    }
  }
  return out;
}

Status ParseFlagsOnly(const std::vector<std::string>& args, Settings* out) {
  Settings s;
  TOCK_RETURN_IF_ERROR(ApplyFlags(args, /*take_config=*/false, &s));
  *out = std::move(s);
  return Status::Ok();
}

Status LoadSettings(const std::vector<std::string>& args, Settings* out, std::string* help_text) {
  return LoadSettings(args, kDefaultConfigPath, out, help_text);
}

Status LoadSettings(const std::vector<std::string>& args, const std::string& default_config,
                    Settings* out, std::string* help_text) {
  if (std::any_of(args.begin(), args.end(), IsHelp)) {
    *help_text = SettingsHelp();
    return Status::Ok();
  }
  Settings s;
  TOCK_RETURN_IF_ERROR(ConfigPath(args, default_config, &s.config_file));
  if (!s.config_file.empty()) TOCK_RETURN_IF_ERROR(ApplyFile(s.config_file, &s));
  for (const Option& o : Table()) {
    std::string env = EnvName(o.name);
    if (const char* v = std::getenv(env.c_str())) {
      TOCK_RETURN_IF_ERROR(Apply(o, v, "from " + env, &s));
    }
  }
  TOCK_RETURN_IF_ERROR(ApplyFlags(args, /*take_config=*/true, &s));
  TOCK_RETURN_IF_ERROR(SplitListen(&s));
  if (s.data_dir.empty()) return Status::Invalid("setting 'data' must not be empty");
  *out = std::move(s);
  return Status::Ok();
}

}  // namespace tock
