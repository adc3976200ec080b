// DESIGN
//
// One Send() is one POST on a connection borrowed from a per-origin pool:
//
//   Send ── Pool::Take(origin) ── or NewConnection ──► httplib send() ──► Pool::Put or close
//                                                          ▲
//                          Watchdog thread: shutdown(2) the socket at the deadline / on cancel
//
// - Pool: origin -> idle connections, oldest first; Take() pops the newest (the least likely
//   to have been closed by its server). Pool::mu_ guards only the map: connect, TLS, write,
//   read, and closing a connection (TLS close_notify + close(2)) all happen outside it;
//   connections to close are moved out under the lock and destroyed after it is released.
//   Cost: O(1) per Take/Put, plus O(expired) for idle connections found too old.
// - A connection goes back to the pool only after a complete response whose end was marked
//   (Content-Length or chunked) and when httplib left its socket open (it closes it after an
//   error, a cut-off read, or "Connection: close"). Anything else is closed.
// - Keep-alive race: a server may close an idle connection just as we write to it. When a
//   pooled connection fails before a single response byte, the POST is repeated once on a
//   new connection within the same budget (as OkHttp does). The receiver may then see the
//   POST twice if it had in fact read it; at-least-once delivery and webhook-id cover that.
// - Budget: httplib's timeouts are per step (connect; each wait to read or write), so a
//   server that trickles a byte at a time could hold an attempt for ever. Each step gets what
//   remains of timeout_ms, and a watchdog thread aborts attempts at their deadline (and when
//   their cancel flag is set, polled every 20 ms) by shutting the socket down, which makes
//   the blocked read or write fail at once. That is what httplib's own ClientImpl::stop()
//   does for a request in flight; we reimplement it with try_lock (AbortableClient) because
//   stop() would block the watchdog behind a DNS lookup or TLS handshake, which httplib runs
//   while holding the same socket mutex. There the abort is retried on the next tick, so
//   DNS and the TLS handshake are bounded only by their own per-step timeouts.
// - TLS: one X509_STORE, loaded from the CA bundle once, is shared (reference-counted) by
//   every client's SSL_CTX. Certificate checks are done by OpenSSL during the handshake
//   (SSL_VERIFY_PEER, with the host name or IP address set in X509_VERIFY_PARAM), and
//   httplib's own check is switched off: with it on, httplib 0.11.4 loads the CA file into
//   each new client's SSL_CTX (measured: 20 ms and 1 MB per connection). Verification is
//   therefore ON, just not done by httplib; tests/callback/http_sender_test.cc proves that
//   an untrusted chain and a certificate for another name or address are refused.
// - The response body goes through a BodySink (bounded memory, "success" check, limit).
//
// Known limits of httplib 0.11.4 (no fix possible from here):
// - Response headers: a line is only length-checked once complete, and their number is not
//   limited, so a hostile server can make one attempt buffer headers until the watchdog
//   stops it (memory bounded by bandwidth x timeout, not by a constant).
// - Built without CPPHTTPLIB_USE_POLL, httplib waits with select(): once the process has
//   1024 files open, every new connection fails at once ("connection refused or
//   unreachable"). meson.build defines it where httplib is compiled; keep it there.
#include "callback/http_sender.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <signal.h>
#include <strings.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "callback/body_sink.h"
#include "callback/url.h"
#include "common/log.h"

namespace tock {
namespace {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;
using std::chrono::milliseconds;

constexpr auto kCancelPoll = milliseconds(20);      // how often set cancel flags are noticed
constexpr auto kAbortRetry = milliseconds(5);       // retry of an abort that found no request
constexpr auto kHousekeeping = milliseconds(1000);  // closing of expired idle connections

int64_t MsSince(TimePoint start) {
  return std::chrono::duration_cast<milliseconds>(SteadyClock::now() - start).count();
}

// An httplib client whose request in flight can be aborted from another thread without
// blocking. Reaches into ClientImpl's protected socket state (stable in 0.11.4; the same
// steps as ClientImpl::stop()).
template <class Base>
class AbortableClient final : public Base {
 public:
  AbortableClient(const std::string& host, int port) : Base(host, port) {}

