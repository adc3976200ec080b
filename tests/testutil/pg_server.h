// PgServer: a real PostgreSQL 15 for tests, and a fresh database per test.
//
// The server is the one tools/test.sh started (its URL in TOCK_TEST_PG_URL), or, when a test
// binary runs alone, one this process starts with tools/pg.sh on first use and stops by PID
// when the process exits. Each NewDatabase() creates an empty database on it, so tests never
// see each other's rows.
//
//   std::string url = PgServer::Shared().NewDatabase();   // postgresql://...
//
// Thread-safety: Shared() and NewDatabase() may be called from any thread.
#pragma once

#include <string>

namespace tock::testing {

class PgServer {
 public:
  // The shared server; fails the calling test (doctest FAIL) when none can be started.
  static PgServer& Shared();
  // A new, empty database's URL.
  std::string NewDatabase();
  // The URL of the server's own "tock" database (administration).
  const std::string& admin_url() const { return admin_url_; }
  ~PgServer();

 private:
  PgServer() = default;
  std::string admin_url_;
  std::string owned_dir_;  // non-empty when this process started the server
};

}  // namespace tock::testing
