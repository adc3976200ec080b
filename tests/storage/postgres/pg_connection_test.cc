// The PostgreSQL connection and schema against a real PostgreSQL 15 (testutil/pg_server.h).
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "storage/postgres/pg_connection.h"
#include "storage/postgres/schema.h"
#include "testutil/pg_server.h"

namespace tock::pg {
namespace {

std::unique_ptr<Connection> MustOpen(const std::string& url) {
  Result<std::unique_ptr<Connection>> c = Connection::Open(url);
  REQUIRE_MESSAGE(c.ok(), c.status().message());
  return std::move(c).value();
}

}  // namespace

TEST_CASE("pg::Connection: parameters and array literals round-trip through the server") {
  auto conn = MustOpen(testing::PgServer::Shared().NewDatabase());
  std::string odd = "quote \" backslash \\ comma , brace { } \xc3\xa9";
  std::string bytes("\x00\x01\xff\"\\", 5);
  Result<Rows> r = conn->Exec("SELECT $1::text, $2::bigint, $3::bytea, $4::text IS NULL",
                              Params().Text(odd).Int(-42).Bytes(bytes).Null());
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  CHECK(r->Text(0, 0) == odd);
  CHECK(r->Int64(0, 1) == -42);
  CHECK(r->Bytes(0, 2) == bytes);
  CHECK(r->Text(0, 3) == "t");

  ArrayLiteral texts, ints, blobs;
  texts.Text(odd).Null().Text("");
  ints.Int(1).Int(-2).Int(int64_t{1} << 62);
  blobs.Bytes(bytes).Bytes("").Bytes("plain");
  Result<Rows> u = conn->Exec(
      "SELECT t, i, b FROM unnest($1::text[], $2::bigint[], $3::bytea[]) AS x(t, i, b)",
      Params().Text(texts.Finish()).Text(ints.Finish()).Text(blobs.Finish()));
  REQUIRE_MESSAGE(u.ok(), u.status().message());
  REQUIRE(u->size() == 3);
  CHECK(u->Text(0, 0) == odd);
  CHECK(u->IsNull(1, 0));
  CHECK(u->Text(2, 0).empty());
  CHECK(u->Int64(2, 1) == (int64_t{1} << 62));
  CHECK(u->Bytes(0, 2) == bytes);
  CHECK(u->Bytes(2, 2) == "plain");
}

TEST_CASE("pg::Connection: errors become tock's codes, and the password is never shown") {
  std::string url = testing::PgServer::Shared().NewDatabase();
  auto conn = MustOpen(url);
  REQUIRE(conn->ExecScript("CREATE TABLE k (id bigint PRIMARY KEY)").ok());
  REQUIRE(conn->Exec("INSERT INTO k VALUES (1)").ok());
  Result<Rows> dup = conn->Exec("INSERT INTO k VALUES (1)");
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.status().code() == Code::kConflict);
  CHECK(dup.status().message().find("23505") != std::string::npos);
  Result<Rows> bad = conn->Exec("SELECT * FROM no_such_table");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == Code::kInternal);

  // A port nothing listens on: Unavailable, and the message hides the password.
  Result<std::unique_ptr<Connection>> down =
      Connection::Open("postgresql://tock:sekrit@127.0.0.1:1/tock?connect_timeout=2");
  REQUIRE_FALSE(down.ok());
  CHECK(down.status().code() == Code::kUnavailable);
  CHECK(down.status().message().find("sekrit") == std::string::npos);
  CHECK(down.status().message().find("tock:***@") != std::string::npos);

  Result<std::unique_ptr<Connection>> garbage = Connection::Open("postgresql://[::1");
  REQUIRE_FALSE(garbage.ok());
  CHECK(garbage.status().code() == Code::kInvalid);

  // An unencoded '@' in the password: refused before libpq could take part of it for the
  // host (and print it); the message hides all of it.
  Result<std::unique_ptr<Connection>> at =
      Connection::Open("postgresql://tock:p@ss@127.0.0.1:1/tock");
  REQUIRE_FALSE(at.ok());
  CHECK(at.status().code() == Code::kInvalid);
  CHECK(at.status().message().find("%40") != std::string::npos);
  CHECK(at.status().message().find("ss@") == std::string::npos);
  CHECK(RedactUrl("postgresql://u:p@ss@h/db") == "postgresql://u:***@h/db");
  CHECK(RedactUrl("postgresql://u@h/db") == "postgresql://u@h/db");
  CHECK(RedactUrl("postgresql://h:5432/db") == "postgresql://h:5432/db");

  Result<std::unique_ptr<Connection>> nouser = Connection::Open("postgresql://127.0.0.1:1/tock");
  REQUIRE_FALSE(nouser.ok());
  CHECK(nouser.status().message().find("must name a user") != std::string::npos);
}

