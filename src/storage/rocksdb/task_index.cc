#include "storage/rocksdb/task_index.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <memory>

#include "common/coding.h"
#include "common/log.h"
#include "storage/rocksdb/codecs.h"
#include "storage/rocksdb/keys.h"
#include "storage/rocksdb/rocks_status.h"

namespace tock {
namespace {

// Tasks per batch while filling the index of a schema-1 directory.
constexpr size_t kFillBatch = 4096;

uint8_t KindOf(const TaskIndexRange& r) {
  return r.kind == TaskIndexRange::Kind::kFailedAt ? keys::kTaskIndexFailedAt
                                                   : static_cast<uint8_t>(r.status);
}

// The least key greater than every key that starts with `prefix` ("" if there is none).
std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty() && static_cast<uint8_t>(prefix.back()) == 0xff) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(static_cast<uint8_t>(prefix.back()) + 1);
  return prefix;
}

}  // namespace

void AddTaskIndexWrites(rocksdb::WriteBatch& batch, rocksdb::ColumnFamilyHandle* cf,
                        const TaskIndexEntry& e, bool put) {
  auto apply = [&](const std::string& key) {
    if (put) {
      batch.Put(cf, key, rocksdb::Slice());
    } else {
      batch.Delete(cf, key);
    }
  };
  apply(keys::TaskIndexKey(e.app_key, static_cast<uint8_t>(e.status), e.runtime_ms, e.id));
  if (e.status == TaskStatus::kFailed) {
    apply(keys::TaskIndexKey(e.app_key, keys::kTaskIndexFailedAt, e.finished_ms, e.id));
  }
}

Status ScanKeyRange(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, const std::string& lower,
                    const std::string& upper, bool descending, const std::string& after,
                    const std::function<bool(std::string_view, std::string_view)>& fn) {
  // An `after` outside the range leaves nothing (past its end) or all of it (before its start).
  if (!after.empty() && (descending ? after <= lower : (!upper.empty() && after >= upper))) {
    return Status::Ok();
  }
  rocksdb::Slice lo(lower);
  rocksdb::Slice hi(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_lower_bound = &lo;
  if (!upper.empty()) ro.iterate_upper_bound = &hi;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, cf));
  const bool from_after =
      !after.empty() && (descending ? (upper.empty() || after < upper) : after >= lower);
  if (!descending) {
    it->Seek(from_after ? rocksdb::Slice(after) : lo);
  } else if (from_after) {
    it->SeekForPrev(after);
  } else {
    it->SeekToLast();
  }
  if (from_after && it->Valid() && it->key() == rocksdb::Slice(after)) {
    descending ? it->Prev() : it->Next();
  }
  for (; it->Valid(); descending ? it->Prev() : it->Next()) {
    const rocksdb::Slice k = it->key();
    const rocksdb::Slice v = it->value();
    if (!fn(std::string_view(k.data(), k.size()), std::string_view(v.data(), v.size()))) break;
  }
  return FromRocks(it->status(), "scan index");
}

Status ScanTaskIndexRange(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                          const TaskIndexRange& r,
                          const std::function<bool(int64_t, uint64_t)>& fn) {
  const uint8_t kind = KindOf(r);
  const size_t prefix = keys::TaskIndexPrefix(r.app_key, kind).size();
  const std::string lower = keys::TaskIndexKey(r.app_key, kind, r.from_ms, 0);
  const std::string upper = keys::TaskIndexKey(r.app_key, kind, r.to_ms, 0);
  const std::string after =
      r.after ? keys::TaskIndexKey(r.app_key, kind, r.after->ms, r.after->id) : std::string();
  return ScanKeyRange(db, cf, lower, upper, r.descending, after,
                      [&](std::string_view k, std::string_view) {
                        if (k.size() != prefix + 16) return true;  // not this layout: skip
                        return fn(DecodeInt64BE(k.data() + prefix),
                                  DecodeFixed64BE(k.data() + prefix + 8));
                      });
}

Status ScanTaskNoPrefix(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                        std::string_view app_key, std::string_view prefix,
                        std::string_view after, bool descending,
                        const std::function<bool(std::string_view, uint64_t)>& fn) {
  const std::string lower = keys::TaskNoKey(app_key, prefix);
  const std::string upper = PrefixEnd(lower);
  const std::string from = after.empty() ? std::string() : keys::TaskNoKey(app_key, after);
  const size_t owner = app_key.size() + 1;
  return ScanKeyRange(db, cf, lower, upper, descending, from,
                      [&](std::string_view k, std::string_view v) {
                        if (v.size() != 8) return true;
                        return fn(k.substr(owner), DecodeFixed64BE(v.data()));
                      });
}

Result<uint64_t> FillTaskIndex(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* tasks,
                               rocksdb::ColumnFamilyHandle* index) {
  uint64_t filled = 0;
  rocksdb::WriteBatch batch;
  auto flush = [&]() -> Status {
    if (batch.Count() == 0) return Status::Ok();
    Status st = FromRocks(db->Write(rocksdb::WriteOptions(), &batch), "fill task index");
    batch.Clear();
    return st;
  };
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), tasks));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    Result<Task> t = DecodeTask(std::string_view(it->value().data(), it->value().size()));
    if (!t.ok()) return t.status();
    AddTaskIndexWrites(batch, index, IndexEntryOf(*t), /*put=*/true);
    if (++filled % kFillBatch == 0) TOCK_RETURN_IF_ERROR(flush());
  }
  TOCK_RETURN_IF_ERROR(FromRocks(it->status(), "read tasks"));
  TOCK_RETURN_IF_ERROR(flush());
  return filled;
}

}  // namespace tock
