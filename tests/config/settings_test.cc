// Settings: precedence default < config file < environment < flag, and every bad value
// refused with one message naming the setting, the value, its source and the rule.
#include "config/settings.h"

#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "common/temp_dir.h"

extern char** environ;

namespace tock {
namespace {

using testing::TempDir;

// Removes every TOCK_* variable from the environment for one test and puts the previous
// values back when it goes away, so the tests neither see nor leak settings.
class CleanTockEnv {
 public:
  CleanTockEnv() {
    for (char** e = environ; *e != nullptr; ++e) {
      std::string kv = *e;
      size_t eq = kv.find('=');
      if (kv.rfind("TOCK_", 0) == 0 && eq != std::string::npos) {
        saved_.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
      }
    }
    for (const auto& [k, v] : saved_) unsetenv(k.c_str());
  }
  ~CleanTockEnv() {
    for (const std::string& k : set_) unsetenv(k.c_str());
    for (const auto& [k, v] : saved_) setenv(k.c_str(), v.c_str(), 1);
  }
  CleanTockEnv(const CleanTockEnv&) = delete;
  CleanTockEnv& operator=(const CleanTockEnv&) = delete;

  void Set(const std::string& name, const std::string& value) {
    setenv(name.c_str(), value.c_str(), 1);
    set_.push_back(name);
  }

