// A read-modify-write of a task or an application that another node changed in between: on
// a store shared by several nodes (PostgreSQL), Store::Write refuses a PutTask or PutApp whose
// copy is not the latest (Task::revision, App::revision) with Conflict, and applies nothing.
// The writer then reads the record again and decides anew, at most kStaleWriteTries times in
// all; the batches that retry this way hold only task, due, retire and attempt changes, or
// one application, so Conflict can mean nothing else there.
//
// One process never sees it: TaskLocks serialises its own changes to a task.
#pragma once

#include "common/status.h"

namespace tock {

inline constexpr int kStaleWriteTries = 5;

inline bool IsStaleWrite(const Status& st) { return st.code() == Code::kConflict; }

}  // namespace tock
