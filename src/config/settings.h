// Settings: every option of `tock serve`, declared once in a table (settings.cc) with its
// name, environment variable, default, bounds and help. Precedence: built-in default <
// environment (TOCK_*) < command-line flag (--name value or --name=value).
//
// A bad value stops start-up with one line naming the setting, the value and the rule.
// Thread-safety: a plain value, filled once at start-up.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace tock {

struct Settings {
  std::string listen = "127.0.0.1:9502";
  std::string data_dir = "./tock-data";
  std::string admin_token;
  std::string time_zone = "UTC";
  int64_t workers = 64;
  int64_t max_per_app = 32;
  int64_t http_threads = 128;
  int64_t wheel_horizon_s = 60;
  int64_t retention_days = 7;
  int64_t max_delay_days = 365;
  int64_t max_body_bytes = 1 << 20;
  int64_t shutdown_grace_s = 10;
  int64_t max_schedules_per_app = 1000;
  int64_t schedule_retention_days = 30;
  int64_t misfire_grace_s = 3600;
  bool loose_payload = false;
  std::string log_format = "logfmt";
  std::string log_level = "info";

  // Split of `listen`, filled by Load.
  std::string host;
  int port = 0;
};

// Reads the environment, then args (the words after "serve"). --help fills *help_text.
Status LoadSettings(const std::vector<std::string>& args, Settings* out, std::string* help_text);

// The help text generated from the table.
std::string SettingsHelp();

}  // namespace tock
