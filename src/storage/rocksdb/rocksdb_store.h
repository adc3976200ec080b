// The embedded backend: one RocksDB database in the data directory, one column family per
// kind of record (layout in storage/rocksdb/keys.h, encodings in codecs.h).
//
// Durability: a synced Write() returns once the write-ahead log is synced; concurrent synced
// writers are group-committed by RocksDB's write queue, so many requests share one fsync.
//
// Failure: after a write fails the store refuses writes (Unavailable) until restart, except
// for disk full: then writes are refused ("disk full: ...") only until space is freed, and
// the store resumes by itself on a later Write() or healthy() (rocksdb_store.cc explains how).
//
// Backup() is a RocksDB Checkpoint (hard links where it can). Stats() reads RocksDB's
// properties. RocksDB headers stay in the .cc files of this directory.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "common/status.h"
#include "storage/store.h"

namespace tock {

struct RocksStoreOptions {
  size_t block_cache_bytes = 64u << 20;
  size_t write_buffer_bytes = 32u << 20;    // one memtable of one column family
  size_t memtable_budget_bytes = 64u << 20; // all memtables together (a flush beyond it)
  int max_open_files = 1000;                 // RocksDB's table files kept open at most
  // The write-ahead log kept at most before the oldest memtables are flushed: what a
  // restart after kill -9 must replay (~80 MB/s here), so it bounds recovery time.
  size_t max_wal_bytes = 8u << 20;
};

// Opens (creating if missing) the database in dir. Internal if dir holds a database of an
// unknown schema version.
Result<std::unique_ptr<Store>> OpenRocksStore(const std::string& dir,
                                              const RocksStoreOptions& opts);

}  // namespace tock
