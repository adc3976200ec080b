// DESIGN
// Every listing reads index entries first (positions: (ms, id), or taskNos), then the records
// of the page's tasks in one GetTasks call, and drops a record that no longer matches the
// entry it was found by (it changed state in between: the index and the record are written
// in one batch, but the two reads are not one snapshot). Cost of a page of `limit` over A
// applications and S states: A*S seeks, at most A*S*(limit+1) entries, one multi-get.

#include "tasks/task_list.h"

#include <algorithm>
#include <charconv>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

namespace tock {
namespace {

constexpr size_t kPrefixChunk = 256;  // taskNos read, then their records fetched, at a time

// --- the cursor: hex of "i<ms>.<id>" (an index position) or "n<taskNo>" ---------------------

struct Cursor {
  std::optional<IndexPos> pos;
  std::string task_no;  // a prefix listing's last taskNo
};

std::string Hex(std::string_view text) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size() * 2);
  for (unsigned char c : text) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::optional<std::string> Unhex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    unsigned v = 0;
    auto [end, ec] = std::from_chars(hex.data() + i, hex.data() + i + 2, v, 16);
    if (ec != std::errc() || end != hex.data() + i + 2) return std::nullopt;
    out += static_cast<char>(v);
  }
  return out;
}

std::string PosCursor(const IndexPos& p) {
  return Hex("i" + std::to_string(p.ms) + "." + std::to_string(p.id));
}
std::string TaskNoCursor(std::string_view task_no) { return Hex("n" + std::string(task_no)); }

Result<Cursor> ParseCursor(const std::string& text) {
  Cursor c;
  if (text.empty()) return c;
  const Status bad = Status::Invalid("query 'cursor': not a cursor of this listing (pass "
                                     "nextCursor back as it was given)");
  std::optional<std::string> raw = Unhex(text);
  if (!raw || raw->size() < 2 || raw->size() > 1100) return bad;
  if ((*raw)[0] == 'n') {
    c.task_no = raw->substr(1);
    return c;
  }
  const size_t dot = raw->find('.');
  if ((*raw)[0] != 'i' || dot == std::string::npos) return bad;
  IndexPos p;
  const char* b = raw->data();
  auto [e1, ec1] = std::from_chars(b + 1, b + dot, p.ms);
  auto [e2, ec2] = std::from_chars(b + dot + 1, b + raw->size(), p.id);
  if (ec1 != std::errc() || e1 != b + dot || ec2 != std::errc() || e2 != b + raw->size()) {
    return bad;
  }
  c.pos = p;
  return c;
}

Status CheckLimit(const TaskListFilter& f) {
  if (f.limit == 0 || f.limit > kMaxListLimit) {
    return Status::Invalid("query 'limit': must be from 1 to " + std::to_string(kMaxListLimit));
  }
  return Status::Ok();
}

bool Before(const IndexPos& a, const IndexPos& b, bool descending) {
  const bool less = a.ms != b.ms ? a.ms < b.ms : a.id < b.id;
  const bool greater = a.ms != b.ms ? a.ms > b.ms : a.id > b.id;
  return descending ? greater : less;
}

std::vector<TaskStatus> StatusesOf(TaskListFilter::State s) {
  using S = TaskListFilter::State;
  switch (s) {
    case S::kWaiting:
    case S::kRunning: return {TaskStatus::kWaiting};
    case S::kSuccess: return {TaskStatus::kSuccess};
    case S::kCancelled: return {TaskStatus::kCancelled};
    case S::kFailed: return {TaskStatus::kFailed};
    case S::kAny: break;
  }
  return {TaskStatus::kWaiting, TaskStatus::kSuccess, TaskStatus::kCancelled, TaskStatus::kFailed};
}

// One entry found in an index range, with what the range said of its task.
struct Hit {
  IndexPos pos;
  TaskStatus status;
};

// Reads each range for at most limit+1 entries and merges them in scan order. *more: there
// were entries past the `limit` returned.
Result<std::vector<Hit>> MergeRanges(Store& store, const std::vector<TaskIndexRange>& ranges,
                                     size_t limit, bool descending, size_t* examined,
                                     bool* more) {
  std::vector<Hit> hits;
  for (const TaskIndexRange& r : ranges) {
    size_t taken = 0;
    TOCK_RETURN_IF_ERROR(store.ScanTaskIndex(r, [&](int64_t ms, uint64_t id) {
      hits.push_back(Hit{IndexPos{ms, id}, r.status});
      return ++taken <= limit;
    }));
    *examined += taken;
  }
  std::sort(hits.begin(), hits.end(),
            [&](const Hit& a, const Hit& b) { return Before(a.pos, b.pos, descending); });
  *more = hits.size() > limit;
  if (*more) hits.resize(limit);
  return hits;
}

