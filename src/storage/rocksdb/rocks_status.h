// The one conversion of a rocksdb::Status into tock's Status (STYLE "Errors": foreign errors
// are converted once, at the edge), shared by the files of this directory. RocksDB's header
// stays in the .cc file.
//
// Thread-safety: pure function.
#pragma once

#include <string_view>

#include "common/status.h"

namespace rocksdb {
class Status;
}

namespace tock {

// Ok for ok; Unavailable for what may pass (no space, busy, timed out, try again); NotFound;
// Internal for the rest. The message is `what`: RocksDB's text.
Status FromRocks(const rocksdb::Status& s, std::string_view what);

}  // namespace tock
