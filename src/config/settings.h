// Settings: every option of `tock serve`, declared once in a table (settings.cc) with its
// name, environment variable, default, bounds and help. Sources, lowest precedence first:
//
//   built-in default < config file (TOML) < environment (TOCK_*) < command-line flag
//
// The config file is `--config FILE` (or TOCK_CONFIG); without either, kDefaultConfigPath is
// read when it exists. An explicitly given file must exist; `--config ""` reads no file. Its
// keys are the flag names (`listen = "127.0.0.1:9502"`, `max-per-app = 32`), at top level only;
// an unknown key, a wrong TOML type or a value out of bounds is an error.
//
// A bad value stops start-up with one line naming the setting, the value, where it came from
// and the rule.
// Thread-safety: a plain value, filled once at start-up. LoadSettings reads the environment.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "callback/address_guard.h"
#include "common/status.h"

namespace tock {

// The config file read when neither --config nor TOCK_CONFIG names one (if it exists).
inline constexpr const char* kDefaultConfigPath = "/etc/tock/tock.toml";

struct Settings {
  std::string listen = "127.0.0.1:9502";
  std::string data_dir = "./tock-data";
  std::string store = "rocksdb";   // or a postgresql:// URL: the shared store
  int64_t lease_ttl_s = 10;        // PostgreSQL store: a dead node's leases run out after it
  std::string admin_token;
  std::string time_zone = "UTC";
  int64_t max_in_flight = 10000;
  int64_t max_per_app = 1000;
  int64_t delivery_threads = 2;
  int64_t max_connections_per_origin = 10000;
  std::string callback_deny{AddressGuard::kDefaultDeny};
  std::string callback_allow;
  std::string callback_proxy;
  int64_t auto_pause_after = 200;
  int64_t auto_pause_window_s = 600;
  int64_t auto_pause_probe_s = 60;
  int64_t http_threads = 64;
  int64_t http_loops = 1;
  int64_t max_connections = 10000;
  int64_t max_connections_per_ip = 1000;
  int64_t max_buffered_bytes = 256LL << 20;
  int64_t auth_failure_limit = 100;
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
  // The config file that was read; empty when none was.
  std::string config_file;
  // Lines to log at start: retired settings that were given.
  std::vector<std::string> warnings;
};

// Reads the config file, the environment, then args (the words after "serve"), with
// kDefaultConfigPath as the default config file. --help fills *help_text and reads nothing.
Status LoadSettings(const std::vector<std::string>& args, Settings* out, std::string* help_text);

// As above, with another default config file (tests; "" for none).
Status LoadSettings(const std::vector<std::string>& args, const std::string& default_config,
                    Settings* out, std::string* help_text);

// Reads flags only (no file, no environment) into *out: `tock config example --data DIR`.
Status ParseFlagsOnly(const std::vector<std::string>& args, Settings* out);

// The help text generated from the table.
std::string SettingsHelp();

// A commented example config generated from the table: each setting with its help, bounds and
// environment variable. Settings whose value in `values` differs from the default are written
// as active lines; the others as commented-out defaults (`#max-per-app = 1000`).
std::string ExampleConfig(const Settings& values);

}  // namespace tock