 private:
  std::vector<std::pair<std::string, std::string>> saved_;
  std::vector<std::string> set_;
};

std::string WriteFile(const TempDir& dir, const std::string& name, const std::string& text) {
  std::string path = dir.Sub(name);
  std::ofstream(path) << text;
  return path;
}

// Loads with no default config file, so a /etc/tock/tock.toml on this machine plays no part.
Status Load(const std::vector<std::string>& args, Settings* out) {
  std::string help;
  return LoadSettings(args, "", out, &help);
}

// Every table setting compared at once: the example config renders each value.
bool SameSettings(const Settings& a, const Settings& b) {
  return ExampleConfig(a) == ExampleConfig(b);
}

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

TEST_SUITE("Settings") {
  TEST_CASE("without a file, environment or flags every setting has its default") {
    CleanTockEnv env;
    Settings s;
    REQUIRE(Load({}, &s).ok());
    CHECK(SameSettings(s, Settings()));
    CHECK(s.config_file.empty());
    CHECK(s.host == "127.0.0.1");
    CHECK(s.port == 9502);
  }

  TEST_CASE("precedence: default < file < environment < flag") {
    CleanTockEnv env;
    TempDir dir;
    std::string file = WriteFile(dir, "tock.toml",
                                 "max-in-flight = 10\n"
                                 "max-per-app = 5\n"
                                 "log-level = \"warn\"\n"
                                 "loose-payload = true\n"
                                 "listen = \"127.0.0.1:7000\"\n");
    env.Set("TOCK_MAX_IN_FLIGHT", "20");
    env.Set("TOCK_MAX_PER_APP", "6");
    env.Set("TOCK_LISTEN", "127.0.0.1:8000");
    Settings s;
    Status st = Load({"--config", file, "--max-in-flight", "30", "--listen=[::1]:9000"}, &s);
    REQUIRE_MESSAGE(st.ok(), st.message());
    CHECK(s.max_in_flight == 30);         // flag over environment over file
    CHECK(s.max_per_app == 6);      // environment over file
    CHECK(s.log_level == "warn");   // file over default
    CHECK(s.loose_payload);         // file over default
    CHECK(s.http_threads == 64);    // default
    CHECK(s.host == "::1");
    CHECK(s.port == 9000);
    CHECK(s.config_file == file);
  }

  TEST_CASE("an old config file with the retired 'workers' still loads, with a warning") {
    CleanTockEnv env;
    TempDir dir;
    std::string file = WriteFile(dir, "old.toml", "workers = 64\nmax-per-app = 32\n");
    Settings s;
    Status st = Load({"--config", file}, &s);
    REQUIRE_MESSAGE(st.ok(), st.message());
    CHECK(s.max_per_app == 32);
    CHECK(s.max_in_flight == 10000);
    REQUIRE(s.warnings.size() == 1);
    CHECK(Contains(s.warnings[0], "setting 'workers' (from " + file + ":1) is no longer used"));
    CHECK(Contains(s.warnings[0], "max-in-flight"));
    // Still checked as it was, and never in the help or the example.
    CHECK_FALSE(Load({"--workers", "0"}, &s).ok());
    CHECK_FALSE(Contains(SettingsHelp(), "--workers"));
    CHECK_FALSE(Contains(ExampleConfig(Settings()), "workers"));
  }

  TEST_CASE("callback-deny/allow take CIDR lists and callback-proxy an http URL") {
    CleanTockEnv env;
    Settings s;
    REQUIRE(Load({"--callback-deny", "10.0.0.0/8, fd00::/8,127.0.0.1", "--callback-allow", ""}, &s).ok());
    CHECK(s.callback_deny == "10.0.0.0/8, fd00::/8,127.0.0.1");
    Status bad = Load({"--callback-deny", "10.0.0.0/33"}, &s);
    CHECK(Contains(bad.message(), "setting 'callback-deny' (from --callback-deny)"));
    CHECK(Contains(bad.message(), "prefix length must be 0 to 32"));
    CHECK(Contains(Load({"--callback-allow", "example.com"}, &s).message(), "not an address"));
    REQUIRE(Load({"--callback-proxy", "http://127.0.0.1:3128"}, &s).ok());
    CHECK(Contains(Load({"--callback-proxy", "https://p:1"}, &s).message(),
                   "must be empty or http://host:port"));
  }

  TEST_CASE("the config file comes from --config, --config=, or TOCK_CONFIG; the flag wins") {
    CleanTockEnv env;
    TempDir dir;
    std::string a = WriteFile(dir, "a.toml", "max-in-flight = 11\n");
    std::string b = WriteFile(dir, "b.toml", "max-in-flight = 12\n");
    Settings s;
    REQUIRE(Load({"--config=" + a}, &s).ok());
    CHECK(s.max_in_flight == 11);
    env.Set("TOCK_CONFIG", b);
    REQUIRE(Load({}, &s).ok());
    CHECK(s.max_in_flight == 12);
    REQUIRE(Load({"--config", a}, &s).ok());
    CHECK(s.max_in_flight == 11);
    REQUIRE(Load({"--config", ""}, &s).ok());  // "" reads no file
    CHECK(s.max_in_flight == 10000);
    CHECK(s.config_file.empty());
  }

  TEST_CASE("the default config file is read when it exists; a missing one is fine") {
    CleanTockEnv env;
    TempDir dir;
    std::string path = dir.Sub("tock.toml");
    std::string help;
    Settings s;
    REQUIRE(LoadSettings({}, path, &s, &help).ok());
    CHECK(s.config_file.empty());
    WriteFile(dir, "tock.toml", "data = \"/var/lib/tock\"\n");
    REQUIRE(LoadSettings({}, path, &s, &help).ok());
    CHECK(s.data_dir == "/var/lib/tock");
    CHECK(s.config_file == path);
    REQUIRE(LoadSettings({"--config="}, path, &s, &help).ok());
    CHECK(s.data_dir == "./tock-data");
  }

  TEST_CASE("a missing explicit config file is an error naming the file") {
    CleanTockEnv env;
    TempDir dir;
    std::string missing = dir.Sub("nope.toml");
    Settings s;
    Status st = Load({"--config", missing}, &s);
    CHECK_FALSE(st.ok());
    CHECK(Contains(st.message(), "config file " + missing));
    CHECK(Contains(st.message(), "No such file"));
    env.Set("TOCK_CONFIG", missing);
    st = Load({}, &s);
    CHECK(Contains(st.message(), "config file " + missing));
    CHECK_FALSE(Load({"--config"}, &s).ok());
  }

  TEST_CASE("every bad value in the file is refused, naming setting, value, file:line, rule") {
    CleanTockEnv env;
    TempDir dir;
    struct Case {
      const char* toml;
      std::vector<std::string> parts;  // each must appear in the message
    };
    const std::vector<Case> cases = {
        {"max-in-flight = 0\n",
         {"setting 'max-in-flight'", "= \"0\"", ".toml:1", "must be an integer from 1 to 100000"}},
        {"# comment\nlisten = \"127.0.0.1:1\"\nmax-body = 100\n",
         {"setting 'max-body'", "\"100\"", ".toml:3", "from 1024 to 67108864"}},
        {"max-in-flight = \"abc\"\n",
         {"setting 'max-in-flight'", "\"abc\"", "must be an integer",
          "got a string; write it without quotes"}},
        {"max-in-flight = 2.5\n", {"setting 'max-in-flight'", "\"2.5\"", "got a float)"}},
        {"log-format = \"xml\"\n",
         {"setting 'log-format'", "\"xml\"", "must be one of logfmt|json"}},
        {"log-level = 3\n", {"setting 'log-level'", "\"3\"", "got an integer; write it in quotes"}},
        {"loose-payload = \"yes\"\n",
         {"setting 'loose-payload'", "\"yes\"", "true or false", "got a string"}},
        {"listen = 9502\n",
         {"setting 'listen'", "\"9502\"", "must be a string (got an integer; write it in quotes)"}},
        {"data = [\"a\"]\n", {"setting 'data'", "must be a string (got an array)"}},
        {"listen = \"nocolon\"\n", {"setting 'listen'", "\"nocolon\"", "host:port"}},
        {"listen = \"127.0.0.1:70000\"\n", {"setting 'listen'", "from 0 to 65535"}},
        {"data = \"\"\n", {"setting 'data'", "must not be empty"}},
        {"bogus = 1\n", {"unknown setting 'bogus'", ".toml:1"}},
        {"max-in-flight = 4\n[auth]\nloose-payload = true\n", {"unknown setting 'auth'", ".toml:2"}},
        {"max-in-flight = \n", {"not valid TOML", ".toml:1:"}},
        {"max-in-flight = 4\nmax-in-flight = 5\n", {"not valid TOML", ".toml:2:"}},
        {"listen = \"unterminated\n", {"not valid TOML"}},
    };
    for (size_t i = 0; i < cases.size(); ++i) {
      std::string path = WriteFile(dir, "bad" + std::to_string(i) + ".toml", cases[i].toml);
      Settings s;
      Status st = Load({"--config", path}, &s);
      INFO("file: " << cases[i].toml << "message: " << st.message());
      REQUIRE_FALSE(st.ok());
      CHECK(st.message().find('\n') == std::string::npos);
      for (const std::string& part : cases[i].parts) CHECK(Contains(st.message(), part));
      if (!Contains(st.message(), "setting '")) CHECK(Contains(st.message(), path));
    }
  }

  TEST_CASE("every bad value from the environment or a flag is refused with its rule") {
    struct Case {
      std::vector<std::pair<std::string, std::string>> env;
      std::vector<std::string> args;
      std::vector<std::string> parts;
    };
    const std::vector<Case> cases = {
        {{{"TOCK_MAX_IN_FLIGHT", "abc"}},
         {},
         {"setting 'max-in-flight' (from TOCK_MAX_IN_FLIGHT) = \"abc\": must be an integer from 1 to 100000"}},
        {{{"TOCK_LOOSE_PAYLOAD", "maybe"}},
         {},
         {"setting 'loose-payload' (from TOCK_LOOSE_PAYLOAD) = \"maybe\": must be true or false"}},
        {{{"TOCK_HTTP_THREADS", "0"}}, {}, {"setting 'http-threads'", "from 1 to 4096"}},
        {{},
         {"--log-level", "verbose"},
         {"setting 'log-level' (from --log-level) = \"verbose\": must be one of "
          "debug|info|warn|error"}},
        {{}, {"--max-body=10"}, {"setting 'max-body' (from --max-body) = \"10\""}},
        {{}, {"--max-in-flight", "100001"}, {"\"100001\"", "from 1 to 100000"}},
        {{}, {"--max-in-flight", "12x"}, {"\"12x\"", "must be an integer"}},
        {{}, {"--nope", "1"}, {"unknown flag --nope"}},
        {{}, {"--max-in-flight"}, {"flag --max-in-flight needs a value"}},
        {{}, {"serve"}, {"unexpected argument \"serve\""}},
        {{}, {"--listen", "127.0.0.1:x"}, {"setting 'listen'", "port must be"}},
    };
    for (const Case& c : cases) {
      CleanTockEnv env;
      for (const auto& [k, v] : c.env) env.Set(k, v);
      Settings s;
      Status st = Load(c.args, &s);
      INFO("message: " << st.message());
      REQUIRE_FALSE(st.ok());
      for (const std::string& part : c.parts) CHECK(Contains(st.message(), part));
    }
  }

  TEST_CASE("a bad value in a lower source is refused even when a higher one overrides it") {
    CleanTockEnv env;
    TempDir dir;
    std::string file = WriteFile(dir, "tock.toml", "max-in-flight = 0\n");
    Settings s;
    CHECK_FALSE(Load({"--config", file, "--max-in-flight", "5"}, &s).ok());
  }

  TEST_CASE("--help returns the help without reading the file or the environment") {
    CleanTockEnv env;
    env.Set("TOCK_MAX_IN_FLIGHT", "abc");
    Settings s;
    std::string help;
    REQUIRE(LoadSettings({"--config", "/nonexistent.toml", "--help"}, "", &s, &help).ok());
    CHECK(help == SettingsHelp());
    CHECK(Contains(help, "--config FILE"));
    CHECK(Contains(help, "TOCK_CONFIG"));
    CHECK(Contains(help, "--max-per-app  (TOCK_MAX_PER_APP, default \"1000\")"));
  }

  TEST_CASE("the example config parses back to the defaults, commented or not") {
    CleanTockEnv env;
    TempDir dir;
    std::string example = ExampleConfig(Settings());
    Settings s;
    REQUIRE(Load({"--config", WriteFile(dir, "example.toml", example)}, &s).ok());
    CHECK(SameSettings(s, Settings()));
    // Uncomment every `#key = value` line: each must be a valid line holding the default.
    std::string active = std::regex_replace(example, std::regex("(^|\n)#([a-z-]+ = )"), "$1$2");
    CHECK(active != example);
    Status st = Load({"--config", WriteFile(dir, "active.toml", active)}, &s);
    REQUIRE_MESSAGE(st.ok(), st.message());
    CHECK(SameSettings(s, Settings()));
    for (const char* key : {"listen = ", "max-in-flight = ", "loose-payload = ", "log-level = "}) {
      CHECK(Contains(active, std::string("\n") + key));
    }
  }

  TEST_CASE("values given to the example become active lines that parse back") {
    CleanTockEnv env;
    TempDir dir;
    Settings values;
    REQUIRE(ParseFlagsOnly({"--data", "/var/lib/tock", "--admin-token",
                            "a\"b\\c-a-token-of-at-least-32-characters",
                            "--loose-payload"},
                           &values)
                .ok());
    std::string example = ExampleConfig(values);
    CHECK(Contains(example, "\ndata = \"/var/lib/tock\"\n"));
    CHECK(Contains(example, "# (default: \"./tock-data\")\n"));
    CHECK(Contains(example, "\n#max-in-flight = 10000\n"));
    Settings s;
    Status st = Load({"--config", WriteFile(dir, "pkg.toml", example)}, &s);
    REQUIRE_MESSAGE(st.ok(), st.message());
    CHECK(s.data_dir == "/var/lib/tock");
    CHECK(s.admin_token == "a\"b\\c-a-token-of-at-least-32-characters");
    CHECK(s.loose_payload);
    CHECK(s.max_in_flight == 10000);
  }

  TEST_CASE("flags-only parsing refuses --config and reads no environment") {
    CleanTockEnv env;
    env.Set("TOCK_MAX_IN_FLIGHT", "7");
    Settings s;
    REQUIRE(ParseFlagsOnly({}, &s).ok());
    CHECK(s.max_in_flight == 10000);
    Status st = ParseFlagsOnly({"--config", "x.toml"}, &s);
    CHECK(Contains(st.message(), "unknown flag --config"));
  }
}

}  // namespace tock
