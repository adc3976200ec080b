// TockNodes: the tock servers of one benchmark run or fault scenario. Either one `tock serve`
// on its own data dir (the embedded RocksDB store), or n of them on one PostgreSQL database
// (issue 12: scale out), each with `--store <database url>`, its own temp dir (data dir: the
// admin token file; logs) and the same admin token, as an operator would run them behind a
// load balancer.
//
// With a PostgreSQL server (pg_admin_url), the first Start() creates a fresh database on it
// (testutil/pg_cluster.h PgDatabase) that every later start reuses (a restart finds its
// tasks) and the destructor drops, after stopping the nodes.
//
//   TockNodes tock(options, pg_admin_url, 2);
//   if (!tock.Start(&error)) ...               // every node, in order; /readyz 200 each
//   ClientPool pool("127.0.0.1", tock.ports(), 64, ...);  // spread over the nodes
//   tock.node(1).Kill9(); tock.node(1).Start(&error);     // one node (a new port)
//
// Each node is a testutil TockProcess (PR_SET_PDEATHSIG; stopped and its temp dir removed
// by its destructor). Thread-safety: none; the driver's main thread owns it (TockProcess's
// REQUIRES: the forking thread outlives the children).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "testutil/pg_cluster.h"
#include "testutil/tock_process.h"

namespace tock::bench {

class TockNodes {
 public:
  // pg_admin_url empty: one node on RocksDB (n is ignored). base.admin_token empty: a random
  // one, shared by the nodes.
  TockNodes(testing::TockProcess::Options base, std::string pg_admin_url, int n);
  ~TockNodes();  // the nodes first (as their options say), then the database
  TockNodes(const TockNodes&) = delete;
  TockNodes& operator=(const TockNodes&) = delete;

  // Starts every node that is not running, in order (node 0 first: it migrates a new
  // database's schema alone). False with *error (the failing node's log tail) on the first
  // that does not become ready.
  bool Start(std::string* error);
  // SIGTERMs every node, then waits for each up to `timeout`; the first non-zero exit code
  // (see TockProcess::Terminate), else 0.
  int Terminate(std::chrono::milliseconds timeout);

  int size() const { return n_; }
  // REQUIRES: Start() was called (the nodes are made by the first).
  testing::TockProcess& node(int i) { return *nodes_[static_cast<size_t>(i)]; }
  const std::string& admin_token() const { return admin_token_; }
  bool postgresql() const { return !pg_admin_url_.empty(); }
  // The database of the nodes (nullptr on RocksDB, or before the first Start()).
  const testing::PgDatabase* database() const { return db_.get(); }

  // Waits (up to 30 s) until every node but the first accepts the application's credentials:
  // the others read applications made on the first from the database every second.
  bool WaitAppKnown(const std::string& app_key, const std::string& secret_key, std::string* error);

  // The nodes' ports, node 0 first (0 for a node not started).
  std::vector<int> ports() const;
  // True while every node runs.
  bool running();
  // Each running node's log tail, max_bytes in all.
  std::string LogTail(size_t max_bytes) const;
  // CPU seconds (utime + stime) of each node, node 0 first; -1 for a node not running.
  std::vector<double> CpuSeconds() const;
  // The highest VmHWM of the nodes, in MiB.
  double PeakRssMiB() const;

 private:
  const std::string pg_admin_url_;
  std::string admin_token_;
  std::unique_ptr<testing::PgDatabase> db_;  // before nodes_: dropped after they stop
  testing::TockProcess::Options base_;
  std::vector<std::unique_ptr<testing::TockProcess>> nodes_;  // made by the first Start()
  int n_;
};

}  // namespace tock::bench
