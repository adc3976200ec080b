#include "testutil/pg_server.h"

#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>

#include "storage/postgres/pg_connection.h"
#include "testutil/tock_process.h"

namespace tock::testing {

PgServer& PgServer::Shared() {
  static std::mutex mu;
  static std::unique_ptr<PgServer> server;
  std::lock_guard<std::mutex> lock(mu);
  if (server) return *server;
  server.reset(new PgServer());
  if (const char* url = std::getenv("TOCK_TEST_PG_URL"); url != nullptr && *url != '\0') {
    server->admin_url_ = url;
    return *server;
  }
  std::string dir = MakeTempDir("tock-pg-");
  REQUIRE_MESSAGE(!dir.empty(), "cannot make a temp dir for PostgreSQL");
  std::string out;
  int rc = RunProcess({"bash", std::string(TOCK_SOURCE_ROOT) + "/tools/pg.sh", "start", dir},
                      &out, std::chrono::seconds(120));
  REQUIRE_MESSAGE(rc == 0, "tools/pg.sh start failed: " << out);
  server->owned_dir_ = dir;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  server->admin_url_ = out.substr(out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1);
  return *server;
}

PgServer::~PgServer() {
  if (owned_dir_.empty()) return;
  std::string out;
  RunProcess({"bash", std::string(TOCK_SOURCE_ROOT) + "/tools/pg.sh", "stop", owned_dir_}, &out,
             std::chrono::seconds(60));
}

std::string PgServer::NewDatabase() {
  static std::atomic<int> next{0};
  std::string name = "t" + std::to_string(::getpid()) + "_" + std::to_string(next++);
  Result<std::unique_ptr<pg::Connection>> conn = pg::Connection::Open(admin_url_);
  REQUIRE_MESSAGE(conn.ok(), conn.status().message());
  Status made = (*conn)->ExecScript("CREATE DATABASE " + name);
  REQUIRE_MESSAGE(made.ok(), made.message());
  // postgresql://user:pass@host:port/tock?opts -> .../name?opts
  std::string url = admin_url_;
  size_t q = url.find('?');
  size_t slash = url.rfind('/', q == std::string::npos ? url.size() : q);
  return url.substr(0, slash + 1) + name + (q == std::string::npos ? "" : url.substr(q));
}

}  // namespace tock::testing
