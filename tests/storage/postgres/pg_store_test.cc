// PgStore's PostgreSQL-only behaviour against a real PostgreSQL 15: what the shared suite
// (tests/storage/store_test.cc) cannot say because the embedded store has no such thing.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "storage/postgres/pg_batch.h"
#include "storage/postgres/pg_connection.h"
#include "storage/postgres/pg_store.h"
#include "storage/postgres/schema.h"
#include "testutil/pg_server.h"

namespace tock {
namespace {

std::unique_ptr<PgStore> OpenPg(const std::string& url) {
  Result<std::unique_ptr<PgStore>> s = PgStore::Open({.url = url});
  REQUIRE_MESSAGE(s.ok(), s.status().message());
  return std::move(s).value();
}

Task SomeTask(uint64_t id) {
  Task t;
  t.id = id;
  t.app_key = "app";
  t.task_no = "no-" + std::to_string(id);
  t.content = "{\"a\":1}";
  t.runtime_ms = 1000 + static_cast<int64_t>(id);
  t.next_run_ms = t.runtime_ms;
  return t;
}

// The one number a query of `sql` answers.
int64_t QueryInt(pg::Connection& c, const char* sql) {
  Result<pg::Rows> r = c.Exec(sql);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  REQUIRE(r->size() == 1);
  return r->Int64(0, 0);
}

// Writes due entries 1..n, each due at its id (in ms).
void PutDueEntries(Store& store, uint64_t n) {
  std::unique_ptr<Store::Batch> batch = store.NewBatch();
  for (uint64_t id = 1; id <= n; ++id) batch->PutDue(static_cast<int64_t>(id), id);
  REQUIRE(store.Write(*batch, true).ok());
}

// owner's renewal, which must succeed.
DueLeases::Renewal Renew(DueLeases& leases, const std::string& owner, int64_t lease_ms) {
  Result<DueLeases::Renewal> r = leases.RenewLeases(owner, lease_ms);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return *r;
}

// How many entries due before until_ms owner claims (the claim must succeed).
size_t Claim(DueLeases& leases, const std::string& owner, int64_t until_ms = 10000) {
  size_t claimed = 0;
  REQUIRE(leases.ClaimDue(owner, until_ms, 100000, [&](int64_t, uint64_t) { ++claimed; }).ok());
  return claimed;
}

// Gives owner a lease of lease_ms and claims for it what is due before 10 s: how many.
size_t LeaseAndClaim(DueLeases& leases, const std::string& owner, int64_t lease_ms) {
  Renew(leases, owner, lease_ms);
  return Claim(leases, owner);
}

}  // namespace

TEST_CASE("PgStore: a batch is one transaction, and the last change to a key wins") {
  // One connection: after the batch that fails half way below, the same connection serves
  // the reads and writes that follow.
  Result<std::unique_ptr<PgStore>> opened =
      PgStore::Open({.url = testing::PgServer::Shared().NewDatabase(), .max_connections = 1});
  REQUIRE_MESSAGE(opened.ok(), opened.status().message());
  std::unique_ptr<PgStore> store = std::move(opened).value();
  Result<uint64_t> first = store->AllocateTaskIds(3);
  REQUIRE(first.ok());
  {
    std::unique_ptr<Store::Batch> b_owned = store->NewBatch();
    Store::Batch& b = *b_owned;
    for (uint64_t id = *first; id < *first + 3; ++id) {
      b.PutTask(SomeTask(id));
      b.PutTaskNo("app", "no-" + std::to_string(id), id);
      b.PutDue(5000, id);
    }
    b.DeleteDue(5000, *first);      // then put back: it stays
    b.PutDue(5000, *first);
    b.PutDue(6000, *first + 1);     // put, then deleted: it goes
    b.DeleteDue(6000, *first + 1);
    REQUIRE(store->Write(b, true).ok());
  }
  std::vector<std::pair<int64_t, uint64_t>> due;
  REQUIRE(store->ScanDue(0, 10000, [&](int64_t ms, uint64_t id) {
    due.emplace_back(ms, id);
    return true;
  }).ok());
  REQUIRE(due.size() == 3);
  CHECK(due[0] == std::make_pair(int64_t{5000}, *first));

  // A batch that fails half way leaves nothing behind: the second msg-id for one fire time
  // is refused (that is how two nodes firing one schedule stay one message).
  {
    std::unique_ptr<Store::Batch> b_owned = store->NewBatch();
    Store::Batch& b = *b_owned;
    b.PutMsgId("sched", 7000, 1);
    REQUIRE(store->Write(b, true).ok());
  }
  {
    std::unique_ptr<Store::Batch> b_owned = store->NewBatch();
    Store::Batch& b = *b_owned;
    b.PutTask(SomeTask(999));
    b.PutMsgId("sched", 7000, 2);
    b.PutDue(8000, 999);  // a statement after the failing one
    Status s = store->Write(b, true);
    CHECK(s.code() == Code::kConflict);
  }
  CHECK(store->GetTask(999).status().code() == Code::kNotFound);
  std::vector<int64_t> after;
  REQUIRE(store->ScanDue(7500, 10000, [&](int64_t ms, uint64_t) {
    after.push_back(ms);
    return true;
  }).ok());
  CHECK(after.empty());
  Result<std::optional<uint64_t>> msg = store->FindMsgId("sched", 7000);
  REQUIRE(msg.ok());
  CHECK(msg->value() == 1);

  // DeleteAttempts drops the attempts queued before it in the same batch, not after.
  {
    std::unique_ptr<Store::Batch> b_owned = store->NewBatch();
    Store::Batch& b = *b_owned;
    Attempt a;
    a.task_id = *first;
    a.response = std::string("\x00\xff not utf-8", 12);
    a.number = 1;
    b.PutAttempt(a);
    b.DeleteAttempts(*first);
    a.number = 2;
    b.PutAttempt(a);
    REQUIRE(store->Write(b, false).ok());
  }
  Result<std::vector<Attempt>> attempts = store->ListAttempts(*first);
  REQUIRE(attempts.ok());
  REQUIRE(attempts->size() == 1);
  CHECK((*attempts)[0].number == 2);
  CHECK((*attempts)[0].response == std::string("\x00\xff not utf-8", 12));
}

TEST_CASE("PgStore: task ids never repeat across nodes allocating at once") {
  std::string url = testing::PgServer::Shared().NewDatabase();
  auto a = OpenPg(url);
  auto b = OpenPg(url);
  std::vector<uint64_t> got_a, got_b;
  std::thread ta([&] {
    for (int i = 0; i < 200; ++i) got_a.push_back(*a->AllocateTaskIds(10));
  });
  std::thread tb([&] {
    for (int i = 0; i < 200; ++i) got_b.push_back(*b->AllocateTaskIds(10));
  });
  ta.join();
  tb.join();
  std::vector<uint64_t> all = got_a;
  all.insert(all.end(), got_b.begin(), got_b.end());
  std::sort(all.begin(), all.end());
  for (size_t i = 1; i < all.size(); ++i) CHECK(all[i] >= all[i - 1] + 10);
}

TEST_CASE("PgStore: task ids come from blocks committed to the shared counter before use") {
  std::string url = testing::PgServer::Shared().NewDatabase();
  auto a = OpenPg(url);
  auto b = OpenPg(url);
  Result<std::unique_ptr<pg::Connection>> peek = pg::Connection::Open(url);
  REQUIRE(peek.ok());
  auto counter = [&] {
    return static_cast<uint64_t>(QueryInt(**peek, "SELECT next FROM tock_ids WHERE name = 'task'"));
  };
  const uint64_t first = *a->AllocateTaskIds(1);
  CHECK(*a->AllocateTaskIds(5) == first + 1);  // from the same block, no database call
  CHECK(counter() == first + PgStore::kIdBlock);  // the whole block is the node's
  // More than a block at once: consecutive, and reserved as a whole.
  const uint64_t big = *a->AllocateTaskIds(5000);
  CHECK(big >= first + PgStore::kIdBlock);
  CHECK(counter() == big + 5000);
  // Another node's ids lie beyond every block this one holds.
  CHECK(*b->AllocateTaskIds(1) == big + 5000);
  // After a restart the rest of a block is a gap, never handed out again.
  a.reset();
  auto again = OpenPg(url);
  CHECK(*again->AllocateTaskIds(1) >= big + 5000 + PgStore::kIdBlock);
}

TEST_CASE("PgStore: a task written from a stale read is refused, and nothing of its batch") {
  std::string url = testing::PgServer::Shared().NewDatabase();
  auto a = OpenPg(url);
  auto b = OpenPg(url);  // another node on the same database
  Result<uint64_t> id = a->AllocateTaskIds(1);
  REQUIRE(id.ok());
  auto write = [](Store& s, const Task& t, int64_t due_ms) {
    std::unique_ptr<Store::Batch> batch = s.NewBatch();
    batch->PutTask(t);
    batch->PutDue(due_ms, t.id);
    return s.Write(*batch, true);
  };
  REQUIRE(write(*a, SomeTask(*id), 5000).ok());

  // Both nodes read the task; b cancels it first; a's change, decided on its older copy,
  // must not overwrite b's.
  Result<Task> seen_a = a->GetTask(*id);
  Result<Task> seen_b = b->GetTask(*id);
  REQUIRE(seen_a.ok());
  REQUIRE(seen_b.ok());
  CHECK(seen_a->revision == 1);
  seen_b->status = TaskStatus::kCancelled;
  REQUIRE(write(*b, *seen_b, 6000).ok());
  seen_a->round = 1;
  Status stale = write(*a, *seen_a, 7000);
  CHECK(stale.code() == Code::kConflict);
  CHECK(stale.message().find("changed by another node") != std::string::npos);

  Result<Task> now = a->GetTask(*id);
  REQUIRE(now.ok());
  CHECK(now->status == TaskStatus::kCancelled);
  CHECK(now->round == 0);
  CHECK(now->revision == 2);
  std::vector<int64_t> due;
  REQUIRE(a->ScanDue(0, 10000, [&](int64_t ms, uint64_t) {
    due.push_back(ms);
    return true;
  }).ok());
  CHECK(due == std::vector<int64_t>{5000, 6000});  // 7000 was in the refused batch

  // Read again, the same change goes through.
  now->round = 1;
  CHECK(write(*a, *now, 7000).ok());
  CHECK(a->GetTask(*id)->round == 1);
}

TEST_CASE("PgWrites: rows with new keys are inserted plainly, the others upserted") {
  const pg::TableShape shape{"t", {{"id", "bigint"}}, {{"v", "text"}}};
  pg::PgWrites w;
  w.Insert(shape, {pg::Cell(int64_t{1}), pg::Cell(std::string("new"))});
  pg::PgWrites::Plan only_new = w.Statements();
  REQUIRE(only_new.statements.size() == 1);
  CHECK(only_new.statements[0].sql.find("INSERT INTO t") == 0);
  CHECK(only_new.statements[0].sql.find("ON CONFLICT") == std::string::npos);
  w.Put(shape, {pg::Cell(int64_t{2}), pg::Cell(std::string("old"))});
  w.Put(shape, {pg::Cell(int64_t{1}), pg::Cell(std::string("after"))});  // the last change wins
  pg::PgWrites::Plan both = w.Statements();
  REQUIRE(both.statements.size() == 1);
  CHECK(both.statements[0].sql.find("ON CONFLICT (id) DO UPDATE") != std::string::npos);
}

TEST_CASE("PgStore: a task's first write inserts its rows, and is refused over an existing task") {
  std::string url = testing::PgServer::Shared().NewDatabase();
  auto a = OpenPg(url);
  auto b = OpenPg(url);
  Result<uint64_t> id = a->AllocateTaskIds(1);
  REQUIRE(id.ok());
  auto first_write = [&](Store& s, int64_t due_ms, uint32_t round) {
    Task t = SomeTask(*id);  // revision 0: never written
    t.round = round;
    std::unique_ptr<Store::Batch> batch = s.NewBatch();
    batch->PutTask(t);
    batch->PutDue(due_ms, t.id);
    batch->PutTaskNo(t.app_key, "other-" + std::to_string(round), t.id);
    return s.Write(*batch, true);
  };
  REQUIRE(first_write(*a, 5000, 1).ok());
  CHECK(a->GetTask(*id)->revision == 1);

  // A second "first write" of the same id (ids never repeat, so only a bug could make one)
  // changes nothing, on either node, and none of its batch lands.
  for (Store* s : {static_cast<Store*>(a.get()), static_cast<Store*>(b.get())}) {
    Status again = first_write(*s, 6000, 2);
    CHECK(again.code() == Code::kConflict);
  }
  Result<Task> now = b->GetTask(*id);
  REQUIRE(now.ok());
  CHECK(now->round == 1);
  CHECK(now->revision == 1);
  CHECK_FALSE(b->FindTaskNo("app", "other-2")->has_value());
  std::vector<int64_t> due;
  REQUIRE(b->ScanDue(0, 10000, [&](int64_t ms, uint64_t) {
    due.push_back(ms);
    return true;
  }).ok());
  CHECK(due == std::vector<int64_t>{5000});

  // Within one batch the last change still wins: a new task deleted again leaves nothing.
  Result<uint64_t> gone = a->AllocateTaskIds(1);
  REQUIRE(gone.ok());
  std::unique_ptr<Store::Batch> batch = a->NewBatch();
  batch->PutTask(SomeTask(*gone));
  batch->PutDue(7000, *gone);
  batch->DeleteDue(7000, *gone);
  batch->DeleteTask(*gone);
  REQUIRE(a->Write(*batch, true).ok());
  CHECK(a->GetTask(*gone).status().code() == Code::kNotFound);
}

TEST_CASE("PgStore: schedules and applications written from a stale read are refused too") {
  std::string url = testing::PgServer::Shared().NewDatabase();
  auto a = OpenPg(url);
  auto b = OpenPg(url);
  auto put = [](Store& s, auto&& add) {
    std::unique_ptr<Store::Batch> batch = s.NewBatch();
    add(*batch);
    return s.Write(*batch, true);
  };
  Schedule sched;
  sched.id = "s1";
  sched.app_key = "app";
  sched.trigger_json = "{}";
  sched.push_json = "{}";
  REQUIRE(put(*a, [&](Store::Batch& x) { x.PutSchedule(sched); }).ok());
  // A second first write of the same id (another node's create) is refused.
  CHECK(put(*b, [&](Store::Batch& x) { x.PutSchedule(sched); }).code() == Code::kConflict);
  Result<Schedule> seen_a = a->GetSchedule("s1");
  Result<Schedule> seen_b = b->GetSchedule("s1");
  REQUIRE(seen_a.ok());
  REQUIRE(seen_b.ok());
  seen_b->fires = 1;
  REQUIRE(put(*b, [&](Store::Batch& x) { x.PutSchedule(*seen_b); }).ok());
  seen_a->name = "renamed";
  CHECK(put(*a, [&](Store::Batch& x) { x.PutSchedule(*seen_a); }).code() == Code::kConflict);
  CHECK(a->GetSchedule("s1")->fires == 1);
  CHECK(a->GetSchedule("s1")->name.empty());

  App app;
  app.app_key = "k1";
  REQUIRE(put(*a, [&](Store::Batch& x) { x.PutApp(app); }).ok());
  CHECK(put(*b, [&](Store::Batch& x) { x.PutApp(app); }).code() == Code::kConflict);
  app.revision = 1;  // as read after the first write
  app.step_s = 9;
  REQUIRE(put(*b, [&](Store::Batch& x) { x.PutApp(app); }).ok());
  app.step_s = 3;  // the same copy again: stale now
  CHECK(put(*a, [&](Store::Batch& x) { x.PutApp(app); }).code() == Code::kConflict);
  std::vector<App> apps;
  REQUIRE(a->ForEachApp([&](App&& x) { apps.push_back(std::move(x)); }).ok());
  REQUIRE(apps.size() == 1);
  CHECK(apps[0].step_s == 9);
  CHECK(apps[0].revision == 2);
}

TEST_CASE("PgStore: an unreachable database is Unavailable, and the reason is reported") {
  Result<std::unique_ptr<PgStore>> s =
      PgStore::Open({.url = "postgresql://tock:pw@127.0.0.1:1/tock?connect_timeout=2"});
  REQUIRE_FALSE(s.ok());
  CHECK(s.status().code() == Code::kUnavailable);
  CHECK(s.status().message().find("database unreachable") != std::string::npos);
}

}  // namespace tock

