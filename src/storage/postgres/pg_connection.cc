#include "storage/postgres/pg_connection.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>

#include "common/clock.h"

namespace tock::pg {

Params& Params::Text(std::string_view v) {
  values_.emplace_back(v);
  null_.push_back(false);
  binary_.push_back(false);
  return *this;
}

Params& Params::Int(int64_t v) { return Text(std::to_string(v)); }

Params& Params::Bytes(std::string_view v) {
  values_.emplace_back(v);
  null_.push_back(false);
  binary_.push_back(true);
  return *this;
}

Params& Params::Null() {
  values_.emplace_back();
  null_.push_back(true);
  binary_.push_back(false);
  return *this;
}

void ArrayLiteral::Separator() {
  if (count_++ > 0) text_ += ',';
}

ArrayLiteral& ArrayLiteral::Int(int64_t v) {
  Separator();
  text_ += std::to_string(v);
  return *this;
}

ArrayLiteral& ArrayLiteral::Text(std::string_view v) {
  Separator();
  text_ += '"';
  for (char c : v) {
    if (c == '"' || c == '\\') text_ += '\\';
    text_ += c;
  }
  text_ += '"';
  return *this;
}

ArrayLiteral& ArrayLiteral::Bytes(std::string_view v) {
  static const char kHex[] = "0123456789abcdef";
  Separator();
  // In an array element, bytea's "\x" prefix needs its backslash escaped.
  text_ += "\"\\\\x";
  for (unsigned char c : v) {
    text_ += kHex[c >> 4];
    text_ += kHex[c & 15];
  }
  text_ += '"';
  return *this;
}

ArrayLiteral& ArrayLiteral::Null() {
  Separator();
  text_ += "NULL";
  return *this;
}

Rows::Rows(pg_result* res) : res_(res) {}
Rows::~Rows() {
  if (res_ != nullptr) PQclear(res_);
}
Rows::Rows(Rows&& other) noexcept : res_(other.res_) { other.res_ = nullptr; }
Rows& Rows::operator=(Rows&& other) noexcept {
  if (this != &other) {
    if (res_ != nullptr) PQclear(res_);
    res_ = other.res_;
    other.res_ = nullptr;
  }
  return *this;
}

int Rows::size() const { return res_ == nullptr ? 0 : PQntuples(res_); }

bool Rows::IsNull(int row, int col) const { return PQgetisnull(res_, row, col) != 0; }

std::string_view Rows::Text(int row, int col) const {
  return std::string_view(PQgetvalue(res_, row, col),
                          static_cast<size_t>(PQgetlength(res_, row, col)));
}

int64_t Rows::Int64(int row, int col) const {
  std::string_view t = Text(row, col);
  int64_t v = 0;
  std::from_chars(t.data(), t.data() + t.size(), v);
  return v;
}

std::string Rows::Bytes(int row, int col) const {
  size_t n = 0;
  unsigned char* raw =
      PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(res_, row, col)), &n);
  if (raw == nullptr) return std::string();
  std::string out(reinterpret_cast<const char*>(raw), n);
  PQfreemem(raw);
  return out;
}

int64_t Rows::affected() const {
  if (res_ == nullptr) return 0;
  const char* n = PQcmdTuples(res_);
  int64_t v = 0;
  std::from_chars(n, n + std::strlen(n), v);
  return v;
}

namespace {

// The "user:password@host:port" of a URL (from after "://" to the path or query); "" for
// the key=value form.
std::string_view Authority(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  const std::string_view rest = url.substr(scheme + 3);
  return rest.substr(0, rest.find_first_of("/?"));
}

}  // namespace