  // Shuts the socket down (does not close it: the sending thread still owns the fd, and
  // httplib closes it when send() returns, as socket_should_be_closed_when_request_is_done_
  // asks). Returns false, doing nothing, if no request is in flight or the socket mutex is
  // held (DNS, connect or TLS handshake in progress): the caller tries again later.
  bool TryAbort() {
    std::unique_lock<std::mutex> lock(this->socket_mutex_, std::try_to_lock);
    if (!lock.owns_lock() || this->socket_requests_in_flight_ == 0) return false;
    this->shutdown_socket(this->socket_);
    this->socket_should_be_closed_when_request_is_done_ = true;
    return true;
  }

  static bool TryAbortThunk(httplib::ClientImpl& client) {
    return static_cast<AbortableClient&>(client).TryAbort();
  }
};

// One keep-alive connection (an httplib client) to one origin. Owned by the pool while
// idle, by one sending thread while in use.
struct Connection {
  std::unique_ptr<httplib::ClientImpl> client;
  bool (*try_abort)(httplib::ClientImpl&) = nullptr;
  std::string origin;
  TimePoint idle_since;
  // Written only on the thread using the connection (httplib and OpenSSL callbacks).
  uint64_t sockets_created = 0;
  long verify_error = X509_V_OK;  // first certificate error of the latest handshake
};

enum class Trip : int { kNone, kTimeout, kCancelled };

void TripOnce(std::atomic<Trip>* trip, Trip why) {
  Trip none = Trip::kNone;
  trip->compare_exchange_strong(none, why);
}

// One Send() in flight, as the watchdog sees it. Lives on the sender's stack between
// Watchdog::Add and Watchdog::Remove.
struct Attempt {
  Connection* conn = nullptr;
  TimePoint deadline;
  const std::atomic<bool>* cancel = nullptr;
  std::atomic<Trip> trip{Trip::kNone};  // first reason to stop; set once
  bool aborted = false;                 // guarded by Watchdog::mu_
};

// One POST on one connection and what came of it. Lives on the sender's stack.
struct Exchange {
  explicit Exchange(size_t max_body_bytes) : sink(max_body_bytes) {}
  Attempt attempt;
  BodySink sink;
  httplib::Response res;  // status stays -1 until a status line has been read
  httplib::Error err = httplib::Error::Success;
  bool ok = false;          // httplib's verdict
  Trip trip = Trip::kNone;  // attempt.trip once send() returned
  bool delimited = false;   // the response marked its end (the connection may be reused)
  bool complete = false;    // a whole response arrived: report its status
  uint64_t sockets_before = 0;
};

// The thread that enforces deadlines and cancellation, and closes expired idle connections.
// Owned by HttpSender::Impl. Add/Remove may be called from any thread.
class Watchdog {
 public:
  explicit Watchdog(std::function<void()> housekeeping)
      : housekeeping_(std::move(housekeeping)), thread_([this] { Run(); }) {}

  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  void Add(Attempt* a) {
    bool wake;
    {
      std::lock_guard<std::mutex> lock(mu_);
      attempts_.push_back(a);
      wake = a->deadline < next_wake_ ||
             (a->cancel != nullptr && next_wake_ > SteadyClock::now() + kCancelPoll);
    }
    if (wake) cv_.notify_one();
  }

  // After Remove() returns, the watchdog no longer touches a or its connection.
  // Cost: O(attempts in flight).
  void Remove(Attempt* a) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = std::find(attempts_.begin(), attempts_.end(), a);
    if (it != attempts_.end()) {
      *it = attempts_.back();
      attempts_.pop_back();
    }
  }

