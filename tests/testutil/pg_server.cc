#include "testutil/pg_server.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <mutex>

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
  server->StartOwned();
  return *server;
}

std::unique_ptr<PgServer> PgServer::StartPrivate() {
  std::unique_ptr<PgServer> server(new PgServer());
  server->StartOwned();
  return server;
}

void PgServer::StartOwned() {
  std::string error;
  REQUIRE_MESSAGE(PgCluster::Start("tock-pg-", &owned_, &error), error);
  admin_url_ = owned_->admin_url();
}

PgServer::~PgServer() = default;  // owned_ stops the cluster by PID

std::string PgServer::NewDatabase() {
  std::unique_ptr<PgDatabase> db;
  std::string error;
  REQUIRE_MESSAGE(PgDatabase::Create(admin_url_, "t", &db, &error), error);
  db->Keep();  // goes with the server; dropping it would only cost the tests time
  return db->url();
}

void PgServer::Down() {
  REQUIRE_MESSAGE(owned_ != nullptr, "Down(): this server was not started by this process");
  std::string error;
  REQUIRE_MESSAGE(owned_->Down(&error), error);
}

void PgServer::Up() {
  REQUIRE_MESSAGE(owned_ != nullptr, "Up(): this server was not started by this process");
  std::string error;
  REQUIRE_MESSAGE(owned_->Up(&error), error);
}

}  // namespace tock::testing
