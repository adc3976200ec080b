// The store backends that the store, task and schedule suites run against: one suite, every
// backend (issue 12). A suite's case is a doctest template over TOCK_STORE_BACKENDS:
//
//   TEST_CASE_TEMPLATE("due entries scan in time order", Backend, TOCK_STORE_BACKENDS) {
//     Backend backend;                     // an empty place for a store
//     std::unique_ptr<Store> store = backend.Open();
//     ...
//   }
//
// and runs once per backend, named "<case><rocksdb>". Rigs take the backend as a
// std::unique_ptr<StoreBackend> (TaskRig).
//
// To add a backend: a StoreBackend subclass below (a default constructor that prepares an
// empty place, e.g. a fresh database; TryOpen() that opens the store there), its name with
// TYPE_TO_STRING_AS, and one more entry in TOCK_STORE_BACKENDS.
//
// Tests of one backend's own behaviour (RocksDB's disk format, checkpoint, a second open of
// a live directory, disk full) use that backend directly and stay out of these suites.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "common/status.h"
#include "common/temp_dir.h"
#include "storage/store.h"

namespace tock::testing {

// A place a store lives in, for one test. Owns the place; the stores it opens must be
// closed before it goes.
class StoreBackend {
 public:
  StoreBackend() = default;
  virtual ~StoreBackend() = default;
  StoreBackend(const StoreBackend&) = delete;
  StoreBackend& operator=(const StoreBackend&) = delete;

  // Opens the store in this place: empty the first time, holding what the last store wrote
  // on later calls (a restart). REQUIRES: the store opened before is closed.
  virtual Result<std::unique_ptr<Store>> TryOpen() = 0;

  // TryOpen(), failing the test if it fails.
  std::unique_ptr<Store> Open() {
    Result<std::unique_ptr<Store>> s = TryOpen();
    REQUIRE_MESSAGE(s.ok(), s.status().message());
    return std::move(s).value();
  }
};

// The embedded store (storage/rocksdb/) in a temporary directory.
class RocksDbBackend final : public StoreBackend {
 public:
  Result<std::unique_ptr<Store>> TryOpen() override;
  const std::string& dir() const { return dir_.path(); }

 private:
  TempDir dir_;
};

// The shared store (storage/postgres/) in a fresh database on the test PostgreSQL server
// (testutil/pg_server.h).
class PostgresBackend final : public StoreBackend {
 public:
  PostgresBackend();
  Result<std::unique_ptr<Store>> TryOpen() override;
  const std::string& url() const { return url_; }

 private:
  std::string url_;
};

}  // namespace tock::testing

TYPE_TO_STRING_AS("rocksdb", tock::testing::RocksDbBackend);
TYPE_TO_STRING_AS("postgresql", tock::testing::PostgresBackend);

// Every backend, as a doctest type list.
#define TOCK_STORE_BACKENDS ::tock::testing::RocksDbBackend, ::tock::testing::PostgresBackend
