#include "storage/rocksdb/rocks_status.h"

#include <rocksdb/status.h>

#include <string>

namespace tock {

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::Ok();
  std::string msg = std::string(what) + ": " + s.ToString();
  if (s.IsNoSpace() || s.IsBusy() || s.IsTimedOut() || s.IsTryAgain()) {
    return Status::Unavailable(std::move(msg));
  }
  if (s.IsNotFound()) return Status::NotFound(std::move(msg));
  return Status::Internal(std::move(msg));
}

}  // namespace tock