std::string RedactUrl(std::string_view url) {
  // postgresql://user:password@host... -> postgresql://user:***@host... Up to the last '@'
  // of the authority: a password with an unencoded '@' is hidden whole.
  std::string out(url);
  const std::string_view auth = Authority(url);
  const size_t at = auth.rfind('@');
  const size_t colon = auth.find(':');
  if (at != std::string_view::npos && colon != std::string_view::npos && colon < at) {
    const size_t base = static_cast<size_t>(auth.data() - url.data());
    out.replace(base + colon + 1, at - colon - 1, "***");
  }
  // key=value form: password=... up to the next space.
  size_t p = out.find("password=");
  if (p != std::string::npos) {
    size_t end = out.find(' ', p);
    out.replace(p + 9, (end == std::string::npos ? out.size() : end) - p - 9, "***");
  }
  return out;
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& url) {
  // libpq takes the first '@' as the end of the password, and would put the rest of it in
  // the host name, and so in its error messages.
  const std::string_view auth = Authority(url);
  if (auth.find('@') != auth.rfind('@')) {
    return Status::Invalid("store: the PostgreSQL URL " + RedactUrl(url) +
                           " has an '@' in its user or password: write it as %40");
  }
  char* parse_error = nullptr;
  PQconninfoOption* opts = PQconninfoParse(url.c_str(), &parse_error);
  if (opts == nullptr) {
    std::string why = parse_error != nullptr ? parse_error : "cannot be parsed";
    if (parse_error != nullptr) PQfreemem(parse_error);
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    return Status::Invalid("store: the PostgreSQL URL " + RedactUrl(url) + " is invalid: " + why);
  }
  bool has_user = false;
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
    if (std::strcmp(o->keyword, "user") == 0 && o->val != nullptr && o->val[0] != '\0') {
      has_user = true;
    }
  }
  PQconninfoFree(opts);
  // Without a user libpq asks the system's user database (getpwuid_r), which a static
  // binary cannot always do: make the URL say it.
  if (!has_user && std::getenv("PGUSER") == nullptr) {
    return Status::Invalid("store: the PostgreSQL URL " + RedactUrl(url) +
                           " must name a user (postgresql://user:password@host/db)");
  }
  // Defaults for what the URL leaves out (it wins: libpq lets parameters after "dbname",
  // which expands the URL, override those before it). See the header on stalls.
  const char* const keywords[] = {"connect_timeout", "keepalives",       "keepalives_idle",
                                  "keepalives_interval", "keepalives_count", "tcp_user_timeout",
                                  "dbname",          nullptr};
  const char* const values[] = {"10", "1", "10", "5", "3", "10000", url.c_str(), nullptr};
  pg_conn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr) return Status::Unavailable("database: out of memory connecting");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string why = PQerrorMessage(conn);
    PQfinish(conn);
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    return Status::Unavailable("database unreachable (" + RedactUrl(url) + "): " + why);
  }
  // The server's notices ("relation already exists, skipping") are not tock's to print.
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  // Sends never block (Flush waits with a deadline instead); PQexec still does.
  if (PQsetnonblocking(conn, 1) != 0) {
    PQfinish(conn);
    return Status::Unavailable("database: cannot make the connection non-blocking");
  }
  return std::unique_ptr<Connection>(new Connection(conn));
}

Connection::~Connection() { PQfinish(conn_); }

bool IsRetryableTransaction(const Status& s) {
  if (s.code() != Code::kUnavailable) return false;
  const std::string& m = s.message();
  auto ends_with = [&](std::string_view tail) {
    return m.size() >= tail.size() && m.compare(m.size() - tail.size(), tail.size(), tail) == 0;
  };
  return ends_with("(SQLSTATE 40P01)") || ends_with("(SQLSTATE 40001)");
}

bool Connection::healthy() const {
  // A connection left in pipeline mode or inside a transaction (a pipeline or a ROLLBACK cut
  // short) would fail or, worse, join the next user's statements to that transaction.
  return !timed_out_ && PQstatus(conn_) == CONNECTION_OK &&
         PQpipelineStatus(conn_) == PQ_PIPELINE_OFF && PQtransactionStatus(conn_) == PQTRANS_IDLE;
}

Status Connection::TimedOut(std::string_view what, int64_t timeout_ms) const {
  return Status::Unavailable("database: " + std::string(what) + ": no answer within " +
                             std::to_string(timeout_ms) +
                             " ms (the server, or the network to it, stalled)");
}

