// PgServer: a real PostgreSQL 15 for tests, and a fresh database per test (the doctest face
// of testutil/pg_cluster.h: a server that cannot be had fails the calling test).
//
// The shared server is the one tools/test.sh started (its URL in TOCK_TEST_PG_URL), or, when
// a test binary runs alone, one this process starts with tools/pg.sh on first use and stops
// by PID when the process exits. Each NewDatabase() creates an empty database on it, so tests
// never see each other's rows.
//
// A private server is a cluster of the calling test's own, for what a shared one must not
// see: Down() stops it (fast shutdown) and Up() starts it again on the same port, a database
// outage. Stopped by PID when the PgServer goes away.
//
//   std::string url = PgServer::Shared().NewDatabase();   // postgresql://...
//   std::unique_ptr<PgServer> pg = PgServer::StartPrivate();
//   pg->Down(); ... pg->Up();
//
// Thread-safety: Shared() and NewDatabase() may be called from any thread; Down() and Up()
// from the test's thread.
#pragma once

#include <memory>
#include <string>

#include "testutil/pg_cluster.h"

namespace tock::testing {

class PgServer {
 public:
  // The shared server; fails the calling test (doctest REQUIRE) when none can be started.
  static PgServer& Shared();
  // A server of the caller's own; fails the calling test when it cannot be started.
  static std::unique_ptr<PgServer> StartPrivate();
  ~PgServer();

  // A new, empty database's URL (kept until the server goes).
  std::string NewDatabase();
  // The URL of the server's own "tock" database (administration).
  const std::string& admin_url() const { return admin_url_; }

  // A database outage. REQUIRES: a server this process started (StartPrivate(), or Shared()
  // without TOCK_TEST_PG_URL); fail the calling test if pg.sh fails.
  void Down();
  void Up();

 private:
  PgServer() = default;
  // Starts a cluster of this process's own; fails the calling test if it cannot.
  void StartOwned();
  std::string admin_url_;
  std::unique_ptr<PgCluster> owned_;  // set when this process started the server
};

}  // namespace tock::testing