namespace tock {

TEST_CASE("PgStore: leases give each due entry to one node, and back when they run out") {
  std::string url = testing::PgServer::Shared().NewDatabase();
  auto a = OpenPg(url);
  auto b = OpenPg(url);
  {
    std::unique_ptr<Store::Batch> batch_owned = a->NewBatch();
    Store::Batch& batch = *batch_owned;
    for (uint64_t id = 1; id <= 100; ++id) batch.PutDue(static_cast<int64_t>(id), id);
    batch.PutDue(5000, 101);  // beyond the horizon below
    REQUIRE(a->Write(batch, true).ok());
  }
  // Without a lease of its own a node claims nothing.
  CHECK(Claim(*a, "node-a", 1000) == 0);
  CHECK(Renew(*a, "node-a", 60000) == DueLeases::Renewal::kTakenAfresh);
  REQUIRE(b->RenewLeases("node-b", 60000).ok());

  // Two nodes claiming together split the entries: none twice, none missed.
  std::vector<uint64_t> got_a, got_b;
  std::thread ta([&] {
    for (int i = 0; i < 10; ++i) {
      REQUIRE(a->ClaimDue("node-a", 1000, 7, [&](int64_t, uint64_t id) {
        got_a.push_back(id);
      }).ok());
    }
  });
  std::thread tb([&] {
    for (int i = 0; i < 10; ++i) {
      REQUIRE(b->ClaimDue("node-b", 1000, 7, [&](int64_t, uint64_t id) {
        got_b.push_back(id);
      }).ok());
    }
  });
  ta.join();
  tb.join();
  std::vector<uint64_t> all = got_a;
  all.insert(all.end(), got_b.begin(), got_b.end());
  std::sort(all.begin(), all.end());
  REQUIRE(all.size() == 100);
  for (uint64_t i = 0; i < 100; ++i) CHECK(all[i] == i + 1);

  // Held leases are renewed and not claimed again; released ones are claimed at once.
  CHECK(Renew(*a, "node-a", 60000) == DueLeases::Renewal::kRenewed);
  CHECK(Claim(*b, "node-b", 1000) == 0);
  REQUIRE(a->ReleaseLeases("node-a").ok());
  CHECK(Claim(*b, "node-b", 1000) == got_a.size());

  // A lease that ran out but was not taken over is still the node's, with its entries.
  REQUIRE(b->RenewLeases("node-b", -1).ok());
  CHECK(Renew(*b, "node-b", 60000) == DueLeases::Renewal::kRenewed);
  size_t kept = 0;
  REQUIRE(b->ListLeased("node-b", 0, 0, [&](int64_t, uint64_t) { ++kept; }).ok());
  CHECK(kept == 100);

  // A node whose lease ran out (here: set to have ended 1 ms ago) loses its entries to the
  // next claim, and hears of it when it renews next.
  REQUIRE(b->RenewLeases("node-b", -1).ok());
  REQUIRE(a->RenewLeases("node-a", 60000).ok());
  CHECK(Claim(*a, "node-a", 1000) == 100);
  CHECK(Renew(*b, "node-b", 60000) == DueLeases::Renewal::kTakenAfresh);
  CHECK(Claim(*b, "node-b", 1000) == 0);  // a's now
  size_t back = 0;
  REQUIRE(b->ListLeased("node-b", 0, 0, [&](int64_t, uint64_t) { ++back; }).ok());
  CHECK(back == 0);
}

TEST_CASE("PgStore: a renewal rewrites one row, however many due entries the node holds") {
  // It rewrote every held due row before (issue 12): 100 000 row updates per pass with a
  // burst in hand, and waits on the rows an outcome was deleting.
  std::string url = testing::PgServer::Shared().NewDatabase();
  auto a = OpenPg(url);
  PutDueEntries(*a, 2000);
  REQUIRE(LeaseAndClaim(*a, "node-a", 60000) == 2000);
  Result<std::unique_ptr<pg::Connection>> peek = pg::Connection::Open(url);
  REQUIRE_MESSAGE(peek.ok(), peek.status().message());
  // A row's xmin is the transaction that last wrote it: unchanged means not rewritten.
  const char* kVersions = "SELECT count(DISTINCT xmin::text), min(xmin::text) FROM due";
  Result<pg::Rows> before = (*peek)->Exec(kVersions);
  REQUIRE(before.ok());
  // One due row locked by another transaction (an outcome deleting it) holds nothing up.
  REQUIRE((*peek)->ExecScript("BEGIN").ok());
  REQUIRE((*peek)->Exec("SELECT id FROM due WHERE id = 1 FOR UPDATE").ok());
  auto renewed = std::async(std::launch::async, [&] { return a->RenewLeases("node-a", 60000); });
  const bool done = renewed.wait_for(std::chrono::seconds(20)) == std::future_status::ready;
  (void)(*peek)->ExecScript("ROLLBACK");  // lets a waiting renewal finish either way
  REQUIRE_MESSAGE(done, "RenewLeases waited for a locked due row");
  Result<DueLeases::Renewal> r = renewed.get();
  REQUIRE(r.ok());
  CHECK(*r == DueLeases::Renewal::kRenewed);
  Result<pg::Rows> after = (*peek)->Exec(kVersions);
  REQUIRE(after.ok());
  CHECK(after->Text(0, 0) == before->Text(0, 0));
  CHECK(after->Text(0, 1) == before->Text(0, 1));
  CHECK(QueryInt(**peek, "SELECT count(*) FROM node_leases") == 1);
}

TEST_CASE("PgStore: a dead node's entries are taken over once its lease runs out, and not before") {
  std::string url = testing::PgServer::Shared().NewDatabase();
  auto dead = OpenPg(url);
  auto alive = OpenPg(url);
  PutDueEntries(*dead, 50);
  REQUIRE(alive->RenewLeases("alive", 60000).ok());
  const auto t0 = std::chrono::steady_clock::now();
  REQUIRE(LeaseAndClaim(*dead, "dead", 400) == 50);
  // `dead` renews no more. Polled against the database's clock, with a generous deadline.
  size_t taken = 0;
  for (int i = 0; i < 400 && taken < 50; ++i) {
    REQUIRE(alive->ClaimDue("alive", 1000, 1000, [&](int64_t, uint64_t) { ++taken; }).ok());
    if (taken < 50) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  CHECK(taken == 50);
  // Not before the lease ended: 400 ms from the renewal (t0 came just before it; the
  // database's clock and this one are the same machine's).
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(350));
  // The dead node's lease row is gone, and nothing names it any more.
  Result<std::unique_ptr<pg::Connection>> peek = pg::Connection::Open(url);
  REQUIRE(peek.ok());
  Result<pg::Rows> owners = (*peek)->Exec("SELECT owner FROM node_leases");
  REQUIRE(owners.ok());
  REQUIRE(owners->size() == 1);
  CHECK(owners->Text(0, 0) == "alive");
  CHECK(QueryInt(**peek, "SELECT count(*) FROM due WHERE owner = 'dead'") == 0);
}

TEST_CASE("PgStore: a claim says when the next takeover could happen") {
  // What LeaseLoader sleeps by, so that a dead node is taken over within its lease plus a
  // few ms, not plus a whole pass interval.
  std::string url = testing::PgServer::Shared().NewDatabase();
  auto store = OpenPg(url);
  auto next_takeover = [&](const std::string& owner) {
    Result<int64_t> r = store->ClaimDue(owner, 1000, 10, [](int64_t, uint64_t) {});
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    return *r;
  };
  Renew(*store, "me", 60000);
  CHECK(next_takeover("me") == DueLeases::kNoOtherLease);  // its own lease does not count
  Renew(*store, "far", 60000);
  Renew(*store, "near", 5000);
  const int64_t in_ms = next_takeover("me");
  CHECK(in_ms > 4000);  // the earlier of the two, by the database's clock
  CHECK(in_ms <= 5000);
  // An ended lease is taken over by that very claim: "near" is gone, "far" is next.
  REQUIRE(store->RenewLeases("near", -1).ok());
  CHECK(next_takeover("me") > 55000);
  Result<std::unique_ptr<pg::Connection>> peek = pg::Connection::Open(url);
  REQUIRE(peek.ok());
  CHECK(QueryInt(**peek, "SELECT count(*) FROM node_leases WHERE owner = 'near'") == 0);
}

TEST_CASE("PgStore: a takeover frees all of the dead node's entries, not only those claimed") {
  // The taker claims up to its limit; the rest are free to any node, not left to the dead.
  std::string url = testing::PgServer::Shared().NewDatabase();
  auto store = OpenPg(url);
  PutDueEntries(*store, 30);
  REQUIRE(LeaseAndClaim(*store, "dead", 60000) == 30);
  REQUIRE(store->RenewLeases("dead", -1).ok());  // its lease ended 1 ms ago
  REQUIRE(store->RenewLeases("taker", 60000).ok());
  REQUIRE(store->RenewLeases("other", 60000).ok());
  std::vector<uint64_t> taker, other;
  REQUIRE(store->ClaimDue("taker", 1000, 10, [&](int64_t, uint64_t id) {
    taker.push_back(id);
  }).ok());
  REQUIRE(store->ClaimDue("other", 1000, 1000, [&](int64_t, uint64_t id) {
    other.push_back(id);
  }).ok());
  CHECK(taker.size() == 10);
  CHECK(other.size() == 20);
  std::vector<uint64_t> all = taker;
  all.insert(all.end(), other.begin(), other.end());
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  CHECK(all.size() == 30);
  Result<DueLeases::Renewal> back = store->RenewLeases("dead", 60000);
  REQUIRE(back.ok());
  CHECK(*back == DueLeases::Renewal::kTakenAfresh);
}

TEST_CASE("PgStore: on a database of schema 2, entries the previous release leased stay its "
          "own while leased") {
  // An upgrade runs both releases for a while: the old one leases each due row itself, and
  // the new one migrates the database under it (3: node_leases).
  std::string url = testing::PgServer::Shared().NewDatabase();
  Result<std::unique_ptr<pg::Connection>> old = pg::Connection::Open(url);
  REQUIRE(old.ok());
  REQUIRE(pg::MigrateTo(**old, 2).ok());
  // What the previous release's claims wrote: a per-row lease, live for a minute (rows 1,
  // 2) or ended (row 3); row 4 is nobody's.
  REQUIRE((*old)->Exec("INSERT INTO due SELECT g, g, NULL, 0 FROM generate_series(1, 4) g")
              .ok());
  REQUIRE((*old)->Exec("UPDATE due SET owner = 'old', lease_until_ms = "
                       "(extract(epoch FROM clock_timestamp()) * 1000)::bigint + 60000 "
                       "WHERE id <= 2").ok());
  REQUIRE((*old)->Exec("UPDATE due SET owner = 'old', lease_until_ms = 1 WHERE id = 3").ok());

  auto a = OpenPg(url);  // migrates to 3
  CHECK(QueryInt(**old, "SELECT version FROM tock_schema") == pg::KnownSchemaVersion());
  REQUIRE(a->RenewLeases("new", 60000).ok());
  std::vector<uint64_t> got;
  REQUIRE(a->ClaimDue("new", 1000, 1000, [&](int64_t, uint64_t id) { got.push_back(id); }).ok());
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<uint64_t>{3, 4});
  // The old release's renewal still holds its rows; what this release holds, its claim
  // (lease_until_ms < now) never takes.
  REQUIRE((*old)->Exec("UPDATE due SET lease_until_ms = "
                       "(extract(epoch FROM clock_timestamp()) * 1000)::bigint + 60000 "
                       "WHERE owner = 'old'").ok());
  CHECK(QueryInt(**old, "SELECT count(*) FROM due WHERE owner IS NULL OR lease_until_ms < "
                       "(extract(epoch FROM clock_timestamp()) * 1000)::bigint") == 0);
  // Once the old node stops renewing (its lease set to have ended), its rows are this one's.
  REQUIRE((*old)->Exec("UPDATE due SET lease_until_ms = 1 WHERE owner = 'old'").ok());
  got.clear();
  REQUIRE(a->ClaimDue("new", 1000, 1000, [&](int64_t, uint64_t id) { got.push_back(id); }).ok());
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<uint64_t>{1, 2});
}