namespace {

// Waits until fd is ready for `events` or the deadline passes: >0 ready, 0 deadline, <0 error.
int WaitFor(int fd, short events, int64_t deadline_ms) {
  for (;;) {
    const int64_t left = deadline_ms - MonoNowNs() / 1'000'000;
    if (left <= 0) return 0;
    pollfd p{fd, events, 0};
    const int r = poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 60'000)));
    if (r < 0 && errno == EINTR) continue;
    if (r != 0) return r;
  }
}

}  // namespace

bool Connection::Flush(int64_t deadline_ms) {
  for (;;) {
    const int r = PQflush(conn_);
    if (r == 0) return true;
    if (r < 0) return false;
    // The server may be waiting for us to read before it reads on: take in what it sent.
    const int w = WaitFor(PQsocket(conn_), POLLIN | POLLOUT, deadline_ms);
    if (w == 0) {
      timed_out_ = true;
      return false;
    }
    if (w < 0 || PQconsumeInput(conn_) != 1) return false;
  }
}

pg_result* Connection::NextResult(int64_t deadline_ms) {
  while (PQisBusy(conn_) == 1) {
    const int w = WaitFor(PQsocket(conn_), POLLIN, deadline_ms);
    if (w == 0) {
      timed_out_ = true;
      return nullptr;
    }
    // A read error: PQgetResult reports it (as an error result, or null on a dead socket).
    if (w < 0 || PQconsumeInput(conn_) != 1) break;
  }
  return PQgetResult(conn_);
}

Status Connection::ErrorOf(pg_result* res, std::string_view what) const {
  std::string msg = res != nullptr ? PQresultErrorMessage(res) : PQerrorMessage(conn_);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string sqlstate = state != nullptr ? state : "";
  std::string text = "database: " + std::string(what) + ": " + msg;
  if (!sqlstate.empty()) text += " (SQLSTATE " + sqlstate + ")";
  if (PQstatus(conn_) != CONNECTION_OK || sqlstate.rfind("08", 0) == 0 ||
      sqlstate.rfind("57P", 0) == 0 || sqlstate == "53300" || sqlstate == "40001" ||
      sqlstate == "40P01") {
    return Status::Unavailable(text);
  }
  if (sqlstate == "23505") return Status::Conflict(text);
  return Status::Internal(text);
}

namespace {
// A statement's parameters (Params' vectors) as libpq takes them; points into `values`,
// which must outlive it.
struct WireParams {
  WireParams(const std::vector<std::string>& values, const std::vector<bool>& null,
             const std::vector<bool>& binary)
      : values(values.size()), lengths(values.size()), formats(values.size()) {
    for (size_t i = 0; i < values.size(); ++i) {
      this->values[i] = null[i] ? nullptr : values[i].c_str();
      lengths[i] = static_cast<int>(values[i].size());
      formats[i] = binary[i] ? 1 : 0;
    }
  }
  int count() const { return static_cast<int>(values.size()); }
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
};

// The statement's first words, to name it in an error.
std::string_view Head(std::string_view sql) { return sql.substr(0, sql.find_first_of("(\n")); }
}  // namespace

Result<Rows> Connection::Exec(std::string_view sql, const Params& params, int64_t timeout_ms) {
  const int64_t deadline = MonoNowNs() / 1'000'000 + timeout_ms;
  std::string query(sql);
  WireParams w(params.values_, params.null_, params.binary_);
  if (PQsendQueryParams(conn_, query.c_str(), w.count(), nullptr, w.values.data(),
                        w.lengths.data(), w.formats.data(), 0) != 1) {
    return ErrorOf(nullptr, Head(query));
  }
  if (!Flush(deadline)) {
    return timed_out_ ? TimedOut(Head(query), timeout_ms) : ErrorOf(nullptr, Head(query));
  }
  pg_result* res = NextResult(deadline);
  // Up to the null that ends the statement's results, so the connection is idle again.
  for (pg_result* more = res != nullptr ? NextResult(deadline) : nullptr; more != nullptr;
       more = NextResult(deadline)) {
    PQclear(more);
  }
  if (timed_out_) {
    if (res != nullptr) PQclear(res);
    return TimedOut(Head(query), timeout_ms);
  }
  ExecStatusType st = res != nullptr ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    Status err = ErrorOf(res, Head(query));
    if (res != nullptr) PQclear(res);
    return err;
  }
  return Rows(res);
}

