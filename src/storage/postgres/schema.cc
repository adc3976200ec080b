#include "storage/postgres/schema.h"

#include <string>

#include "common/clock.h"
#include "common/log.h"
#include "storage/postgres/pg_connection.h"

namespace tock::pg {
namespace {

// Any constant both old and new nodes agree on: the advisory lock that serialises migrations.
constexpr int64_t kMigrationLock = 0x746f636b;  // "tock"

// Times are milliseconds since the Unix epoch (bigint), as everywhere in tock; enums are the
// model's numeric values (smallint), which are also on RocksDB's disk and never change.
// Bytes that need not be UTF-8 (keys, a receiver's answer) are bytea.
const char* const kMigrations[] = {
    // 1: the records of model/, one table per RocksDB column family, and the leases.
    R"sql(
CREATE TABLE tock_ids (
  name text PRIMARY KEY,
  next bigint NOT NULL              -- the next id not handed out
);
INSERT INTO tock_ids VALUES ('task', 1);

CREATE SEQUENCE app_versions;
CREATE TABLE apps (
  app_key text PRIMARY KEY,
  secret_key text NOT NULL,
  name text NOT NULL,
  link_url text NOT NULL,
  remark text NOT NULL,
  step_s integer NOT NULL,
  retry_total integer NOT NULL,
  success_mode smallint NOT NULL,
  created_ms bigint NOT NULL,
  previous_secret text NOT NULL,
  previous_secret_until_ms bigint NOT NULL,
  parallelism integer NOT NULL,
  rate_per_second double precision NOT NULL,
  pause smallint NOT NULL,
  pause_reason text NOT NULL,
  paused_ms bigint NOT NULL,
  time_zone text NOT NULL,
  webhook_key bytea NOT NULL,
  previous_webhook_key bytea NOT NULL,
  -- Raised by every write; a write based on an older read is refused (app.h: revision).
  revision bigint NOT NULL,
  -- Raised on every write, so that nodes read only the applications changed since they last
  -- looked.
  version bigint NOT NULL DEFAULT nextval('app_versions')
);
CREATE INDEX apps_by_version ON apps (version);

CREATE TABLE tasks (
  id bigint PRIMARY KEY,
  app_key text NOT NULL,
  task_no text NOT NULL,
  name text NOT NULL,
  content text NOT NULL,
  runtime_ms bigint NOT NULL,
  next_run_ms bigint NOT NULL,
  created_ms bigint NOT NULL,
  finished_ms bigint NOT NULL,
  timeout_ms integer NOT NULL,
  status smallint NOT NULL,
  round integer NOT NULL,
  round_start integer NOT NULL,
  elapsed_ms bigint NOT NULL,
  schedule_id text NOT NULL,
  -- Raised by every write; a write based on an older read is refused (tasks.h: revision).
  revision bigint NOT NULL
);

CREATE TABLE task_nos (
  app_key text NOT NULL,
  task_no text NOT NULL,
  id bigint NOT NULL,
  PRIMARY KEY (app_key, task_no)
);

-- What is due: tasks' next attempts and schedules' next fires (timer ids with the schedule
-- bit). A node leases the rows it arms; a row whose lease ran out is anyone's.
CREATE TABLE due (
  due_ms bigint NOT NULL,
  id bigint NOT NULL,
  owner text,
  lease_until_ms bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (due_ms, id)
);
CREATE INDEX due_by_owner ON due (owner) WHERE owner IS NOT NULL;

CREATE TABLE retire (
  expire_ms bigint NOT NULL,
  id bigint NOT NULL,
  PRIMARY KEY (expire_ms, id)
);

CREATE TABLE attempts (
  task_id bigint NOT NULL,
  number integer NOT NULL,
  started_ms bigint NOT NULL,
  duration_ms bigint NOT NULL,
  http_status integer NOT NULL,
  outcome smallint NOT NULL,
  error text NOT NULL,
  response bytea NOT NULL,
  PRIMARY KEY (task_id, number)
);

-- A signed request's nonce: unique per application across every node.
CREATE TABLE nonces (
  app_key text NOT NULL,
  nonce text NOT NULL,
  ts_s bigint NOT NULL,
  PRIMARY KEY (app_key, nonce)
);

CREATE TABLE schedules (
  id text PRIMARY KEY,
  app_key text NOT NULL,
  name text NOT NULL,
  enabled boolean NOT NULL,
  trigger_json text NOT NULL,
  push_json text NOT NULL,
  timer_id bigint NOT NULL,
  next_fire_ms bigint NOT NULL,
  created_ms bigint NOT NULL,
  updated_ms bigint NOT NULL,
  expired_ms bigint NOT NULL,
  fires bigint NOT NULL,
  trigger_sent text NOT NULL,
  cid text NOT NULL,
  -- Raised by every write; a write based on an older read is refused (schedule.h: revision).
  revision bigint NOT NULL
);

CREATE TABLE schedule_index (
  app_key text NOT NULL,
  created_ms bigint NOT NULL,
  schedule_id text NOT NULL,
  PRIMARY KEY (app_key, created_ms, schedule_id)
);

CREATE TABLE schedule_timers (
  timer_id bigint PRIMARY KEY,
  schedule_id text NOT NULL
);

-- One message per schedule and fire time, whichever node fires it.
CREATE TABLE msg_ids (
  schedule_id text NOT NULL,
  fire_ms bigint NOT NULL,
  task_id bigint NOT NULL,
  PRIMARY KEY (schedule_id, fire_ms)
);
)sql",
    // 2: the task lists (issue 13, model/task_list.h). The store's task-list index calls are
    // no-ops here: these indexes derive every entry from the tasks row itself, in the same
    // transaction. Each costs one index insert per task create (the failed one only when a
    // task fails) and one more on a change of the columns it holds; a retry changes none.
    // task_no under COLLATE "C": a prefix is a byte range whatever the database's collation,
    // and the order is RocksDB's.
    R"sql(
CREATE INDEX tasks_by_app_status_due ON tasks (app_key, status, runtime_ms, id);
CREATE INDEX tasks_failed_by_app_time ON tasks (app_key, finished_ms, id) WHERE status = 4;
CREATE INDEX task_nos_by_prefix ON task_nos (app_key, task_no COLLATE "C");
)sql",
    // 3: one lease per node instead of one per due row (issue 12). A due row names the node
    // that holds it (due.owner); that node's row here says until when. Renewing is one row
    // however many entries the node holds (it rewrote every held due row every ttl/3
    // before). due.lease_until_ms stays for nodes of the previous release still running
    // during an upgrade: rows claimed under a node lease carry the largest bigint there, so
    // such a node never takes them, and the rows it leased itself (finite, as every row of a
    // database migrated from 2 is) are free to this release's nodes only once that lease
    // runs out (pg_store.cc, TOCK_PG_NODE_LEASED). No row needs rewriting here.
    R"sql(
CREATE TABLE node_leases (
  owner text PRIMARY KEY,
  lease_until_ms bigint NOT NULL    -- the database's clock, ms since the epoch
);
)sql",
    // 4: every text column that is a key, or in an index, compares as bytes (COLLATE "C"),
    // whatever the database's collation. Under a libc or ICU collation (C.UTF-8 and
    // en_US.UTF-8 included: PostgreSQL 15 treats only "C" and "POSIX" as bytes) each
    // comparison in a B-tree copies both strings and calls strcoll (on this project's C.UTF-8
    // test cluster bulk enqueue measured no faster for it: the gain is under slower
    // collations, such as en_US.UTF-8 or ICU, not measured here). Bytes are also
    // RocksDB's order, so lists come back in the same order on both stores. task_nos' key
    // then serves prefix scans itself, and its second index (migration 2) goes. Existing
    // tables are not rewritten (same type); their indexes are rebuilt, under a lock, once.
    R"sql(
