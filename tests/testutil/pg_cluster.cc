#include "testutil/pg_cluster.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>

#include "storage/postgres/pg_connection.h"
#include "testutil/tock_process.h"

#ifndef TOCK_SOURCE_ROOT
#error "TOCK_SOURCE_ROOT must name the source tree (tools/pg.sh is run from it)"
#endif

namespace tock::testing {
namespace {

// pg.sh waits up to 30 s for a server to answer on a loaded machine, and up to 30 s for one to
// stop; a few tries at a free port on top.
constexpr auto kPgShTimeout = std::chrono::seconds(180);

std::string LastLine(std::string out) {
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  size_t nl = out.rfind('\n');
  return nl == std::string::npos ? out : out.substr(nl + 1);
}

// Runs sql on the server of admin_url; "" on success, else why not.
std::string ExecAdmin(const std::string& admin_url, const std::string& sql) {
  Result<std::unique_ptr<pg::Connection>> conn = pg::Connection::Open(admin_url);
  if (!conn.ok()) return conn.status().message();
  Status s = (*conn)->ExecScript(sql);
  return s.ok() ? "" : s.message();
}

}  // namespace

bool PgCluster::Start(const std::string& prefix, std::unique_ptr<PgCluster>* out,
                      std::string* error) {
  std::string dir = MakeTempDir(prefix);
  if (dir.empty()) {
    *error = "cannot make a temp dir for PostgreSQL";
    return false;
  }
  std::unique_ptr<PgCluster> c(new PgCluster(dir));
  std::string output;
  if (!c->Run("start", &output)) {
    *error = "tools/pg.sh start " + dir + " failed: " + output;
    return false;  // c's destructor runs pg.sh stop: whatever started is stopped
  }
  c->admin_url_ = LastLine(output);
  *out = std::move(c);
  return true;
}

PgCluster::~PgCluster() {
  std::string output;
  if (!Run("stop", &output)) {
    std::fprintf(stderr, "tools/pg.sh stop %s failed: %s\n", dir_.c_str(), output.c_str());
  }
}

bool PgCluster::Down(std::string* error) {
  std::string output;
  if (Run("down", &output)) return true;
  *error = "tools/pg.sh down " + dir_ + " failed: " + output;
  return false;
}

bool PgCluster::Up(std::string* error) {
  std::string output;
  if (Run("up", &output)) return true;
  *error = "tools/pg.sh up " + dir_ + " failed: " + output;
  return false;
}

bool PgCluster::Run(const char* command, std::string* output) {
  return RunProcess({"bash", std::string(TOCK_SOURCE_ROOT) + "/tools/pg.sh", command, dir_}, output,
                    kPgShTimeout) == 0;
}

bool PgDatabase::Create(const std::string& admin_url, const std::string& prefix,
                        std::unique_ptr<PgDatabase>* out, std::string* error) {
  static std::atomic<int> next{0};
  const std::string name = prefix + std::to_string(::getpid()) + "_" + std::to_string(next++);
  std::string why = ExecAdmin(admin_url, "CREATE DATABASE " + name);
  if (!why.empty()) {
    *error = "CREATE DATABASE " + name + ": " + why;
    return false;
  }
  out->reset(new PgDatabase(admin_url, name));
  return true;
}

PgDatabase::PgDatabase(std::string admin_url, std::string name)
    : admin_url_(std::move(admin_url)),
      name_(std::move(name)),
      url_(DatabaseUrl(admin_url_, name_)) {}

PgDatabase::~PgDatabase() {
  if (keep_) return;
  std::string why = ExecAdmin(admin_url_, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  if (!why.empty()) std::fprintf(stderr, "DROP DATABASE %s: %s\n", name_.c_str(), why.c_str());
}

double PgDatabase::SizeMiB() const {
  Result<std::unique_ptr<pg::Connection>> conn = pg::Connection::Open(admin_url_);
  if (!conn.ok()) return -1;
  Result<pg::Rows> rows = (*conn)->Exec("SELECT pg_database_size($1)", pg::Params().Text(name_));
  if (!rows.ok() || rows->size() != 1) return -1;
  return static_cast<double>(rows->Int64(0, 0)) / (1024.0 * 1024.0);
}

std::string DatabaseUrl(const std::string& admin_url, const std::string& name) {
  size_t q = admin_url.find('?');
  size_t slash = admin_url.rfind('/', q == std::string::npos ? admin_url.size() : q);
  return admin_url.substr(0, slash + 1) + name +
         (q == std::string::npos ? "" : admin_url.substr(q));
}

}  // namespace tock::testing
