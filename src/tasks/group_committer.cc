// DESIGN
// One thread doing the group commit, rather than each request joining the store's write
// group, is what lets a single-task create from the event loop cost no context switch of
// its own (issue 5: ~4 per create before): a request thread only appends to creates_, and
// wakes the committer only when it is idle; under load the committer finds the new creates
// when it is done writing. Each group is checked in arrival order (pass 1: which taskNos are
// new), then gets its ids and is written as one synced batch (pass 2). (Schedule fires write
// their own messages, with taskNos "<schedule id>:<fire ms>" under the schedule's
// application, through AddNewTaskToBatch.)

#include "tasks/group_committer.h"

#include <iterator>
#include <unordered_map>
#include <utility>

#include "auth/replay_guard.h"
#include "auth/signing.h"
#include "common/thread_name.h"
#include "tasks/new_task.h"

namespace tock {

GroupCommitter::GroupCommitter(Store& store, DueSource& loader, const Clock& clock)
    : store_(store), loader_(loader), clock_(clock) {}

GroupCommitter::~GroupCommitter() { Stop(); }

void GroupCommitter::Start() {
  committer_ = std::thread([this] {
    NameThisThread("tock-committer");
    CommitLoop();
  });
}

void GroupCommitter::Stop() {
  {
    std::lock_guard<std::mutex> l(create_mu_);
    create_stop_ = true;
  }
  create_cv_.notify_all();
  if (committer_.joinable()) committer_.join();
}

void GroupCommitter::Submit(const std::string& app_key, std::vector<TaskSpec> specs,
                            CreateDone done, std::optional<UsedNonce> nonce) {
  // Generated here, on the caller's thread, to keep the committer's serial work small:
  // a generated taskNo is new by construction and needs no check.
  std::vector<bool> chosen(specs.size());
  const int64_t now_ms = clock_.WallMs();
  for (size_t i = 0; i < specs.size(); ++i) {
    chosen[i] = !specs[i].task_no.empty();
    if (!chosen[i]) specs[i].task_no = TimeOrderedUuid(now_ms);
  }
  bool wake = false;
  {
    std::lock_guard<std::mutex> l(create_mu_);
    if (!create_stop_) {
      // Under load the committer is busy writing and finds this create when it is done.
      wake = committer_idle_;
      creates_.push_back(PendingCreate{app_key, std::move(specs), std::move(chosen),
                                       std::move(done), std::move(nonce)});
      done = nullptr;
    }
  }
  if (wake) create_cv_.notify_one();
  if (done) done(Status::Unavailable("shutting down"));
}

Result<std::vector<CreatedTask>> GroupCommitter::WriteUnchecked(const std::string& app_key,
                                                                std::vector<TaskSpec> specs) {
  Result<uint64_t> first = store_.AllocateTaskIds(specs.size());
  if (!first.ok()) return first.status();
  uint64_t next_id = *first;
  const int64_t now = clock_.WallMs();
  const std::unique_ptr<Store::Batch> batch = store_.NewBatch();
  std::vector<TaskToArm> to_arm;
  std::vector<CreatedTask> out;
  to_arm.reserve(specs.size());
  out.reserve(specs.size());
  for (TaskSpec& spec : specs) {
    spec.task_no = TimeOrderedUuid(now);
    to_arm.push_back(AddNewTaskToBatch(*batch, app_key, std::move(spec), next_id++, now));
    out.push_back(CreatedTask{to_arm.back().id, false});
  }
  TOCK_RETURN_IF_ERROR(store_.Write(*batch, /*sync=*/true));
  for (const TaskToArm& t : to_arm) ArmNewTask(loader_, t);
  return out;
}

void GroupCommitter::CommitLoop() {
  std::vector<PendingCreate> group;
  std::unique_lock<std::mutex> l(create_mu_);
  for (;;) {
    committer_idle_ = true;
    create_cv_.wait(l, [this] { return create_stop_ || !creates_.empty(); });
    committer_idle_ = false;
    if (creates_.empty()) return;  // stopping, and everything queued was written
    size_t tasks = 0, take = 0;
    while (take < creates_.size() && (take == 0 || tasks + creates_[take].specs.size() <= kMaxGroupTasks)) {
      tasks += creates_[take].specs.size();
      ++take;
    }
    group.assign(std::make_move_iterator(creates_.begin()),
                 std::make_move_iterator(creates_.begin() + static_cast<ptrdiff_t>(take)));
    creates_.erase(creates_.begin(), creates_.begin() + static_cast<ptrdiff_t>(take));
    l.unlock();
    CommitGroup(group);
    group.clear();
    l.lock();
  }
}

void GroupCommitter::CommitGroup(std::vector<PendingCreate>& group) {
  Status st = TryCommit(group);
  if (st.ok()) return;
  if (st.code() == Code::kConflict && group.size() > 1) {
    // On a store shared by several nodes, a create of the group lost a race to another
    // node, which wrote its taskNo or its nonce first; the write refused the whole group.
    // The others must not fail with it: each is committed alone.
    for (PendingCreate& c : group) {
      std::vector<PendingCreate> alone;
      alone.push_back(std::move(c));
      CommitGroup(alone);
    }
    return;
  }
  if (st.code() == Code::kConflict) {
    // Alone: pass 1 again finds a taskNo another node wrote meanwhile (a duplicate now).
    st = TryCommit(group);
    if (st.ok()) return;
    // What is still refused is the nonce: used on another node, a replay.
    if (st.code() == Code::kConflict && group[0].nonce) {
      st = Status::Unauthorized(kNonceReplayed);
    }
  }
  for (PendingCreate& c : group) c.done(st);
}

Status GroupCommitter::TryCommit(std::vector<PendingCreate>& group) {
  // Pass 1, in arrival order: which specs are new. A taskNo seen earlier in the group (in
  // this create or an earlier one) or already stored is a duplicate of that task.
  struct Slot {
    size_t create, spec;
  };
  std::vector<std::vector<CreatedTask>> out(group.size());
  std::unordered_map<std::string, Slot> first_in_group;  // app + '\0' + taskNo
  std::vector<std::pair<Slot, Slot>> dups_in_group;     // (duplicate, first)
  size_t fresh = 0;
  Status failed;
  for (size_t ci = 0; ci < group.size() && failed.ok(); ++ci) {
    PendingCreate& c = group[ci];
    out[ci].resize(c.specs.size());
    for (size_t si = 0; si < c.specs.size(); ++si) {
      TaskSpec& s = c.specs[si];
      if (!c.chosen_no[si]) {
        ++fresh;
        continue;
      }
      auto [it, inserted] = first_in_group.emplace(c.app_key + '\0' + s.task_no, Slot{ci, si});
      if (!inserted) {
        out[ci][si].duplicate = true;
        dups_in_group.push_back({Slot{ci, si}, it->second});
        continue;
      }
      Result<std::optional<uint64_t>> existing = store_.FindTaskNo(c.app_key, s.task_no);
      if (!existing.ok()) {
        failed = existing.status();
        break;
      }
      if (existing->has_value()) {
        out[ci][si] = {**existing, true};
      } else {
        ++fresh;
      }
    }
  }

  // Pass 2: ids for the new tasks, their writes and the nonces, one synced batch.
  std::vector<TaskToArm> to_arm;
  const std::unique_ptr<Store::Batch> batch = store_.NewBatch();
  if (failed.ok() && fresh > 0) {
    Result<uint64_t> first = store_.AllocateTaskIds(fresh);
    if (!first.ok()) {
      failed = first.status();
    } else {
      uint64_t next_id = *first;
      const int64_t now = clock_.WallMs();
      to_arm.reserve(fresh);
      for (size_t ci = 0; ci < group.size(); ++ci) {
        for (size_t si = 0; si < group[ci].specs.size(); ++si) {
          if (out[ci][si].duplicate) continue;
          // Copied, not moved from: a refused write is tried again (CommitGroup).
          to_arm.push_back(AddNewTaskToBatch(*batch, group[ci].app_key, group[ci].specs[si],
                                             next_id++, now));
          out[ci][si].id = to_arm.back().id;
        }
      }
    }
  }
  for (const PendingCreate& c : group) {
    if (c.nonce) batch->PutNonce(c.nonce->app_key, c.nonce->nonce, c.nonce->ts_s);
  }
  if (failed.ok() && batch->Count() > 0) failed = store_.Write(*batch, /*sync=*/true);
  if (!failed.ok()) return failed;
  for (auto& [dup, first] : dups_in_group) {
    out[dup.create][dup.spec].id = out[first.create][first.spec].id;
  }
  for (const TaskToArm& t : to_arm) ArmNewTask(loader_, t);
  for (size_t ci = 0; ci < group.size(); ++ci) group[ci].done(std::move(out[ci]));
  return Status::Ok();
}

}  // namespace tock