Result<std::vector<Rows>> Connection::ExecPipeline(const std::vector<Statement>& statements,
                                                   int64_t timeout_ms) {
  const int64_t deadline = MonoNowNs() / 1'000'000 + timeout_ms;
  if (PQenterPipelineMode(conn_) != 1) return ErrorOf(nullptr, "pipeline");
  Status failed = Status::Ok();
  size_t sent = 0;
  for (const Statement& st : statements) {
    WireParams w(st.params.values_, st.params.null_, st.params.binary_);
    if (PQsendQueryParams(conn_, st.sql.c_str(), w.count(), nullptr, w.values.data(),
                          w.lengths.data(), w.formats.data(), 0) != 1) {
      failed = ErrorOf(nullptr, "pipeline");
      break;
    }
    ++sent;
  }
  // The sync marks the pipeline's end and flushes what libpq still buffers; the server
  // holds its answers back until it arrives, so without it nothing is read (the connection
  // stays in pipeline mode, healthy() is false, and the pool drops it). After an error the
  // server skips every statement up to the sync; an explicit transaction among them is left
  // aborted, for the caller's ROLLBACK.
  std::vector<Rows> out;
  if (PQpipelineSync(conn_) != 1 || !Flush(deadline)) {
    if (timed_out_) return TimedOut("pipeline", timeout_ms);
    if (failed.ok()) failed = ErrorOf(nullptr, "pipeline");
    return failed;
  }
  out.reserve(sent);
  // Each statement sent yields one result (PGRES_PIPELINE_ABORTED for those the server
  // skipped after an error) and then a NULL; then comes the sync's result. All of them are
  // read, so that the connection is idle again and can leave pipeline mode.
  for (size_t i = 0; i < sent; ++i) {
    pg_result* res = NextResult(deadline);
    if (timed_out_) return TimedOut("pipeline", timeout_ms);  // healthy() is false now
    if (res == nullptr) {  // the connection broke: healthy() says so, and the pool drops it
      if (failed.ok()) failed = ErrorOf(nullptr, "pipeline");
      break;
    }
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
      out.emplace_back(res);
    } else {
      // The first error is the one to report; the skipped statements after it are its
      // consequence.
      if (failed.ok()) failed = ErrorOf(res, Head(statements[i].sql));
      PQclear(res);
    }
    while ((res = NextResult(deadline)) != nullptr) PQclear(res);  // up to the NULL ending it
    if (timed_out_) return TimedOut("pipeline", timeout_ms);
  }
  for (pg_result* res = NextResult(deadline); res != nullptr; res = NextResult(deadline)) {
    const bool sync = PQresultStatus(res) == PGRES_PIPELINE_SYNC;
    PQclear(res);
    if (sync) break;
  }
  if (timed_out_) return TimedOut("pipeline", timeout_ms);
  // Fails only when results are left unread (the connection broke mid-way); healthy() is
  // false for a connection left in pipeline mode, so the pool drops it.
  if (PQexitPipelineMode(conn_) != 1 && failed.ok()) failed = ErrorOf(nullptr, "pipeline");
  if (!failed.ok()) return failed;
  return out;
}

Status Connection::ExecScript(std::string_view sql) {
  std::string script(sql);
  pg_result* res = PQexec(conn_, script.c_str());
  ExecStatusType st = res != nullptr ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  Status out = Status::Ok();
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) out = ErrorOf(res, "script");
  if (res != nullptr) PQclear(res);
  return out;
}

}  // namespace tock::pg
