// `tock app create|list|show|update|pause|resume`: applications on a running server, with
// the admin token.
//
//   tock app create --name N --url U [--step S] [--retry-total R] [--remark X]
//                   [--success-mode body|status] [--parallelism P] [--rate R]
//                   [--time-zone Z] [--app-key K]    POST /application/create
//   tock app list                                     GET /admin/apps
//   tock app show APP_KEY                             GET /admin/apps/{appKey}
//   tock app update APP_KEY [the options of create]   POST /application/update
//   tock app pause APP_KEY [--reason TEXT]            POST /application/pause
//   tock app resume APP_KEY                           POST /application/resume
//
// Output is `key: value` lines; `list` prints one block per application, blank-line
// separated. The secretKey (and webhookSecret) are shown by `create` only: the server
// never returns them again.

#include <simdjson.h>

#include <cstdio>
#include <string>
#include <vector>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "common/json_writer.h"

namespace tock::cli {
namespace {

constexpr const char* kHelp =
    "Usage: tock app <create|list|show|update|pause|resume> [options]\n\n"
    "  tock app create --name N --url U [--step S] [--retry-total R] [--remark X]\n"
    "                  [--success-mode body|status] [--parallelism P] [--rate R]\n"
    "                  [--time-zone Z] [--app-key K]\n"
    "      registers an application; prints its keys (the secretKey is shown only once)\n"
    "      --app-key: keep an appKey you already use (16-64 letters and digits, such as a\n"
    "        JPush appKey); default a new one of 16\n"
    "      --parallelism: callbacks in flight at most (0: the server's max-per-app)\n"
    "      --rate: callbacks started per second at most (0: no limit)\n"
    "  tock app list           every application (never the secretKey)\n"
    "  tock app show APP_KEY   one application, with its deliveries in flight\n"
    "  tock app update APP_KEY [--name N] [--url U] [...the options of create]\n"
    "      changes what is given\n"
    "  tock app pause APP_KEY [--reason TEXT]\n"
    "      its due callbacks wait (nothing fails) until `tock app resume APP_KEY`\n"
    "  tock app resume APP_KEY   also ends an automatic pause\n\n"
    "Options of every app command:\n";

// The options of create and update, and the body field each fills.
struct FieldFlag {
  const char* flag;
  const char* field;
  bool number;
};
constexpr FieldFlag kFieldFlags[] = {
    {"name", "appName", false},        {"url", "linkUrl", false},
    {"step", "step", true},            {"retry-total", "retryTotal", true},
    {"remark", "remark", false},       {"success-mode", "successMode", false},
    {"parallelism", "parallelism", true}, {"rate", "ratePerSecond", true},
    {"time-zone", "timeZone", false},
};

// A number as a JSON number; anything else as a string, so the server's message names the
// field and the rule.
void WriteNumberOrString(JsonWriter& w, const std::string& text) {
  const size_t sign = !text.empty() && text[0] == '-' ? 1 : 0;
  const size_t dot = text.find('.');
  bool number = text.size() > sign && text.size() < 18 &&
                text.find_first_not_of("0123456789.", sign) == std::string::npos &&
                (dot == std::string::npos ||
                 (dot > sign && dot + 1 < text.size() && text.find('.', dot + 1) == std::string::npos));
  if (number) {
    w.Raw(text);
  } else {
    w.String(text);
  }
}

// The body fields given as flags, into an open object.
void WriteFieldFlags(JsonWriter& w, const Flags& flags) {
  for (const FieldFlag& f : kFieldFlags) {
    if (auto v = flags.Last(f.flag)) {
      w.Key(f.field);
      if (f.number) {
        WriteNumberOrString(w, *v);
      } else {
        w.String(*v);
      }
    }
  }
}

bool IsAppKey(const std::string& key) {
  return !key.empty() &&
         key.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") ==
             std::string::npos;
}

void PrintData(const std::string& data) { PrintObjectLines(data); }

void PrintList(const std::string& data) {
  simdjson::dom::parser parser;
  simdjson::dom::array apps;
  if (parser.parse(data)["apps"].get(apps) != simdjson::SUCCESS) return;
  bool first = true;
  for (simdjson::dom::element app : apps) {
    if (!first) std::printf("\n");
    first = false;
    PrintObjectLines(simdjson::minify(app));
  }
}

}  // namespace

int AppCommand(const std::vector<std::string>& args) {
  std::set<std::string> with_value = AdminFlagNames();
  for (const FieldFlag& f : kFieldFlags) with_value.insert(f.flag);
  with_value.insert("reason");
  with_value.insert("app-key");
  Result<Flags> flags = ParseFlags(args, with_value, {});
  if (!flags.ok()) {
    std::fprintf(stderr, "tock app: %s\n", flags.status().message().c_str());
    return kExitUsage;
  }
  if (flags->Bool("help") || flags->positional.empty()) {
    std::fputs(kHelp, flags->Bool("help") ? stdout : stderr);
    std::fputs(kAdminFlagsHelp, flags->Bool("help") ? stdout : stderr);
    return flags->Bool("help") ? kExitOk : kExitUsage;
  }
  const std::string verb = flags->positional[0];
  const std::set<std::string> verbs = {"create", "list", "show", "update", "pause", "resume"};
  if (!verbs.count(verb)) {
    std::fprintf(stderr,
                 "tock app: unknown command \"%s\" (create, list, show, update, pause, resume)\n",
                 verb.c_str());
    return kExitUsage;
  }
  const bool keyed = verb != "create" && verb != "list";
  if (flags->positional.size() != (keyed ? 2u : 1u)) {
    if (keyed) {
      std::fprintf(stderr, "tock app %s: give one APP_KEY\n", verb.c_str());
    } else {
      std::fprintf(stderr, "tock app %s: unexpected argument\n", verb.c_str());
    }
    return kExitUsage;
  }
  const std::string key = keyed ? flags->positional[1] : "";
  if (keyed && !IsAppKey(key)) {
    std::fprintf(stderr, "tock app %s: APP_KEY must be letters and digits\n", verb.c_str());
    return kExitUsage;
  }
  if (verb != "create" && verb != "update") {
    for (const FieldFlag& f : kFieldFlags) {
      if (flags->Has(f.flag)) {
        std::fprintf(stderr, "tock app %s: --%s is for app create and app update\n",
                     verb.c_str(), f.flag);
        return kExitUsage;
      }
    }
  }
  if (verb != "pause" && flags->Has("reason")) {
    std::fprintf(stderr, "tock app %s: --reason is for app pause\n", verb.c_str());
    return kExitUsage;
  }
  if (verb != "create" && flags->Has("app-key")) {
    std::fprintf(stderr, "tock app %s: --app-key is for app create (an appKey never changes)\n",
                 verb.c_str());
    return kExitUsage;
  }
  Result<AdminTarget> target = ResolveAdminTarget(*flags);
  if (!target.ok()) {
    std::fprintf(stderr, "tock app: %s\n", target.status().message().c_str());
    return kExitUsage;
  }

  if (verb == "list") {
    return HandleReply(*target, AdminRequest(*target, "GET", "/admin/apps", ""), PrintList);
  }
  if (verb == "show") {
    return HandleReply(*target, AdminRequest(*target, "GET", "/admin/apps/" + key, ""),
                       PrintData);
  }
  if (verb == "create" && (!flags->Has("name") || !flags->Has("url"))) {
    std::fprintf(stderr, "tock app create: --name and --url are required\n");
    return kExitUsage;
  }
  JsonWriter w;
  w.BeginObject();
  if (keyed) {
    w.Key("app_key");
    w.String(key);
  }
  if (verb == "create" || verb == "update") WriteFieldFlags(w, *flags);
  if (auto v = flags->Last("app-key")) {
    w.Key("appKey");
    w.String(*v);
  }
  if (auto v = flags->Last("reason")) {
    w.Key("reason");
    w.String(*v);
  }
  w.EndObject();
  return HandleReply(*target, AdminRequest(*target, "POST", "/application/" + verb, w.Take()),
                     PrintData);
}

}  // namespace tock::cli
