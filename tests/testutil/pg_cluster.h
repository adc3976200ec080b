// PgCluster and PgDatabase: throw-away PostgreSQL for the tests, tools/bench and tools/faults,
// without doctest (the bench and the fault driver build with -Dtests=false; the doctest face
// of this is testutil/pg_server.h).
//
// PgCluster is a cluster of its own made by tools/pg.sh in a temp dir: Start() runs
// `pg.sh start`, Down()/Up() stop it (fast shutdown) and start it again on the same port (a
// database outage), and the destructor runs `pg.sh stop`, which stops the postmaster by the
// PID in DIR/pid and removes the dir. A cancelled or failing driver still stops it (its
// destructor runs); a SIGKILLed one leaves it running (pg.sh starts it detached), so its
// dir, <TMPDIR>/<prefix>XXXXXX, is printed in errors.
//
// PgDatabase is a fresh database on any server (an owned cluster or a URL given by the
// operator), dropped WITH (FORCE) by its destructor: stop its users first.
//
//   std::unique_ptr<PgCluster> pg;
//   if (!PgCluster::Start("tock-bench-pg-", &pg, &error)) ...
//   std::unique_ptr<PgDatabase> db;
//   if (!PgDatabase::Create(pg->admin_url(), "bench", &db, &error)) ...
//   ... tock serve --store db->url() ...
//   pg->Down(&error); ... pg->Up(&error);
//
// Thread-safety: none; one thread drives a PgCluster. PgDatabase::Create may be called from
// any thread.
#pragma once

#include <memory>
#include <string>

namespace tock::testing {

class PgCluster {
 public:
  // Makes <TMPDIR>/<prefix>XXXXXX and starts a cluster in it; false (with *error) if pg.sh
  // failed, leaving nothing running.
  static bool Start(const std::string& prefix, std::unique_ptr<PgCluster>* out, std::string* error);
  ~PgCluster();  // pg.sh stop: the postmaster by PID, then the dir
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  // postgresql://tock:tock@127.0.0.1:PORT/tock?sslmode=disable (the administration database).
  const std::string& admin_url() const { return admin_url_; }
  const std::string& dir() const { return dir_; }

  // pg.sh down: fast shutdown, keeping the cluster. Returns when the postmaster has exited.
  bool Down(std::string* error);
  // pg.sh up: starts it again on the same port; returns once it accepts connections.
  bool Up(std::string* error);

 private:
  explicit PgCluster(std::string dir) : dir_(std::move(dir)) {}
  bool Run(const char* command, std::string* output);
  std::string dir_;
  std::string admin_url_;
};

class PgDatabase {
 public:
  // CREATE DATABASE <prefix><pid>_<n> on the server of admin_url; false with *error if that
  // failed.
  static bool Create(const std::string& admin_url, const std::string& prefix,
                     std::unique_ptr<PgDatabase>* out, std::string* error);
  ~PgDatabase();  // DROP DATABASE ... WITH (FORCE); a failure is printed, not fatal
  PgDatabase(const PgDatabase&) = delete;
  PgDatabase& operator=(const PgDatabase&) = delete;

  const std::string& name() const { return name_; }
  const std::string& url() const { return url_; }  // the admin URL with this database's name
  // pg_database_size(): what its tables and indexes take on disk (not the server's WAL), in
  // MiB; -1 if it could not be read.
  double SizeMiB() const;

  // Keep the database when this goes away (a test's post-mortem, or a shared test server
  // where dropping would only cost time).
  void Keep() { keep_ = true; }

 private:
  PgDatabase(std::string admin_url, std::string name);
  const std::string admin_url_;
  const std::string name_;
  const std::string url_;
  bool keep_ = false;
};

// admin_url with its database name replaced: postgresql://u:p@h:port/tock?o -> .../name?o
std::string DatabaseUrl(const std::string& admin_url, const std::string& name);

}  // namespace tock::testing
