// The PostgreSQL store's schema and how a node brings a database up to it.
//
// The schema is a list of migrations, numbered from 1; `tock_schema` holds the number of the
// last one applied. Migrate() runs at start on every node, inside one transaction holding a
// transaction-level advisory lock, so nodes starting together apply each migration once and
// the others wait for it. A database whose version is newer than this binary knows (a newer
// tock migrated it) is refused with a clear error: an older node must not write rows whose
// meaning it does not know.
//
// DO NOT CHANGE a migration once released: add a new one at the end.
//
// Thread-safety: Migrate() uses the connection it is given, on the caller's thread.
#pragma once

#include "common/status.h"

namespace tock::pg {

class Connection;

// The schema version this binary writes (the number of migrations it knows).
int KnownSchemaVersion();

// Applies the migrations the database lacks. Unavailable when the database is unreachable;
// Invalid when its schema is newer than KnownSchemaVersion().
Status Migrate(Connection& conn);
// Migrate() up to migration `target` (<= KnownSchemaVersion()) only: for tests of a database
// an earlier release made.
Status MigrateTo(Connection& conn, int target);

}  // namespace tock::pg