 private:
  // Each pass is O(attempts in flight); try_abort never blocks, so one slow attempt cannot
  // delay the others.
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    TimePoint next_housekeeping = SteadyClock::now() + kHousekeeping;
    while (!stop_) {
      const TimePoint now = SteadyClock::now();
      if (now >= next_housekeeping) {
        lock.unlock();  // housekeeping closes sockets: never under mu_
        housekeeping_();
        lock.lock();
        next_housekeeping = SteadyClock::now() + kHousekeeping;
        continue;
      }
      TimePoint wake = next_housekeeping;
      for (Attempt* a : attempts_) {
        if (a->trip.load() == Trip::kNone) {
          if (now >= a->deadline) {
            TripOnce(&a->trip, Trip::kTimeout);
          } else if (a->cancel != nullptr && a->cancel->load()) {
            TripOnce(&a->trip, Trip::kCancelled);
          }
        }
        if (a->trip.load() == Trip::kNone) {
          wake = std::min(wake, a->deadline);
          if (a->cancel != nullptr) wake = std::min(wake, now + kCancelPoll);
        } else if (!a->aborted) {
          a->aborted = a->conn->try_abort(*a->conn->client);
          if (!a->aborted) wake = std::min(wake, now + kAbortRetry);
        }
      }
      next_wake_ = wake;
      cv_.wait_until(lock, wake);
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Attempt*> attempts_;  // GUARDED_BY(mu_)
  TimePoint next_wake_;             // GUARDED_BY(mu_); when Run() will next look
  bool stop_ = false;               // GUARDED_BY(mu_)
  std::function<void()> housekeeping_;
  std::thread thread_;  // last: starts once the members above exist
};

// Idle connections per origin. Thread-safe; never does I/O under its lock: whatever it
// hands back to a caller is closed by that caller, outside the lock.
class Pool {
 public:
  using Conns = std::vector<std::unique_ptr<Connection>>;
  using Idle = std::deque<std::unique_ptr<Connection>>;  // oldest first; never empty

  Pool(size_t max_idle_per_origin, milliseconds idle_timeout)
      : max_idle_(max_idle_per_origin), idle_timeout_(idle_timeout) {}

  // The newest idle connection to origin, or null. Expired ones met on the way are moved
  // to *expired.
  std::unique_ptr<Connection> Take(const std::string& origin, TimePoint now, Conns* expired) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = idle_.find(origin);
    if (it == idle_.end()) return nullptr;
    Idle& q = it->second;
    while (!q.empty() && now - q.front()->idle_since >= idle_timeout_) {
      expired->push_back(std::move(q.front()));
      q.pop_front();
      --idle_count_;
    }
    std::unique_ptr<Connection> conn;
    if (!q.empty()) {
      conn = std::move(q.back());
      q.pop_back();
      --idle_count_;
    }
    if (q.empty()) idle_.erase(it);
    return conn;
  }

  // Keeps conn; hands it back instead when its origin already holds max_idle connections.
  std::unique_ptr<Connection> Put(std::unique_ptr<Connection> conn, TimePoint now) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = idle_.find(conn->origin);
    const size_t held = it == idle_.end() ? 0 : it->second.size();
    if (held >= max_idle_) return conn;
    if (it == idle_.end()) it = idle_.try_emplace(conn->origin).first;
    conn->idle_since = now;
    it->second.push_back(std::move(conn));
    ++idle_count_;
    return nullptr;
  }

  // Cost: O(origins + expired).
  Conns TakeExpired(TimePoint now) {
    Conns out;
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = idle_.begin(); it != idle_.end();) {
      auto& q = it->second;
      while (!q.empty() && now - q.front()->idle_since >= idle_timeout_) {
        out.push_back(std::move(q.front()));
        q.pop_front();
        --idle_count_;
      }
      it = q.empty() ? idle_.erase(it) : std::next(it);
    }
    return out;
  }

  Conns TakeAll() {
    Conns out;
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [origin, q] : idle_) {
      for (auto& c : q) out.push_back(std::move(c));
    }
    idle_.clear();
    idle_count_ = 0;
    return out;
  }

  size_t idle_count() const {
    std::lock_guard<std::mutex> lock(mu_);
    return idle_count_;
  }

 private:
  const size_t max_idle_;
  const milliseconds idle_timeout_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Idle> idle_;  // GUARDED_BY(mu_); by origin
  size_t idle_count_ = 0;                       // GUARDED_BY(mu_)
};

// ---- TLS helpers ------------------------------------------------------------------------

// The reason of the oldest error queued on this thread (the root cause; later entries
// are the layers that passed it on), then clears the queue. "" when the queue is empty.
std::string TakeOpenSslError() {
  const unsigned long code = ERR_peek_error();
  std::string out;
  if (code != 0) {
    const char* reason = ERR_GET_LIB(code) == ERR_LIB_SYS ? strerror(ERR_GET_REASON(code))
                                                          : ERR_reason_error_string(code);
    if (reason != nullptr) {
      out = reason;
    } else {
      char buf[256];
      ERR_error_string_n(code, buf, sizeof buf);
      out = buf;
    }
  }
  ERR_clear_error();
  return out;
}

int ConnectionExIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// Keeps OpenSSL's verdict and records the first failure on the Connection, so that the
// error names it ("certificate has expired", "hostname mismatch", ...).
int VerifyCallback(int preverify_ok, X509_STORE_CTX* store_ctx) {
  if (preverify_ok != 1) {
    auto* ssl = static_cast<SSL*>(
        X509_STORE_CTX_get_ex_data(store_ctx, SSL_get_ex_data_X509_STORE_CTX_idx()));
    auto* conn = ssl == nullptr ? nullptr
                                : static_cast<Connection*>(SSL_CTX_get_ex_data(
                                      SSL_get_SSL_CTX(ssl), ConnectionExIndex()));
    if (conn != nullptr && conn->verify_error == X509_V_OK) {
      conn->verify_error = X509_STORE_CTX_get_error(store_ctx);
    }
  }
  return preverify_ok;
}

struct StoreFree {
  void operator()(X509_STORE* store) const { X509_STORE_free(store); }
};
using StorePtr = std::unique_ptr<X509_STORE, StoreFree>;

StorePtr LoadCaStore(const std::string& path, Status* status) {
  StorePtr store(X509_STORE_new());
  if (store == nullptr || X509_STORE_load_file(store.get(), path.c_str()) != 1) {
    *status = Status::Internal("cannot load CA bundle '" + path + "': " + TakeOpenSslError());
    return nullptr;
  }
  ERR_clear_error();
  *status = Status::Ok();
  return store;
}

// ---- request and response helpers -------------------------------------------------------

// RFC 9110 tchar.
bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c != '\0' && std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsValidHeaderName(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), IsTokenChar);
}

// Visible characters, spaces, tabs and obs-text; no CR, LF, NUL or other controls.
bool IsValidHeaderValue(const std::string& value) {
  return std::none_of(value.begin(), value.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return (c < 0x20 && c != '\t') || c == 0x7f;
  });
}

bool IsReservedHeader(const std::string& name) {
  static const char* const kReserved[] = {"Host", "Content-Length", "Transfer-Encoding",
                                          "Connection"};
  return std::any_of(std::begin(kReserved), std::end(kReserved),
                     [&](const char* r) { return strcasecmp(r, name.c_str()) == 0; });
}

// Ok, or why the request cannot be sent (a bug in the caller).
Status BuildRequest(const CallbackRequest& req, const CallbackUrl& url,
                    const std::string& user_agent, httplib::Request* out) {
  out->method = "POST";
  out->path = url.target;
  out->body = req.body;
  for (const auto& [name, value] : req.headers) {
    if (!IsValidHeaderName(name)) return Status::Invalid("invalid request header name");
    if (!IsValidHeaderValue(value)) {
      return Status::Invalid("request header '" + name + "' holds a control character");
    }
    if (IsReservedHeader(name)) {
      return Status::Invalid("request header '" + name + "' is set by the sender");
    }
    out->headers.emplace(name, value);
  }
  if (!out->has_header("Content-Type")) out->set_header("Content-Type", "application/json");
  if (!out->has_header("User-Agent") && !user_agent.empty()) {
    out->set_header("User-Agent", user_agent);
  }
  return Status::Ok();
}

// The response says where its body ends, so the connection can carry another request.
bool BodyIsDelimited(const httplib::Response& res) {
  return res.status == 204 || res.status == 304 || (res.status >= 100 && res.status < 200) ||
         res.has_header("Content-Length") ||
         strcasecmp(res.get_header_value("Transfer-Encoding").c_str(), "chunked") == 0;
}

}  // namespace

// ---- HttpSender::Impl ---------------------------------------------------------------------

class HttpSender::Impl {
 public:
  explicit Impl(HttpSenderOptions opts)
      : opts_(std::move(opts)),
        pool_(static_cast<size_t>(std::max(opts_.max_idle_per_origin, 0)),
              milliseconds(std::max(opts_.idle_timeout_ms, 0))),
        watchdog_([this] { pool_.TakeExpired(SteadyClock::now()); }) {
    // A write to a connection the peer has reset raises SIGPIPE (httplib sends without
    // MSG_NOSIGNAL, and so does OpenSSL); it must fail the attempt, not kill the process.
    signal(SIGPIPE, SIG_IGN);
    ca_store_ = LoadCaStore(opts_.ca_bundle, &tls_status_);
    if (!tls_status_.ok()) {
      log::Warn("callback.ca_bundle", {{"error", tls_status_.message()}});
    }
  }