TEST_CASE("pg::Connection: a pipeline answers each statement, and after a failing one is "
          "left usable with its transaction rolled back") {
  auto conn = MustOpen(testing::PgServer::Shared().NewDatabase());
  REQUIRE(conn->ExecScript("CREATE TABLE k (id bigint PRIMARY KEY)").ok());
  auto insert = [](int64_t id) {
    return Connection::Statement{"INSERT INTO k VALUES ($1)", Params().Int(id)};
  };
  Result<std::vector<Rows>> ok = conn->ExecPipeline(
      {{"BEGIN", Params()}, insert(1), {"SELECT count(*) FROM k", Params()},
       {"UPDATE k SET id = id WHERE id >= $1", Params().Int(0)}, {"COMMIT", Params()}});
  REQUIRE_MESSAGE(ok.ok(), ok.status().message());
  REQUIRE(ok->size() == 5);
  CHECK((*ok)[1].affected() == 1);
  CHECK((*ok)[2].Int64(0, 0) == 1);  // a later statement sees an earlier one's change
  CHECK((*ok)[3].affected() == 1);
  CHECK(conn->healthy());

  // The third insert fails (id 1 exists); the server skips the fourth and the COMMIT, and
  // the transaction is left aborted for the caller's ROLLBACK.
  Result<std::vector<Rows>> failed = conn->ExecPipeline(
      {{"BEGIN", Params()}, insert(2), insert(1), insert(3), {"COMMIT", Params()}});
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.status().code() == Code::kConflict);
  CHECK(failed.status().message().find("23505") != std::string::npos);
  CHECK_FALSE(conn->healthy());  // inside the aborted transaction: not for a pool to reuse
  REQUIRE(conn->ExecScript("ROLLBACK").ok());
  CHECK(conn->healthy());
  Result<Rows> left = conn->Exec("SELECT id FROM k ORDER BY id");
  REQUIRE_MESSAGE(left.ok(), left.status().message());
  REQUIRE(left->size() == 1);
  CHECK(left->Int64(0, 0) == 1);

  // Without BEGIN the pipeline is one implicit transaction, rolled back whole at the sync:
  // nothing to clean up.
  Result<std::vector<Rows>> implicit = conn->ExecPipeline({insert(4), insert(1), insert(5)});
  REQUIRE_FALSE(implicit.ok());
  CHECK(conn->healthy());
  Result<std::vector<Rows>> again = conn->ExecPipeline(
      {{"SELECT count(*) FROM k", Params()}, {"SELECT $1::text", Params().Text("still here")}});
  REQUIRE_MESSAGE(again.ok(), again.status().message());
  CHECK((*again)[0].Int64(0, 0) == 1);
  CHECK((*again)[1].Text(0, 0) == "still here");
}

TEST_CASE("pg::Migrate: creates the schema once, even with nodes starting together") {
  std::string url = testing::PgServer::Shared().NewDatabase();
  std::vector<std::thread> nodes;
  std::vector<Status> results(4);
  for (size_t i = 0; i < results.size(); ++i) {
    nodes.emplace_back([&, i] {
      Result<std::unique_ptr<Connection>> c = Connection::Open(url);
      results[i] = c.ok() ? Migrate(**c) : c.status();
    });
  }
  for (auto& t : nodes) t.join();
  for (const Status& s : results) CHECK_MESSAGE(s.ok(), s.message());

  auto conn = MustOpen(url);
  Result<Rows> v = conn->Exec("SELECT version FROM tock_schema");
  REQUIRE(v.ok());
  REQUIRE(v->size() == 1);
  CHECK(v->Int64(0, 0) == KnownSchemaVersion());
  CHECK(Migrate(*conn).ok());  // again: nothing to do

  // A newer tock migrated this database: this one refuses it and says why.
  REQUIRE(conn->Exec("UPDATE tock_schema SET version = version + 1").ok());
  Status refused = Migrate(*conn);
  CHECK(refused.code() == Code::kInvalid);
  CHECK(refused.message().find("newer than this tock knows") != std::string::npos);
}

}  // namespace tock::pg
