#include "config/config_command.h"

#include <cstdio>

#include "config/settings.h"
#include "timeutil/time_zone.h"

namespace tock {
namespace {

constexpr const char* kUsage =
    "Usage: tock config example [--name value]...\n"
    "         print the commented example config; settings given as flags are written as\n"
    "         active lines (packaging/tock.toml is `tock config example --data /var/lib/tock`)\n"
    "       tock config check [--config FILE] [--name value]...\n"
    "         load the settings as `tock serve` would (file, environment, flags) and check\n"
    "         them; exit 0 when valid, 2 with the error otherwise\n";

int Fail(const std::string& message) {
  std::fprintf(stderr, "tock: %s\n", message.c_str());
  return 2;
}

}  // namespace

int ConfigCommand(const std::vector<std::string>& args) {
  if (args.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string& sub = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (sub == "--help" || sub == "-h" || sub == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (sub == "example") {
    Settings values;
    Status s = ParseFlagsOnly(rest, &values);
    if (!s.ok()) return Fail(s.message());
    std::fputs(ExampleConfig(values).c_str(), stdout);
    return 0;
  }
  if (sub == "check") {
    Settings settings;
    std::string help;
    Status s = LoadSettings(rest, &settings, &help);
    if (!help.empty()) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (!s.ok()) return Fail(s.message());
    Result<TimeZone> tz = TimeZone::Load(settings.time_zone);
    if (!tz.ok()) {
      return Fail("setting 'time-zone' = \"" + settings.time_zone + "\": " +
                  tz.status().message());
    }
    // What serve would log at start (a retired setting still loads): an operator checking a
    // file before an upgrade sees it here.
    for (const std::string& w : settings.warnings) std::printf("warning: %s\n", w.c_str());
    std::printf("config ok (%s)\n", settings.config_file.empty()
                                         ? "no config file read"
                                         : ("file " + settings.config_file).c_str());
    return 0;
  }
  std::fprintf(stderr, "tock: unknown config command \"%s\"\n", sub.c_str());
  std::fputs(kUsage, stderr);
  return 2;
}

}  // namespace tock