  ~Impl() {
    // Idle connections close here; then the members go in reverse order: the watchdog
    // (joined), the empty pool, and last the CA store.
    Pool::Conns idle = pool_.TakeAll();
  }

  CallbackResult Send(const CallbackRequest& req);

  const Status& tls_status() const { return tls_status_; }

  HttpSenderStats stats() const {
    HttpSenderStats s;
    s.sends = sends_.load();
    s.connections_opened = connections_opened_.load();
    s.connections_reused = connections_reused_.load();
    s.retries = retries_.load();
    s.idle_connections = pool_.idle_count();
    return s;
  }

 private:
  std::unique_ptr<Connection> NewConnection(const CallbackUrl& url);
  bool ConfigureTls(httplib::SSLClient& client, const CallbackUrl& url, Connection* conn);
  // One POST of hreq on conn, watched by the watchdog; fills *x.
  void RunExchange(Connection& conn, httplib::Request& hreq, TimePoint deadline,
                   const std::atomic<bool>* cancel, Exchange* x);
  // The one-line error of an exchange that did not end in a complete response.
  std::string DescribeFailure(const Exchange& x, const Connection& conn, const CallbackUrl& url,
                              int timeout_ms) const;

  const HttpSenderOptions opts_;
  Status tls_status_;
  StorePtr ca_store_;  // null if the bundle failed to load; outlives every pooled client
  std::atomic<uint64_t> sends_{0};
  std::atomic<uint64_t> connections_opened_{0};
  std::atomic<uint64_t> connections_reused_{0};
  std::atomic<uint64_t> retries_{0};
  Pool pool_;
  Watchdog watchdog_;  // last: its thread uses pool_
};

std::unique_ptr<Connection> HttpSender::Impl::NewConnection(const CallbackUrl& url) {
  auto conn = std::make_unique<Connection>();
  conn->origin = url.origin;
  if (url.scheme == "https") {
    auto client = std::make_unique<AbortableClient<httplib::SSLClient>>(url.host, url.port);
    if (!client->is_valid() || !ConfigureTls(*client, url, conn.get())) return nullptr;
    conn->try_abort = &AbortableClient<httplib::SSLClient>::TryAbortThunk;
    conn->client = std::move(client);
  } else {
    conn->client = std::make_unique<AbortableClient<httplib::ClientImpl>>(url.host, url.port);
    conn->try_abort = &AbortableClient<httplib::ClientImpl>::TryAbortThunk;
  }
  httplib::ClientImpl& c = *conn->client;
  c.set_tcp_nodelay(true);  // else a keep-alive POST stalls ~40 ms (BUILD-NOTES)
  c.set_keep_alive(true);
  c.set_follow_location(false);
  c.set_url_encode(false);  // target is already what goes on the wire (url.h)
  c.set_compress(false);
  // Called for every socket httplib creates, before it connects.
  Connection* raw = conn.get();
  std::atomic<uint64_t>* opened = &connections_opened_;
  c.set_socket_options([raw, opened](socket_t) {
    ++raw->sockets_created;
    opened->fetch_add(1, std::memory_order_relaxed);
  });
  return conn;
}

bool HttpSender::Impl::ConfigureTls(httplib::SSLClient& client, const CallbackUrl& url,
                                    Connection* conn) {
  SSL_CTX* ctx = client.ssl_context();
  X509_STORE_up_ref(ca_store_.get());
  SSL_CTX_set_cert_store(ctx, ca_store_.get());  // ctx owns the reference just taken
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, &VerifyCallback);
  SSL_CTX_set_ex_data(ctx, ConnectionExIndex(), conn);
  X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx);
  in_addr addr4;
  const bool is_ip = url.is_ipv6 || inet_pton(AF_INET, url.host.c_str(), &addr4) == 1;
  int ok;
  if (is_ip) {
    ok = X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str());
  } else {
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    ok = X509_VERIFY_PARAM_set1_host(param, url.host.c_str(), url.host.size());
  }
  // OpenSSL checks chain and name during the handshake (see DESIGN); httplib's duplicate
  // check would reload the CA file per connection.
  client.enable_server_certificate_verification(false);
  ERR_clear_error();
  return ok == 1;
}