ALTER TABLE apps ALTER COLUMN app_key TYPE text COLLATE "C";
ALTER TABLE tasks ALTER COLUMN app_key TYPE text COLLATE "C",
  ALTER COLUMN task_no TYPE text COLLATE "C", ALTER COLUMN schedule_id TYPE text COLLATE "C";
ALTER TABLE task_nos ALTER COLUMN app_key TYPE text COLLATE "C",
  ALTER COLUMN task_no TYPE text COLLATE "C";
DROP INDEX task_nos_by_prefix;
ALTER TABLE due ALTER COLUMN owner TYPE text COLLATE "C";
ALTER TABLE nonces ALTER COLUMN app_key TYPE text COLLATE "C",
  ALTER COLUMN nonce TYPE text COLLATE "C";
ALTER TABLE schedules ALTER COLUMN id TYPE text COLLATE "C",
  ALTER COLUMN app_key TYPE text COLLATE "C";
ALTER TABLE schedule_index ALTER COLUMN app_key TYPE text COLLATE "C",
  ALTER COLUMN schedule_id TYPE text COLLATE "C";
ALTER TABLE schedule_timers ALTER COLUMN schedule_id TYPE text COLLATE "C";
ALTER TABLE msg_ids ALTER COLUMN schedule_id TYPE text COLLATE "C";
ALTER TABLE node_leases ALTER COLUMN owner TYPE text COLLATE "C";
ALTER TABLE tock_ids ALTER COLUMN name TYPE text COLLATE "C";
)sql",
};