TEST_CASE("PgStore: schema 4 makes every indexed text column compare as bytes, keeping the data") {
  // Written under schema 3 (the previous release), read after this release migrated it.
  std::string url = testing::PgServer::Shared().NewDatabase();
  Result<std::unique_ptr<pg::Connection>> old = pg::Connection::Open(url);
  REQUIRE(old.ok());
  REQUIRE(pg::MigrateTo(**old, 3).ok());
  REQUIRE((*old)->Exec("INSERT INTO task_nos VALUES ('app', 'b-2', 2), ('app', 'a-1', 1), "
                       "('app', 'b-1', 3), ('app', 'b', 4)").ok());
  const char* kNotBytes =
      "SELECT count(*) FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
      "JOIN pg_namespace n ON n.oid = t.relnamespace "
      "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY (i.indkey) "
      "WHERE n.nspname = current_schema() AND a.atttypid = 'text'::regtype "
      "AND a.attcollation <> (SELECT oid FROM pg_collation WHERE collname = 'C')";
  CHECK(QueryInt(**old, kNotBytes) > 0);  // the check sees what it is meant to

  auto store = OpenPg(url);  // migrates to the newest
  CHECK(QueryInt(**old, "SELECT version FROM tock_schema") == pg::KnownSchemaVersion());
  CHECK(QueryInt(**old, kNotBytes) == 0);
  CHECK(QueryInt(**old, "SELECT count(*) FROM pg_indexes WHERE indexname = "
                        "'task_nos_by_prefix'") == 0);
  std::vector<std::string> got;
  REQUIRE(store->ScanTaskNos("app", "b-", "", false, [&](std::string_view no, uint64_t id) {
    got.push_back(std::string(no) + "=" + std::to_string(id));
    return true;
  }).ok());
  CHECK(got == std::vector<std::string>{"b-1=3", "b-2=2"});
  Result<std::optional<uint64_t>> one = store->FindTaskNo("app", "a-1");
  REQUIRE(one.ok());
  CHECK(*one == std::optional<uint64_t>(1));
}

}  // namespace tock
