// RocksLogger: RocksDB's info log, sent to tock's log (stderr) instead of a LOG file in the data
// directory.
//
// Why: a LOG file is one more writer on the data disk. When the disk fills, its append fails, and
// the next line RocksDB logs (e.g. SstFileManager's recovery thread reporting the disk-full error)
// hits WritableFileWriter's "previous error" assertion, which the Debian build of librocksdb keeps
// enabled: tock aborted instead of refusing writes and recovering. Logging through tock also puts
// RocksDB's warnings next to tock's own, in one format.
//
// Lines at `level` and above (WARN by default, as before) become `event=rocksdb.log` entries at the
// matching tock level, with the text in `msg`. Thread-safety: RocksDB calls it from any of its
// threads; tock's log is thread-safe.
#pragma once

#include <rocksdb/env.h>

#include <cstdarg>

namespace tock {

class RocksLogger final : public rocksdb::Logger {
 public:
  explicit RocksLogger(rocksdb::InfoLogLevel level = rocksdb::InfoLogLevel::WARN_LEVEL)
      : rocksdb::Logger(level) {}

  void Logv(const char* format, va_list ap) override;
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override;
};

}  // namespace tock
