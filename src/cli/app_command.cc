// `tock app create|list|show`: applications on a running server, with the admin token.
//
//   tock app create --name N --url U [--step S] [--retry-total R] [--remark X]
//                   [--success-mode body|status]     POST /application/create
//   tock app list                                     GET /admin/apps
//   tock app show APP_KEY                             GET /admin/apps/{appKey}
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
    "Usage: tock app <create|list|show> [options]\n\n"
    "  tock app create --name N --url U [--step S] [--retry-total R] [--remark X]\n"
    "                  [--success-mode body|status]\n"
    "      registers an application; prints its keys (the secretKey is shown only once)\n"
    "  tock app list           every application (never the secretKey)\n"
    "  tock app show APP_KEY   one application\n\n"
    "Options of every app command:\n";

// A number as a JSON integer; anything else as a string, so the server's message names the
// field and the rule.
void WriteIntOrString(JsonWriter& w, const std::string& text) {
  bool digits = !text.empty() && text.size() < 18 &&
                text.find_first_not_of("0123456789", text[0] == '-' ? 1 : 0) == std::string::npos &&
                text != "-";
  if (digits) {
    w.Int(std::stoll(text));
  } else {
    w.String(text);
  }
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
  with_value.insert({"name", "url", "step", "retry-total", "remark", "success-mode"});
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
  size_t want_positional = verb == "show" ? 2 : 1;
  if (verb != "create" && verb != "list" && verb != "show") {
    std::fprintf(stderr, "tock app: unknown command \"%s\" (create, list, show)\n", verb.c_str());
    return kExitUsage;
  }
  if (flags->positional.size() != want_positional) {
    std::fprintf(stderr, verb == "show" ? "tock app show: give one APP_KEY\n"
                                        : "tock app %s: unexpected argument\n",
                 verb.c_str());
    return kExitUsage;
  }
  if (verb != "create") {
    for (const char* f : {"name", "url", "step", "retry-total", "remark", "success-mode"}) {
      if (flags->Has(f)) {
        std::fprintf(stderr, "tock app %s: --%s is for app create\n", verb.c_str(), f);
        return kExitUsage;
      }
    }
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
    const std::string& key = flags->positional[1];
    if (key.empty() || key.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                             "0123456789") != std::string::npos) {
      std::fprintf(stderr, "tock app show: APP_KEY must be letters and digits\n");
      return kExitUsage;
    }
    return HandleReply(*target, AdminRequest(*target, "GET", "/admin/apps/" + key, ""),
                       PrintData);
  }

  if (!flags->Has("name") || !flags->Has("url")) {
    std::fprintf(stderr, "tock app create: --name and --url are required\n");
    return kExitUsage;
  }
  JsonWriter w;
  w.BeginObject();
  w.Key("appName"); w.String(*flags->Last("name"));
  w.Key("linkUrl"); w.String(*flags->Last("url"));
  if (auto v = flags->Last("step")) { w.Key("step"); WriteIntOrString(w, *v); }
  if (auto v = flags->Last("retry-total")) { w.Key("retryTotal"); WriteIntOrString(w, *v); }
  if (auto v = flags->Last("remark")) { w.Key("remark"); w.String(*v); }
  if (auto v = flags->Last("success-mode")) { w.Key("successMode"); w.String(*v); }
  w.EndObject();
  return HandleReply(*target, AdminRequest(*target, "POST", "/application/create", w.Take()),
                     PrintData);
}

}  // namespace tock::cli