// The records of the hits that still match their entry (keep(task, hit)), in hit order.
Result<std::vector<Task>> LoadHits(Store& store, const std::vector<Hit>& hits,
                                   const std::function<bool(const Task&, const Hit&)>& keep) {
  std::vector<uint64_t> ids;
  ids.reserve(hits.size());
  for (const Hit& h : hits) ids.push_back(h.pos.id);
  Result<std::vector<Task>> loaded = store.GetTasks(ids);
  if (!loaded.ok()) return loaded.status();
  std::vector<Task> out;
  size_t j = 0;
  for (const Hit& h : hits) {
    if (j < loaded->size() && (*loaded)[j].id == h.pos.id) {
      Task& t = (*loaded)[j++];
      if (keep(t, h)) out.push_back(std::move(t));
    }
  }
  return out;
}

bool InRange(int64_t ms, const TaskListFilter& f) { return ms >= f.from_ms && ms < f.to_ms; }

bool StateMatches(const Task& t, bool running, TaskListFilter::State s) {
  using S = TaskListFilter::State;
  switch (s) {
    case S::kAny: return true;
    case S::kRunning: return running;
    case S::kWaiting: return t.status == TaskStatus::kWaiting;
    case S::kSuccess: return t.status == TaskStatus::kSuccess;
    case S::kCancelled: return t.status == TaskStatus::kCancelled;
    case S::kFailed: return t.status == TaskStatus::kFailed;
  }
  return false;
}

void Append(TaskListPage& page, const InFlight& in_flight, std::vector<Task> tasks) {
  for (Task& t : tasks) {
    const bool running = t.status == TaskStatus::kWaiting && in_flight.Contains(t.id);
    page.tasks.push_back(ListedTask{std::move(t), running, ""});
  }
}

// One page of the merged ranges: their first `limit` entries' tasks that still match them
// (keep), and the cursor after the last entry when there are more.
Result<TaskListPage> PageOfRanges(Store& store, const InFlight& in_flight,
                                  const std::vector<TaskIndexRange>& ranges,
                                  const TaskListFilter& f,
                                  const std::function<bool(const Task&, const Hit&)>& keep) {
  TaskListPage page;
  bool more = false;
  Result<std::vector<Hit>> hits =
      MergeRanges(store, ranges, f.limit, f.descending, &page.examined, &more);
  if (!hits.ok()) return hits.status();
  Result<std::vector<Task>> tasks = LoadHits(store, *hits, keep);
  if (!tasks.ok()) return tasks.status();
  Append(page, in_flight, std::move(tasks).value());
  if (more) page.next_cursor = PosCursor(hits->back().pos);
  return page;
}

// By (application, state) ranges of the by-due index.
Result<TaskListPage> ListByDue(Store& store, const InFlight& in_flight, const TaskListFilter& f,
                               const Cursor& cursor) {
  std::vector<TaskIndexRange> ranges;
  for (const std::string& app : f.app_keys) {
    for (TaskStatus s : StatusesOf(f.state)) {
      ranges.push_back(TaskIndexRange{.kind = TaskIndexRange::Kind::kByDue, .app_key = app,
                                      .status = s, .from_ms = f.from_ms, .to_ms = f.to_ms,
                                      .descending = f.descending, .after = cursor.pos,
                                      .read_ahead = f.limit + 1});
    }
  }
  return PageOfRanges(store, in_flight, ranges, f, [](const Task& t, const Hit& h) {
    return t.status == h.status && t.runtime_ms == h.pos.ms;
  });
}

// The attempts in flight on this node: at most the delivery engine's max in flight.
Result<TaskListPage> ListRunning(Store& store, const InFlight& in_flight, const TaskListFilter& f,
                                 const Cursor& cursor) {
  Result<std::vector<Task>> all = store.GetTasks(in_flight.Ids());
  if (!all.ok()) return all.status();
  const std::unordered_set<std::string> apps(f.app_keys.begin(), f.app_keys.end());
  std::vector<Task> picked;
  for (Task& t : *all) {
    const IndexPos pos{t.runtime_ms, t.id};
    if (t.status != TaskStatus::kWaiting || apps.count(t.app_key) == 0 || !InRange(t.runtime_ms, f) ||
        (cursor.pos && !Before(*cursor.pos, pos, f.descending))) {
      continue;
    }
    picked.push_back(std::move(t));
  }
  std::sort(picked.begin(), picked.end(), [&](const Task& a, const Task& b) {
    return Before({a.runtime_ms, a.id}, {b.runtime_ms, b.id}, f.descending);
  });
  TaskListPage page;
  page.examined = all->size();
  const bool more = picked.size() > f.limit;
  if (more) picked.resize(f.limit);
  for (Task& t : picked) {
    const bool running = in_flight.Contains(t.id);  // it may have ended meanwhile
    page.tasks.push_back(ListedTask{std::move(t), running, ""});
  }
  if (more) page.next_cursor = PosCursor({page.tasks.back().task.runtime_ms, page.tasks.back().task.id});
  return page;
}