constexpr int kKnown = static_cast<int>(sizeof(kMigrations) / sizeof(kMigrations[0]));

}  // namespace

int KnownSchemaVersion() { return kKnown; }

Status Migrate(Connection& conn) { return MigrateTo(conn, kKnown); }

Status MigrateTo(Connection& conn, int target) {
  TOCK_RETURN_IF_ERROR(conn.ExecScript("BEGIN"));
  auto fail = [&](Status s) {
    (void)conn.ExecScript("ROLLBACK");
    return s;
  };
  Result<Rows> lock =
      conn.Exec("SELECT pg_advisory_xact_lock($1)", Params().Int(kMigrationLock));
  if (!lock.ok()) return fail(lock.status());
  Status made = conn.ExecScript(
      "CREATE TABLE IF NOT EXISTS tock_schema (version integer NOT NULL);"
      "INSERT INTO tock_schema SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM tock_schema)");
  if (!made.ok()) return fail(made);
  Result<Rows> v = conn.Exec("SELECT version FROM tock_schema");
  if (!v.ok()) return fail(v.status());
  int have = v->size() > 0 ? static_cast<int>(v->Int64(0, 0)) : 0;
  if (have > kKnown) {
    return fail(Status::Invalid("store: the database's schema is version " +
                                std::to_string(have) + ", newer than this tock knows (" +
                                std::to_string(kKnown) +
                                "): run the tock release that migrated it, or a newer one"));
  }
  const int64_t started_ms = SystemClock::Instance().MonoMs();
  for (int n = have + 1; n <= target; ++n) {
    Status s = conn.ExecScript(kMigrations[n - 1]);
    if (!s.ok()) {
      return fail(Status(s.code(), "store: schema migration " + std::to_string(n) +
                                       " failed: " + s.message()));
    }
  }
  if (target <= have) return conn.ExecScript("COMMIT");
  Result<Rows> set = conn.Exec("UPDATE tock_schema SET version = $1", Params().Int(target));
  if (!set.ok()) return fail(set.status());
  TOCK_RETURN_IF_ERROR(conn.ExecScript("COMMIT"));
  // A migration may rebuild indexes for seconds: the operator sees why the start took long.
  log::Info("store.schema_migrated",
            {{"from", have}, {"to", target}, {"ms", SystemClock::Instance().MonoMs() - started_ms}});
  return Status::Ok();
}

}  // namespace tock::pg
