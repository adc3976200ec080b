// The .deb: packaging/build-deb.sh builds it from the tested binary; its file list, control
// fields, maintainer scripts and unit file are checked, and the packaged binary runs.
// The package is built once (into a temp dir) and shared by the test cases.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "common/temp_dir.h"

namespace tock::testing {
namespace {

const std::string kSourceRoot = TOCK_SOURCE_ROOT;
const std::string kVersion = "0.1.0";

// Runs cmd through sh with stderr joined to stdout; *exit_code is its exit status.
std::string Run(const std::string& cmd, int* exit_code) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) {
    *exit_code = -1;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = pclose(p);
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// `tock config check --config file` (whatever TOCK_CONFIG says here): its output.
std::string ConfigCheck(const std::string& file, int* exit_code) {
  return Run("env -u TOCK_CONFIG '" TOCK_BINARY "' config check --config " + Quote(file),
             exit_code);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

bool HaveTool(const std::string& tool) {
  int code = 0;
  Run("command -v " + tool, &code);
  return code == 0;
}

// The package, built once: deb is its path, root the extracted files, control its control
// files (dpkg-deb -e). Empty deb when the build failed (build_log says why).
struct Package {
  TempDir dir;
  std::string deb, root, control, build_log;
  int build_code = -1;
};

const Package& Built() {
  static const std::unique_ptr<Package> pkg = [] {
    auto p = std::make_unique<Package>();
    std::string out_dir = p->dir.Sub("out");
    p->build_log = Run(Quote(kSourceRoot + "/packaging/build-deb.sh") + " --out " +
                           Quote(out_dir) + " --binary " + Quote(TOCK_BINARY),
                       &p->build_code);
    if (p->build_code != 0) return p;
    // The script prints the .deb's path on its last line.
    std::string log = p->build_log;
    while (!log.empty() && log.back() == '\n') log.pop_back();
    p->deb = log.substr(log.rfind('\n') + 1);
    p->root = p->dir.Sub("root");
    p->control = p->dir.Sub("control");
    int code = 0;
    Run("dpkg-deb -x " + Quote(p->deb) + " " + Quote(p->root) + " && dpkg-deb -e " +
            Quote(p->deb) + " " + Quote(p->control),
        &code);
    if (code != 0) p->deb.clear();
    return p;
  }();
  return *pkg;
}

#define REQUIRE_PACKAGE(pkg)                                            \
  INFO("build-deb.sh output:\n" << (pkg).build_log);                    \
  REQUIRE((pkg).build_code == 0);                                       \
  REQUIRE_FALSE((pkg).deb.empty())

// `key=value` lines of a unit file: key -> every value given, in order.
std::multimap<std::string, std::string> UnitKeys(const std::string& text) {
  std::multimap<std::string, std::string> keys;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#' || line[0] == '[') continue;
    size_t eq = line.find('=');
    if (eq != std::string::npos) keys.emplace(line.substr(0, eq), line.substr(eq + 1));
  }
  return keys;
}

}  // namespace

TEST_SUITE("Deb") {
  TEST_CASE("build-deb.sh builds tock_<version>_<arch>.deb") {
    const Package& pkg = Built();
    REQUIRE_PACKAGE(pkg);
    int code = 0;
    std::string arch = Run("dpkg --print-architecture", &code);
    arch.erase(arch.find_last_not_of('\n') + 1);
    CHECK(pkg.deb == pkg.dir.Sub("out") + "/tock_" + kVersion + "_" + arch + ".deb");
  }

  TEST_CASE("the file list holds exactly the expected files, root-owned, with their modes") {
    const Package& pkg = Built();
    REQUIRE_PACKAGE(pkg);
    int code = 0;
    std::string listing = Run("dpkg-deb --contents " + Quote(pkg.deb), &code);
    REQUIRE(code == 0);
    INFO("contents:\n" << listing);
    const std::map<std::string, std::string> expected = {
        {"./usr/bin/tock", "-rwxr-xr-x"},
        {"./lib/systemd/system/tock.service", "-rw-r--r--"},
        {"./etc/tock/tock.toml", "-rw-r--r--"},
        {"./usr/share/man/man1/tock.1.gz", "-rw-r--r--"},
        {"./usr/share/doc/tock/copyright", "-rw-r--r--"},
    };
    std::map<std::string, std::string> files;
    std::istringstream lines(listing);
    std::string mode, owner, size, date, time, path;
    while (lines >> mode >> owner >> size >> date >> time >> path) {
      CHECK_MESSAGE(owner == "root/root", path << " is owned by " << owner);
      if (mode[0] == 'd') {
        CHECK_MESSAGE(mode == "drwxr-xr-x", path << " has mode " << mode);
      } else {
        files[path] = mode;
      }
    }
    CHECK(files == expected);
  }

  TEST_CASE("the control fields name the package, version, architecture and dependencies") {
    const Package& pkg = Built();
    REQUIRE_PACKAGE(pkg);
    int code = 0;
    std::string info = Run("dpkg-deb --info " + Quote(pkg.deb), &code);
    REQUIRE(code == 0);
    INFO("info:\n" << info);
    CHECK(Contains(info, "Package: tock\n"));
    CHECK(Contains(info, "Version: " + kVersion + "\n"));
    std::string arch = Run("dpkg --print-architecture", &code);
    CHECK(Contains(info, "Architecture: " + arch));
    CHECK(Contains(info, "Depends: adduser, tzdata\n"));
    CHECK(Contains(info, "Installed-Size: "));
    CHECK(Contains(info, "Description: "));
    for (const char* f : {"control", "conffiles", "postinst", "prerm", "postrm"}) {
      CHECK_MESSAGE(Contains(info, std::string(" ") + f), "no control file " << f);
    }
    CHECK(ReadFile(pkg.control + "/conffiles") == "/etc/tock/tock.toml\n");
  }

  TEST_CASE("the maintainer scripts parse, create the user and data dir, keep the data") {
    const Package& pkg = Built();
    REQUIRE_PACKAGE(pkg);
    for (const char* s : {"postinst", "prerm", "postrm"}) {
      std::string path = pkg.control + "/" + s;
      int code = 0;
      std::string out = Run("sh -n " + Quote(path), &code);
      CHECK_MESSAGE(code == 0, s << ": " << out);
      Run("test -x " + Quote(path), &code);
      CHECK_MESSAGE(code == 0, s << " is not executable");
      std::string text = ReadFile(path);
      CHECK(text.rfind("#!/bin/sh\n", 0) == 0);
      CHECK(Contains(text, "\nset -e\n"));
      // systemd is touched only when it runs, so installing into a chroot works.
      if (Contains(text, "systemctl") || Contains(text, "deb-systemd-invoke")) {
        CHECK(Contains(text, "[ -d /run/systemd/system ]"));
      }
    }
    std::string postinst = ReadFile(pkg.control + "/postinst");
    CHECK(Contains(postinst, "adduser --system --group"));
    CHECK(Contains(postinst, "getent passwd tock"));
    CHECK(Contains(postinst, "/var/lib/tock"));
    CHECK(Contains(postinst, "deb-systemd-helper enable tock.service"));
    std::string postrm = ReadFile(pkg.control + "/postrm");
    CHECK_FALSE(Contains(postrm, "rm -rf /var/lib/tock\n"));  // only in a comment: kept
    CHECK_FALSE(Contains(postrm, "deluser tock\n"));
    CHECK(Contains(postrm, "KEEPS THE DATA"));
    if (HaveTool("shellcheck")) {
      int code = 0;
      std::string out = Run("shellcheck -s sh " + Quote(pkg.control + "/postinst") + " " +
                                Quote(pkg.control + "/prerm") + " " +
                                Quote(pkg.control + "/postrm"),
                            &code);
      CHECK_MESSAGE(code == 0, out);
    }
  }

  TEST_CASE("the unit runs tock as its own user, hardened, stopped by SIGTERM") {
    const Package& pkg = Built();
    REQUIRE_PACKAGE(pkg);
    std::string unit = ReadFile(pkg.root + "/lib/systemd/system/tock.service");
    REQUIRE_FALSE(unit.empty());
    auto keys = UnitKeys(unit);
    const std::vector<std::pair<std::string, std::string>> required = {
        {"User", "tock"},
        {"Group", "tock"},
        {"ExecStart", "/usr/bin/tock serve --config /etc/tock/tock.toml"},
        {"StateDirectory", "tock"},
        {"ReadWritePaths", "/var/lib/tock"},
        {"Restart", "on-failure"},
        {"KillSignal", "SIGTERM"},
        {"TimeoutStopSec", "30"},
        {"ProtectSystem", "strict"},
        {"ProtectHome", "true"},
        {"PrivateTmp", "true"},
        {"NoNewPrivileges", "true"},
        {"CapabilityBoundingSet", ""},
        {"RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"},
        {"LimitNOFILE", "65536"},
        {"WantedBy", "multi-user.target"},
    };
    for (const auto& [key, value] : required) {
      auto [lo, hi] = keys.equal_range(key);
      bool found = false;
      for (auto it = lo; it != hi; ++it) found = found || it->second == value;
      CHECK_MESSAGE(found, "tock.service lacks " << key << "=" << value);
    }
    CHECK(Contains(unit, "[Unit]\n"));
    CHECK(Contains(unit, "[Service]\n"));
    CHECK(Contains(unit, "[Install]\n"));
  }

  TEST_CASE("systemd-analyze verify accepts the unit") {
    const Package& pkg = Built();
    REQUIRE_PACKAGE(pkg);
    if (!HaveTool("systemd-analyze")) {
      MESSAGE("systemd-analyze is not installed: skipping the verify check");
      return;
    }
    // verify checks that ExecStart's program exists: point it at the extracted binary.
    TempDir dir;
    std::string unit = ReadFile(pkg.root + "/lib/systemd/system/tock.service");
    const std::string exec = "ExecStart=/usr/bin/tock ";
    size_t at = unit.find(exec);
    REQUIRE(at != std::string::npos);
    unit.replace(at, exec.size(), "ExecStart=" + pkg.root + "/usr/bin/tock ");
    std::ofstream(dir.Sub("tock.service")) << unit;
    // --man=no: Documentation=man:tock(1) names the packaged page, not installed here.
    int code = 0;
    std::string out =
        Run("systemd-analyze verify --man=no " + Quote(dir.Sub("tock.service")), &code);
    INFO("systemd-analyze verify:\n" << out);
    CHECK(code == 0);
    // Unknown keys and bad values are only warnings: any line about our unit fails the test.
    CHECK_FALSE(Contains(out, "tock.service"));
  }

  TEST_CASE("the packaged binary is stripped, runs --version, and accepts the packaged config") {
    const Package& pkg = Built();
    REQUIRE_PACKAGE(pkg);
    std::string bin = pkg.root + "/usr/bin/tock";
    int code = 0;
    CHECK(Run(Quote(bin) + " --version", &code) == "tock " + kVersion + "\n");
    CHECK(code == 0);
    std::string out =
        Run("env -u TOCK_CONFIG " + Quote(bin) + " config check --config " +
                Quote(pkg.root + "/etc/tock/tock.toml"),
            &code);
    INFO(out);
    CHECK(code == 0);
    if (HaveTool("readelf")) {
      std::string sections = Run("readelf -S " + Quote(bin), &code);
      CHECK_FALSE(Contains(sections, ".symtab"));
    }
  }

  TEST_CASE("the man page names the commands and the config file") {
    const Package& pkg = Built();
    REQUIRE_PACKAGE(pkg);
    int code = 0;
    std::string page =
        Run("gzip -dc " + Quote(pkg.root + "/usr/share/man/man1/tock.1.gz"), &code);
    REQUIRE(code == 0);
    CHECK(Contains(page, ".TH TOCK 1"));
    CHECK(Contains(page, "tock " + kVersion));
    CHECK_FALSE(Contains(page, "@VERSION@"));
    for (const char* word : {"serve", "config example", "config check", "tock app", "backup",
                             "verify", "/etc/tock/tock.toml",
                             "/var/lib/tock", "SIGTERM"}) {
      CHECK_MESSAGE(Contains(page, word), "man page lacks " << word);
    }
    std::string copyright = ReadFile(pkg.root + "/usr/share/doc/tock/copyright");
    CHECK(Contains(copyright, "Upstream-Name: tock"));
    CHECK(Contains(copyright, "License: Apache-2.0"));
    CHECK_FALSE(Contains(copyright, "UNDECIDED"));
    for (const char* lib : {"librocksdb-dev", "libsodium-dev", "libssl-dev", "libjemalloc-dev"}) {
      CHECK_MESSAGE(Contains(copyright, "Debian package " + std::string(lib)), "no " << lib);
    }
    CHECK(Contains(copyright, "Debian source package curl"));
    CHECK(Contains(copyright, "Debian source package postgresql-15 (libpq"));
    CHECK(Contains(copyright, "PostgreSQL"));
  }
}

TEST_SUITE("Package") {
  TEST_CASE("packaging/tock.toml is `tock config example --data /var/lib/tock`") {
    int code = 0;
    std::string generated =
        Run("'" TOCK_BINARY "' config example --data /var/lib/tock", &code);
    REQUIRE(code == 0);
    std::string shipped = ReadFile(kSourceRoot + "/packaging/tock.toml");
    CHECK_MESSAGE(shipped == generated,
                  "packaging/tock.toml drifted from the settings table; regenerate it: "
                  "build/tock config example --data /var/lib/tock > packaging/tock.toml");
  }

  TEST_CASE("tock config check refuses a bad file with one line and exit status 2") {
    TempDir dir;
    std::ofstream(dir.Sub("bad.toml")) << "workers = 4\nmax-per-app = 0\n";
    int code = 0;
    std::string out = ConfigCheck(dir.Sub("bad.toml"), &code);
    CHECK(code == 2);
    CHECK(out == "tock: setting 'max-per-app' (from " + dir.Sub("bad.toml") +
                     ":2) = \"0\": must be an integer from 1 to 100000\n");
  }

  TEST_CASE("tock config check accepts an old file with 'workers' and says it is retired") {
    TempDir dir;
    std::ofstream(dir.Sub("old.toml")) << "listen = \"127.0.0.1:9502\"\nworkers = 64\n";
    int code = 0;
    std::string out = ConfigCheck(dir.Sub("old.toml"), &code);
    CHECK(code == 0);
    CHECK(Contains(out, "warning: setting 'workers' (from " + dir.Sub("old.toml") +
                            ":2) is no longer used: "));
    CHECK(Contains(out, "max-in-flight"));
    CHECK(Contains(out, "config ok (file " + dir.Sub("old.toml") + ")"));
  }

  TEST_CASE("tock serve refuses a bad config file before starting, naming it") {
    TempDir dir;
    std::ofstream(dir.Sub("bad.toml")) << "log-level = \"loud\"\n";
    int code = 0;
    std::string out = Run("'" TOCK_BINARY "' serve --config " + Quote(dir.Sub("bad.toml")) +
                              " --data " + Quote(dir.Sub("data")),
                          &code);
    CHECK(code == 2);
    CHECK(Contains(out, "config.invalid"));
    CHECK(Contains(out, "log-level"));
    CHECK(Contains(out, "loud"));
  }
}

}  // namespace tock::testing