// One application's taskNos from the prefix; state and due time filter the records.
Result<TaskListPage> ListByPrefix(Store& store, const InFlight& in_flight, const TaskListFilter& f,
                                  const Cursor& cursor) {
  TaskListPage page;
  std::string after = cursor.task_no;
  bool exhausted = false;
  while (page.tasks.size() < f.limit && page.examined < kPrefixBudget && !exhausted) {
    std::vector<std::pair<std::string, uint64_t>> chunk;
    const size_t want = std::min(kPrefixChunk, kPrefixBudget - page.examined);
    TOCK_RETURN_IF_ERROR(store.ScanTaskNos(
        f.app_keys.front(), f.task_no_prefix, after, f.descending,
        [&](std::string_view no, uint64_t id) {
          chunk.emplace_back(std::string(no), id);
          return chunk.size() < want;
        }));
    exhausted = chunk.size() < want;
    std::vector<uint64_t> ids;
    for (const auto& [no, id] : chunk) ids.push_back(id);
    Result<std::vector<Task>> tasks = store.GetTasks(ids);
    if (!tasks.ok()) return tasks.status();
    size_t j = 0;
    for (const auto& [no, id] : chunk) {
      ++page.examined;
      after = no;
      Task* t = j < tasks->size() && (*tasks)[j].id == id ? &(*tasks)[j++] : nullptr;
      if (t == nullptr) continue;
      const bool running = t->status == TaskStatus::kWaiting && in_flight.Contains(id);
      if (!StateMatches(*t, running, f.state) || !InRange(t->runtime_ms, f)) continue;
      page.tasks.push_back(ListedTask{std::move(*t), running, ""});
      if (page.tasks.size() == f.limit) break;
    }
    // A page that filled up ends at its last task; one that ran out of budget at the last
    // taskNo examined (the next page goes on from there).
    if (page.tasks.size() == f.limit) exhausted = exhausted && after == chunk.back().first;
  }
  if (!exhausted) page.next_cursor = TaskNoCursor(after);
  return page;
}

Status CheckApps(const TaskListFilter& f) {
  if (!f.task_no_prefix.empty() && f.app_keys.size() != 1) {
    return Status::Invalid("query 'prefix': needs 'app' (a taskNo is unique per application)");
  }
  return CheckLimit(f);
}

}  // namespace

Result<TaskListPage> ListTasks(Store& store, const InFlight& in_flight,
                               const TaskListFilter& filter) {
  TOCK_RETURN_IF_ERROR(CheckApps(filter));
  Result<Cursor> cursor = ParseCursor(filter.cursor);
  if (!cursor.ok()) return cursor.status();
  const bool by_prefix = !filter.task_no_prefix.empty();
  if (by_prefix == cursor->pos.has_value() && !filter.cursor.empty()) {
    return Status::Invalid("query 'cursor': made by a listing with" +
                           std::string(by_prefix ? "out" : "") + " a prefix");
  }
  if (filter.app_keys.empty()) return TaskListPage{};
  if (by_prefix) return ListByPrefix(store, in_flight, filter, *cursor);
  if (filter.state == TaskListFilter::State::kRunning) {
    return ListRunning(store, in_flight, filter, *cursor);
  }
  return ListByDue(store, in_flight, filter, *cursor);
}

Result<TaskListPage> ListFailedTasks(Store& store, const InFlight& in_flight,
                                     const TaskListFilter& filter) {
  TOCK_RETURN_IF_ERROR(CheckLimit(filter));
  Result<Cursor> cursor = ParseCursor(filter.cursor);
  if (!cursor.ok()) return cursor.status();
  if (!cursor->task_no.empty()) return Status::Invalid("query 'cursor': made by a task listing");
  std::vector<TaskIndexRange> ranges;
  for (const std::string& app : filter.app_keys) {
    ranges.push_back(TaskIndexRange{.kind = TaskIndexRange::Kind::kFailedAt, .app_key = app,
                                    .status = TaskStatus::kFailed, .from_ms = filter.from_ms,
                                    .to_ms = filter.to_ms, .descending = filter.descending,
                                    .after = cursor->pos, .read_ahead = filter.limit + 1});
  }
  Result<TaskListPage> page =
      PageOfRanges(store, in_flight, ranges, filter, [](const Task& t, const Hit& h) {
        return t.status == TaskStatus::kFailed && t.finished_ms == h.pos.ms;
      });
  if (!page.ok()) return page.status();
  // Why each failed: its last attempt's reason (one attempts read per task on the page).
  for (ListedTask& lt : page->tasks) {
    Result<std::vector<Attempt>> attempts = store.ListAttempts(lt.task.id);
    if (!attempts.ok()) return attempts.status();
    if (!attempts->empty()) {
      const Attempt& a = attempts->back();
      lt.last_error = FailureReason(a.outcome, a.http_status, a.error);
    }
  }
  return page;
}

}  // namespace tock
