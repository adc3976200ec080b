// One connection to PostgreSQL through libpq, and the few things the PostgreSQL store does
// with it: run a statement with parameters and read its rows, and say what went wrong in
// tock's own Status terms. Many rows go in one statement as array parameters (see
// ArrayLiteral), so a batch of thousands of tasks costs a few round trips, not thousands.
//
// Errors are converted once, here (STYLE: foreign errors at the edge):
//   connection lost / refused, server shutting down, too many clients   -> Unavailable
//   serialization failure, deadlock (40001, 40P01)                       -> Unavailable,
//     which IsRetryableTransaction() tells apart: the transaction was rolled back whole and
//     may simply run again (the database itself is fine)
//   unique violation (23505)                                             -> Conflict
//   anything else                                                        -> Internal
// The message carries the server's text and SQLSTATE, never the password.
//
// Parameters are sent as text, except bytes (bytea), which go in binary so that no escaping
// is needed. Rows are read as text; Int64() parses.
//
// Nothing waits on the server without a deadline. A database that refuses is found out at
// once, but one that stalls (a hung server or pooler, a network that drops packets, a
// failover to another address) would hold a caller forever, and with it a create's answer,
// /readyz and shutdown. So: connects give up after connect_timeout (10 s unless the URL says
// otherwise), TCP keepalives and tcp_user_timeout find a silent peer, and every statement
// (Exec, ExecPipeline) has a deadline (kStatementTimeoutMs unless given): past it the call
// fails Unavailable ("no answer within N ms") and the connection is not healthy() any more,
// so the pool closes it. Schema scripts (ExecScript) have none: a migration may rebuild
// indexes for minutes.
//
// Thread-safety: a Connection belongs to one thread at a time (libpq's rule). libpq-fe.h
// stays in pg_connection.cc.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

struct pg_conn;
struct pg_result;

namespace tock::pg {

// True for a transaction the server refused to finish because of other transactions (a
// deadlock, 40P01, or a serialization failure, 40001): nothing of it was applied, and running
// it again is the documented remedy.
bool IsRetryableTransaction(const Status& s);

// The parameters of one statement, $1..$n in order.
class Params {
 public:
  Params& Text(std::string_view v);
  Params& Int(int64_t v);
  Params& Bytes(std::string_view v);  // bytea, sent in binary
  Params& Null();
  size_t size() const { return values_.size(); }

 private:
  friend class Connection;
  std::vector<std::string> values_;
  std::vector<bool> null_;
  std::vector<bool> binary_;
};

// The rows a statement returned (or none). Owns libpq's result.
class Rows {
 public:
  Rows() = default;
  explicit Rows(pg_result* res);
  ~Rows();
  Rows(Rows&& other) noexcept;
  Rows& operator=(Rows&& other) noexcept;
  Rows(const Rows&) = delete;
  Rows& operator=(const Rows&) = delete;

  int size() const;
  bool IsNull(int row, int col) const;
  std::string_view Text(int row, int col) const;
  int64_t Int64(int row, int col) const;  // 0 when null or not a number
  std::string Bytes(int row, int col) const;  // a bytea column, decoded
  int64_t affected() const;  // rows an INSERT/UPDATE/DELETE changed

 private:
  pg_result* res_ = nullptr;
};

class Connection {
 public:
  // Deadline of one statement or pipeline, unless the call gives another.
  static constexpr int64_t kStatementTimeoutMs = 10'000;

  // Connects with a libpq URL or key=value string. Unavailable when the server cannot be
  // reached (the caller retries); Invalid when the string itself is wrong.
  static Result<std::unique_ptr<Connection>> Open(const std::string& url);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one statement and waits for its rows, at most timeout_ms.
  Result<Rows> Exec(std::string_view sql, const Params& params = Params(),
                    int64_t timeout_ms = kStatementTimeoutMs);
  // Runs a script of statements without parameters (schema migrations).
  Status ExecScript(std::string_view sql);

  // One statement of a pipeline.
  struct Statement {
    std::string sql;
    Params params;
  };
  // Sends every statement at once and then reads their results in order (libpq's pipeline
  // mode): n statements cost one round trip instead of n, so none may need another's result.
  // On the first that fails, returns its error; the server skips the rest, and an explicit
  // transaction among them (BEGIN first) is left aborted, for the caller's ROLLBACK. Either
  // way every result is read and the connection is left idle, out of pipeline mode (or, if
  // it broke, !healthy()). Results are read only after everything is sent: libpq buffers
  // them meanwhile, so a large one costs memory, not a stall.
  Result<std::vector<Rows>> ExecPipeline(const std::vector<Statement>& statements,
                                          int64_t timeout_ms = kStatementTimeoutMs);

  // False once the connection is broken, timed out, or left in pipeline mode or inside a
  // transaction (a failure cut the cleanup short); the owner throws it away and opens
  // another.
  bool healthy() const;

 private:
  explicit Connection(pg_conn* conn) : conn_(conn) {}
  Status ErrorOf(pg_result* res, std::string_view what) const;
  Status TimedOut(std::string_view what, int64_t timeout_ms) const;
  // Sends what libpq still buffers; false on a broken connection or at the deadline
  // (timed_out_ set). deadline_ms is on the monotonic clock.
  bool Flush(int64_t deadline_ms);
  // PQgetResult once it will not block; null at the deadline (timed_out_ set) as at the end
  // of a statement's results.
  pg_result* NextResult(int64_t deadline_ms);
  pg_conn* conn_;
  bool timed_out_ = false;  // a call gave up waiting: the protocol state is unknown
};

// A PostgreSQL array literal in text form ("{1,2}", "{\"a\",NULL}"), to pass many values as
// one parameter and unnest() them server-side.
class ArrayLiteral {
 public:
  ArrayLiteral& Int(int64_t v);
  ArrayLiteral& Text(std::string_view v);   // quoted and escaped
  ArrayLiteral& Bytes(std::string_view v);  // bytea's hex form, "\\x..."
  ArrayLiteral& Null();
  size_t size() const { return count_; }
  std::string Finish() const { return text_ + "}"; }

 private:
  void Separator();
  std::string text_ = "{";
  size_t count_ = 0;
};

// The URL with its password replaced by "***", for logs and error messages.
std::string RedactUrl(std::string_view url);

}  // namespace tock::pg
