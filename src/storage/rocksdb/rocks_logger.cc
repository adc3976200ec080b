#include "storage/rocksdb/rocks_logger.h"

#include <algorithm>
#include <cstdio>
#include <string_view>

#include "common/log.h"

namespace tock {

void RocksLogger::Logv(const char* format, va_list ap) {
  Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
}

void RocksLogger::Logv(rocksdb::InfoLogLevel level, const char* format, va_list ap) {
  // Header lines (options dumps at open) count as info.
  if (level == rocksdb::InfoLogLevel::HEADER_LEVEL) level = rocksdb::InfoLogLevel::INFO_LEVEL;
  if (level < GetInfoLogLevel()) return;
  // RocksDB's lines are short; a longer one is cut (the log is for people, not parsing).
  char buf[1024];
  const int n = std::vsnprintf(buf, sizeof buf, format, ap);
  if (n < 0) return;
  std::string_view text(buf, std::min<size_t>(static_cast<size_t>(n), sizeof buf - 1));
  while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  // On every first start RocksDB reports, as an error, that the directory it is about to
  // create does not exist yet ("Error when reading <dir> dir NotFound: "). Not a problem.
  if (text.starts_with("Error when reading ") && text.find(" dir NotFound") != text.npos) {
    if (GetInfoLogLevel() > rocksdb::InfoLogLevel::DEBUG_LEVEL) return;
    level = rocksdb::InfoLogLevel::DEBUG_LEVEL;
  }
  switch (level) {
    case rocksdb::InfoLogLevel::DEBUG_LEVEL:
      log::Debug("rocksdb.log", {{"msg", text}});
      break;
    case rocksdb::InfoLogLevel::INFO_LEVEL:
      log::Info("rocksdb.log", {{"msg", text}});
      break;
    case rocksdb::InfoLogLevel::WARN_LEVEL:
      log::Warn("rocksdb.log", {{"msg", text}});
      break;
    default:
      log::Error("rocksdb.log", {{"msg", text}});
      break;
  }
}

}  // namespace tock
