// GroupCommitter: writes the creates that arrive close together as one synced batch, and
// only then answers them, so a create is durable before its caller hears of it.
//
// Creates need no lock: the committer thread is the only writer of new tasks whose taskNo
// the caller chose, and it checks each against storage and against the group it is
// building, in arrival order, before one synced write. So two creates with the same taskNo
// yield one task. A generated taskNo (a UUID) needs no check: WriteUnchecked() writes such
// creates on the caller's thread instead.
//
// Threads: owns one thread, the committer, between Start() and Stop(). Submit() may be
// called from any thread (before Start() its creates wait; after Stop() they are refused);
// `done` runs on the committer thread. create_mu_ guards the queue and the flags below; it
// is never held while writing or calling `done`.
//
// Owned by TaskService, which starts it at construction and stops it at destruction.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "model/app.h"
#include "model/task.h"
#include "storage/store.h"

namespace tock {

class DueSource;

class GroupCommitter {
 public:
  using CreateDone = std::function<void(Result<std::vector<CreatedTask>>)>;

  GroupCommitter(Store& store, DueSource& loader, const Clock& clock);
  ~GroupCommitter();  // Stop()
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Starts the committer thread. REQUIRES: not started before.
  void Start();
  // Writes what is still queued, then joins the thread. Later Submits are refused
  // (Unavailable). Idempotent.
  void Stop();

  // Queues one create (all or none) for the next group; calls `done` on the committer
  // thread with one CreatedTask per spec, in order, once the group is written (so `done`
  // must not block). A taskNo already used by the application, or earlier in this or a
  // concurrent create, yields the existing/first id with duplicate = true. Returns at once;
  // never calls `done` before returning, except to refuse when stopped. `nonce`, when given,
  // is written in the same batch.
  void Submit(const std::string& app_key, std::vector<TaskSpec> specs, CreateDone done,
              std::optional<UsedNonce> nonce);

  // Writes specs whose taskNos are all generated (nothing to check) on the calling thread,
  // synced: large batches from several threads then insert into storage side by side and
  // share syncs through the store's own group commit. (One committer inserting every task
  // of 1000-task batches one after another cut bulk enqueue from ~220 000/s to ~150 000/s.)
  Result<std::vector<CreatedTask>> WriteUnchecked(const std::string& app_key,
                                                  std::vector<TaskSpec> specs);

 private:
  // A create waiting for the committer.
  struct PendingCreate {
    std::string app_key;
    std::vector<TaskSpec> specs;
    std::vector<bool> chosen_no;  // per spec: the caller chose its taskNo (so check it)
    CreateDone done;
    std::optional<UsedNonce> nonce;
  };
  // The committer takes whole creates until a group holds this many tasks.
  static constexpr size_t kMaxGroupTasks = 8192;

  void CommitLoop();
  // Resolves taskNos and ids for one group, writes it synced, arms it, answers every create.
  void CommitGroup(std::vector<PendingCreate>& group);
  // One try of CommitGroup: on success answers every create; on failure answers none and
  // returns why (the group's specs are left as they were, so it may be tried again).
  Status TryCommit(std::vector<PendingCreate>& group);

  Store& store_;
  DueSource& loader_;
  const Clock& clock_;

  std::mutex create_mu_;
  std::condition_variable create_cv_;     // creates_ gained an entry, or stopping
  std::vector<PendingCreate> creates_;    // GUARDED_BY(create_mu_)
  bool committer_idle_ = false;           // GUARDED_BY(create_mu_): waiting on create_cv_
  bool create_stop_ = false;              // GUARDED_BY(create_mu_)
  std::thread committer_;
};

}  // namespace tock