void HttpSender::Impl::RunExchange(Connection& conn, httplib::Request& hreq, TimePoint deadline,
                                   const std::atomic<bool>* cancel, Exchange* x) {
  // Every httplib step may use what remains of the budget; the watchdog holds the total.
  // Rounded up to whole milliseconds, plus one: httplib built with poll() truncates to
  // milliseconds, and a step that ended just before the deadline would make a timeout look
  // like an I/O error.
  const milliseconds step =
      std::max(std::chrono::ceil<milliseconds>(deadline - SteadyClock::now()), milliseconds(0)) +
      milliseconds(1);
  conn.client->set_connection_timeout(step);
  conn.client->set_read_timeout(step);
  conn.client->set_write_timeout(step);
  conn.verify_error = X509_V_OK;
  x->sockets_before = conn.sockets_created;

  Attempt& attempt = x->attempt;
  attempt.conn = &conn;
  attempt.deadline = deadline;
  attempt.cancel = cancel;
  hreq.content_receiver = [x, cancel, deadline](const char* data, size_t n, uint64_t /*offset*/,
                                                uint64_t /*total*/) {
    if (x->attempt.trip.load() != Trip::kNone) return false;
    if (cancel != nullptr && cancel->load()) {
      TripOnce(&x->attempt.trip, Trip::kCancelled);
      return false;
    }
    if (SteadyClock::now() >= deadline) {
      TripOnce(&x->attempt.trip, Trip::kTimeout);
      return false;
    }
    return x->sink.Append(data, n);
  };

  watchdog_.Add(&attempt);
  x->ok = conn.client->send(hreq, x->res, x->err);
  watchdog_.Remove(&attempt);
  hreq.content_receiver = nullptr;

  x->trip = attempt.trip.load();
  x->delimited = x->ok && BodyIsDelimited(x->res);
  // A body read to end-of-stream after the watchdog shut the socket down may be short.
  x->complete = x->ok && (x->trip == Trip::kNone || x->delimited);
}

CallbackResult HttpSender::Impl::Send(const CallbackRequest& req) {
  const TimePoint start = SteadyClock::now();
  sends_.fetch_add(1, std::memory_order_relaxed);
  CallbackResult result;
  auto fail = [&](std::string error) {
    result.error = std::move(error);
    result.duration_ms = MsSince(start);
    return result;
  };

  const int timeout_ms = std::max(req.timeout_ms, 1);
  const TimePoint deadline = start + milliseconds(timeout_ms);
  if (req.cancel != nullptr && req.cancel->load()) return fail("cancelled");
  Result<CallbackUrl> url = ParseCallbackUrl(req.url);
  if (!url.ok()) return fail("invalid url: " + url.status().message());
  const bool https = url->scheme == "https";
  if (https && ca_store_ == nullptr) return fail("tls: " + tls_status_.message());
  httplib::Request hreq;
  if (Status s = BuildRequest(req, *url, opts_.user_agent, &hreq); !s.ok()) {
    return fail(s.message());
  }

  std::unique_ptr<Connection> conn;
  {
    Pool::Conns expired;
    conn = pool_.Take(url->origin, start, &expired);
  }  // expired connections close here, outside the pool lock
  bool reused = conn != nullptr;
  if (reused) connections_reused_.fetch_add(1, std::memory_order_relaxed);

  for (;;) {
    if (conn == nullptr) conn = NewConnection(*url);
    if (conn == nullptr) return fail("tls: cannot set up a TLS client for " + url->origin);
    Exchange x(opts_.max_response_bytes);
    RunExchange(*conn, hreq, deadline, req.cancel, &x);

    // A pooled connection that fails before a single byte of response most likely met the
    // server closing it as idle just as we wrote (keep-alive race): try once more on a new
    // connection. The receiver may, rarely, get the POST twice (it did not answer the first);
    // at-least-once delivery allows it, and webhook-id lets it drop the copy.
    if (reused && !x.complete && x.trip == Trip::kNone && x.res.status <= 0 &&
        (x.err == httplib::Error::Read || x.err == httplib::Error::Write) &&
        SteadyClock::now() < deadline) {
      retries_.fetch_add(1, std::memory_order_relaxed);
      conn.reset();  // closed outside any lock
      reused = false;
      if (https) ERR_clear_error();
      continue;
    }

    result.body_prefix = x.sink.prefix();
    result.body_is_success = x.complete && x.sink.is_success();
    if (x.complete && (x.res.status < 100 || x.res.status > 599)) {
      // Keeps the invariant error.empty() == (http_status != 0) for "HTTP/1.1 000 ...".
      result.error = "invalid HTTP status " + std::to_string(x.res.status);
      result.body_is_success = false;
    } else if (x.complete) {
      result.http_status = x.res.status;
    } else {
      result.error = DescribeFailure(x, *conn, *url, timeout_ms);
    }
    if (https) ERR_clear_error();  // leave no stale OpenSSL errors on this thread

    if (result.error.empty() && x.trip == Trip::kNone && x.delimited &&
        conn->client->is_socket_open()) {
      conn = pool_.Put(std::move(conn), SteadyClock::now());  // back if the pool is full
    }
    conn.reset();  // closes the connection unless pooled; no lock held
    result.duration_ms = MsSince(start);
    return result;
  }
}

std::string HttpSender::Impl::DescribeFailure(const Exchange& x, const Connection& conn,
                                              const CallbackUrl& url, int timeout_ms) const {
  const httplib::Response& res = x.res;
  const httplib::Error err = x.err;
  const std::string status_note =
      res.status > 0 ? " (HTTP " + std::to_string(res.status) + ")" : std::string();
  const std::string where = url.origin;
  if (x.sink.too_large()) {
    return "response body over " + std::to_string(opts_.max_response_bytes) + " bytes" +
           status_note;
  }
  if (x.trip == Trip::kCancelled) return "cancelled";
  const bool may_be_timeout = err == httplib::Error::ConnectionTimeout ||
                              err == httplib::Error::Read || err == httplib::Error::Write ||
                              err == httplib::Error::SSLConnection ||
                              err == httplib::Error::Canceled;
  if (x.trip == Trip::kTimeout || (may_be_timeout && SteadyClock::now() >= x.attempt.deadline)) {
    return "timeout after " + std::to_string(timeout_ms) + " ms" + status_note;
  }
  switch (err) {
    case httplib::Error::Connection:
      if (conn.sockets_created == x.sockets_before) {
        if (errno == EMFILE || errno == ENFILE) return "cannot open a socket: too many open files";
        return "cannot resolve host '" + url.host + "'";
      }
      return "connection refused or unreachable (" + where + ")";
    case httplib::Error::ConnectionTimeout:
      return "timeout after " + std::to_string(timeout_ms) + " ms (connecting)";
    case httplib::Error::Read:
      if (res.status <= 0) return "no HTTP response: connection closed, reset, or not HTTP";
      return "response cut off or malformed" + status_note;
    case httplib::Error::Write:
      return "connection closed while sending the request";
    case httplib::Error::SSLConnection: {
      if (conn.verify_error != X509_V_OK) {
        return std::string("tls: certificate verify failed: ") +
               X509_verify_cert_error_string(conn.verify_error);
      }
      const std::string reason = TakeOpenSslError();
      return "tls: handshake failed" + (reason.empty() ? std::string() : ": " + reason);
    }
    case httplib::Error::SSLLoadingCerts:
      return "tls: cannot load CA certificates";
    case httplib::Error::SSLServerVerification:
      return "tls: server certificate rejected";
    case httplib::Error::Canceled:
      return "cancelled";
    default:
      return "request failed: " + httplib::to_string(err);
  }
}

// ---- HttpSender ---------------------------------------------------------------------------

HttpSender::HttpSender(HttpSenderOptions opts) : impl_(std::make_unique<Impl>(std::move(opts))) {}

HttpSender::~HttpSender() = default;

CallbackResult HttpSender::Send(const CallbackRequest& req) { return impl_->Send(req); }

const Status& HttpSender::tls_status() const { return impl_->tls_status(); }

HttpSenderStats HttpSender::stats() const { return impl_->stats(); }

}  // namespace tock
