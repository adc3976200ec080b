// DESIGN
// Each EventLoop owns an epoll set holding the shared listener (EPOLLEXCLUSIVE, so one loop
// wakes per connection), its inbox's eventfd, and its connections (edge-triggered, in and
// out). A connection is a small state machine:
//
//   kReading --head+body complete--> kHandling --response--> kReading (keep-alive)
//       |                                                  \-> kClosing (close after write)
//       '--bad head / timeout--> error response --> kClosing --written--> kDraining --> closed
//
// kDraining half-closes (shutdown SHUT_WR) and discards what the client still sends, for up
// to kDrainMs, before closing: closing a socket with unread bytes sends a reset that can
// destroy the error response before the client reads it (a 413 for a body still arriving).
//
// Edge-triggered reads: a read that fills less than the scratch buffer drained the socket,
// and a later arrival raises a new edge; otherwise `readable` remembers there is more. A FIN
// already reported (EPOLLRDHUP) raises no new edge, so then reads go on to the 0. While
// a request is handled, or a response is still being written, the connection reads nothing
// (requests are answered in order, and a client that does not read cannot make tock buffer).
//
// A connection is never freed while its request is with a handler: a pool handler reads the
// connection's Request. Connections found broken meanwhile are closed when the answer comes.
// Freed connections go to a graveyard emptied at the end of each loop iteration, so an
// event or an answer for a closed connection finds its id gone, never a dangling pointer.
//
// A request counts in in_flight from dispatch until its answer is fully handed to the socket
// (or the connection dies), not just until the handler answers: Shutdown after StopAccepting
// and WaitIdle would otherwise cut off answers larger than the socket buffer.

#include "http/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/log.h"
#include "common/thread_name.h"
#include "metrics/metrics.h"

namespace tock::http {
namespace {

constexpr uint64_t kListenerId = 1;
constexpr uint64_t kWakeId = 2;
constexpr uint64_t kFirstConnId = 16;
constexpr size_t kReadChunk = 64 * 1024;
constexpr int64_t kDrainMs = 2000;
constexpr int kMaxEvents = 256;
constexpr int kAcceptsPerWake = 8;
// A status of 0 posted to an inbox: the Responder was dropped unanswered.
constexpr int kDroppedStatus = 0;
// A status of -1 posted by the pool: the handler threw. The loop makes the 500, so that
// error_body runs on the loop thread (ServerHooks) and the status is the server's own.
constexpr int kThrewStatus = -1;

int64_t SteadyMs() { return MonoNowNs() / 1'000'000; }

void AppendUint(std::string* out, uint64_t v) {
  char buf[24];
  char* p = buf + sizeof buf;
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  out->append(p, static_cast<size_t>(buf + sizeof buf - p));
}

// A header value a handler set, with CR and LF replaced: no handler can split the response.
void AppendHeaderValue(std::string* out, std::string_view v) {
  for (char c : v) out->push_back(c == '\r' || c == '\n' ? ' ' : c);
}

// HTTP/1.0 clients keep a connection only when told (HTTP/1.1 ones unless told otherwise).
void AppendResponse(std::string* out, const Response& res, bool head_only, bool keep_alive,
                    bool http10) {
  out->append("HTTP/1.1 ");
  AppendUint(out, static_cast<uint64_t>(res.status));
  out->push_back(' ');
  out->append(ReasonPhrase(res.status));
  out->append("\r\n");
  if (!res.content_type.empty()) {
    out->append("Content-Type: ");
    AppendHeaderValue(out, res.content_type);
    out->append("\r\n");
  }
  out->append("Content-Length: ");
  AppendUint(out, res.body.size());
  out->append("\r\n");
  if (!keep_alive) {
    out->append("Connection: close\r\n");
  } else if (http10) {
    out->append("Connection: keep-alive\r\n");
  }
  for (const HeaderField& h : res.headers) {
    if (EqualsIgnoreCase(h.name, "Content-Length") || EqualsIgnoreCase(h.name, "Connection") ||
        EqualsIgnoreCase(h.name, "Content-Type")) {
      continue;
    }
    AppendHeaderValue(out, h.name);
    out->append(": ");
    AppendHeaderValue(out, h.value);
    out->append("\r\n");
  }
  out->append("\r\n");
  if (!head_only) out->append(res.body);
}

// Metrics of the HTTP server, all of them (process registry, metrics/metrics.h); per request
// figures are the API's (api/http_api.cc).
//   tock_http_connections_open              connections open now, all loops
//   tock_http_connections_rejected_total    closed as they arrived: max_connections reached
//   tock_http_connections_rejected_per_ip_total   ... max_connections_per_ip reached
//   tock_http_bodies_refused_total          503: max_buffered_bytes of bodies being received
//   tock_http_buffered_body_bytes           bytes reserved by bodies being received now
struct ServerMetrics {
  metrics::Gauge& open = metrics::Process().AddGauge(
      "tock_http_connections_open", "HTTP connections open now.");
  metrics::Counter& rejected = metrics::Process().AddCounter(
      "tock_http_connections_rejected_total",
      "HTTP connections closed as they arrived because max-connections were open.");
  metrics::Counter& rejected_per_ip = metrics::Process().AddCounter(
      "tock_http_connections_rejected_per_ip_total",
      "HTTP connections closed as they arrived because their address had "
      "max-connections-per-ip open.");
  metrics::Counter& bodies_refused = metrics::Process().AddCounter(
      "tock_http_bodies_refused_total",
      "Requests answered 503 because the bodies being received held max-buffered-bytes.");
  metrics::Gauge& buffered = metrics::Process().AddGauge(
      "tock_http_buffered_body_bytes", "Bytes reserved by request bodies being received.");
};

ServerMetrics& Metrics() {
  static ServerMetrics* const m = new ServerMetrics();
  return *m;
}
[[maybe_unused]] const bool kMetricsRegistered = (Metrics(), true);

// How often a loop that keeps failing to accept (out of descriptors) says so.
constexpr int64_t kAcceptWarnEveryMs = 10'000;

// The loop whose thread is running, so that a Responder answering on it skips the eventfd.
thread_local LoopInbox* tls_current_inbox = nullptr;

}  // namespace

// Where Responders post answers for one loop. Shared with them, so a Responder that outlives
// the server posts into a closed inbox, which drops the answer.
struct LoopInbox {
  std::mutex mu;
  std::vector<std::pair<uint64_t, Response>> items;  // GUARDED_BY(mu)
  bool closed = false;                               // GUARDED_BY(mu)
  int wake_fd = -1;  // eventfd in the loop's epoll set; closed by the destructor

  ~LoopInbox() {
    if (wake_fd >= 0) ::close(wake_fd);
  }
  void Wake() {
    uint64_t one = 1;
    ssize_t r = ::write(wake_fd, &one, sizeof one);
    (void)r;  // the counter cannot overflow in practice; a failed wake leaves it signalled
  }
  void Post(uint64_t conn_id, Response res) {
    bool wake;
    {
      std::lock_guard<std::mutex> l(mu);
      if (closed) return;
      // Only the first item after the loop drained needs to wake it (see DrainInbox).
      wake = items.empty() && tls_current_inbox != this;
      items.emplace_back(conn_id, std::move(res));
    }
    if (wake) Wake();
  }
};

Responder& Responder::operator=(Responder&& other) noexcept {
  if (this != &other) {
    if (inbox_) inbox_->Post(conn_id_, Response{kDroppedStatus, {}, {}, {}});
    inbox_ = std::move(other.inbox_);
    conn_id_ = other.conn_id_;
  }
  return *this;
}

Responder::~Responder() {
  if (inbox_) inbox_->Post(conn_id_, Response{kDroppedStatus, {}, {}, {}});
}

void Responder::Send(Response res) {
  if (!inbox_) return;
  if (res.status == kDroppedStatus) res.status = 500;
  std::shared_ptr<LoopInbox> inbox = std::move(inbox_);
  inbox->Post(conn_id_, std::move(res));
}

namespace {

// Runs blocking handlers. Tasks reference their connection's Request (see DESIGN).
class HandlerPool {
 public:
  struct Task {
    const Route* route;
    const Request* req;
    Responder responder;
  };

  void Start(int threads) {
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this] {
        NameThisThread("tock-handler");
        Run();
      });
    }
  }
  void Submit(Task t) {
    {
      std::lock_guard<std::mutex> l(mu_);
      queue_.push_back(std::move(t));
    }
    cv_.notify_one();
  }
  // Joins the threads after the running handlers return; queued tasks are dropped.
  void Stop() {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_) t.join();
    threads_.clear();
    queue_.clear();
  }

 private:
  void Run() {
    for (;;) {
      Task t;
      {
        std::unique_lock<std::mutex> l(mu_);
        cv_.wait(l, [this] { return stop_ || !queue_.empty(); });
        if (stop_) return;
        t = std::move(queue_.front());
        queue_.pop_front();
      }
      Response res;
      try {
        t.route->handler(*t.req, res);
      } catch (const std::exception& e) {
        log::Error("http.exception", {{"request_id", t.req->request_id},
                                      {"route", t.req->route}, {"error", e.what()}});
        res = Response();
        res.status = kThrewStatus;
      } catch (...) {
        log::Error("http.exception", {{"request_id", t.req->request_id},
                                      {"route", t.req->route}, {"error", "not a std::exception"}});
        res = Response();
        res.status = kThrewStatus;
      }
      t.responder.Send(std::move(res));
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> queue_;  // GUARDED_BY(mu_)
  bool stop_ = false;       // GUARDED_BY(mu_)
  std::vector<std::thread> threads_;
};

enum class ConnState { kReading, kHandling, kClosing, kDraining, kDead };

struct Conn {
  int fd = -1;
  uint64_t id = 0;
  ConnState state = ConnState::kReading;
  std::string in;          // bytes read and not yet consumed by a request
  size_t scanned = 0;      // FindHeadEnd's progress in `in`
  size_t head_end = 0;     // 0 until the current head is complete
  bool continue_sent = false;
  Request req;
  RequestHead head;
  std::string out;         // response bytes not yet written, from out_off
  size_t out_off = 0;
  bool readable = false;     // edge-triggered: unread bytes may wait in the socket
  bool fin_queued = false;   // EPOLLRDHUP seen: a FIN waits behind any unread bytes
  bool read_closed = false;  // the client sent FIN
  bool broken = false;       // a socket error while handling: close when answered
  bool close_after = false;  // answer, then close
  bool counted = false;      // in Server::in_flight: dispatched, answer not yet all written
  int64_t deadline_ms = INT64_MAX;
  std::string peer;          // the client's address, for the per-address cap and handlers
  Router::Match match;       // the current request's route, found once its head is complete
  uint64_t reserved = 0;     // body bytes reserved in Server::Impl::buffered_bytes

  bool output_pending() const { return out_off < out.size(); }
};

}  // namespace

class EventLoop {
 public:
  EventLoop(Server::Impl& server, int listen_fd);
  ~EventLoop();
  bool ok() const { return epfd_ >= 0; }
  void Run();
  // From any thread: look at the server's stopping/quit flags soon.
  void Wake() { inbox_->Wake(); }
  // From any thread, before Run or after it returned: drops the listener from the set.
  void DropListener() {
    if (epfd_ >= 0) ::epoll_ctl(epfd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
  }

 private:
  void Accept();
  void OnEvents(Conn& c, uint32_t events);
  void ReadAndAdvance(Conn& c);
  void Advance(Conn& c);
  void Dispatch(Conn& c);
  void FailRequest(Conn& c, int status, std::string_view message);
  void Finish(Conn& c, Response res);
  void Flush(Conn& c);
  void Resume(Conn& c);
  void Kill(Conn& c);
  void Uncount(Conn& c);
  // Routes the head, runs its HeadCheck and reserves its body's bytes. False when the
  // request was answered here (the connection closes after the answer).
  bool AcceptHead(Conn& c);
  void Unreserve(Conn& c);
  void DrainInbox();
  void AnswerAll(std::vector<std::pair<uint64_t, Response>>& items);
  void Sweep();
  void CloseIdle();
  Conn* Find(uint64_t id) {
    auto it = conns_.find(id);
    return it == conns_.end() || it->second->state == ConnState::kDead ? nullptr
                                                                        : it->second.get();
  }
  Response ErrorResponse(int status, std::string_view message);

  Server::Impl& server_;
  const int listen_fd_;
  int epfd_ = -1;
  std::shared_ptr<LoopInbox> inbox_;
  std::unordered_map<uint64_t, std::unique_ptr<Conn>> conns_;
  std::vector<uint64_t> graveyard_;
  uint64_t next_id_ = kFirstConnId;
  int64_t now_ms_ = 0;
  int64_t next_sweep_ms_ = 0;
  int64_t next_accept_warn_ms_ = 0;
  bool saw_stopping_ = false;
  std::vector<char> scratch_;
};

struct Server::Impl {
  Impl(ServerOptions o, Router r, ServerHooks h)
      : opts(std::move(o)), router(std::move(r)), hooks(std::move(h)) {}

  ServerOptions opts;
  Router router;
  ServerHooks hooks;
  int listen_fd = -1;
  int port = -1;
  int64_t sweep_ms = 1000;
  std::vector<std::unique_ptr<EventLoop>> loops;
  HandlerPool pool;
  std::atomic<bool> stopping{false};
  std::atomic<bool> quit{false};
  std::atomic<int64_t> in_flight{0};
  std::atomic<size_t> connections{0};
  std::atomic<uint64_t> buffered_bytes{0};  // bodies being received, all loops
  std::mutex ip_mu;
  std::unordered_map<std::string, uint32_t> per_ip;  // GUARDED_BY(ip_mu): open connections
  std::mutex serve_mu;
  std::condition_variable serve_cv;
  bool serving = false;  // GUARDED_BY(serve_mu)
  std::once_flag shutdown_once;
};

EventLoop::EventLoop(Server::Impl& server, int listen_fd)
    : server_(server), listen_fd_(listen_fd), inbox_(std::make_shared<LoopInbox>()),
      scratch_(kReadChunk) {
  epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
  inbox_->wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epfd_ < 0 || inbox_->wake_fd < 0) {
    if (epfd_ >= 0) ::close(epfd_);
    epfd_ = -1;
    return;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeId;
  ::epoll_ctl(epfd_, EPOLL_CTL_ADD, inbox_->wake_fd, &ev);
  ev.events = EPOLLIN | EPOLLEXCLUSIVE;
  ev.data.u64 = kListenerId;
  ::epoll_ctl(epfd_, EPOLL_CTL_ADD, listen_fd_, &ev);
}

EventLoop::~EventLoop() {
  {
    std::lock_guard<std::mutex> l(inbox_->mu);
    inbox_->closed = true;
    inbox_->items.clear();
  }
  for (auto& [id, c] : conns_) {
    if (c->fd >= 0) {
      ::close(c->fd);
      server_.connections.fetch_sub(1);
      Metrics().open.Add(-1);
    }
  }
  if (epfd_ >= 0) ::close(epfd_);
}

void EventLoop::Run() {
  tls_current_inbox = inbox_.get();
  std::vector<epoll_event> events(kMaxEvents);
  now_ms_ = SteadyMs();
  next_sweep_ms_ = now_ms_ + server_.sweep_ms;
  while (!server_.quit.load(std::memory_order_relaxed)) {
    const int timeout = static_cast<int>(std::clamp<int64_t>(next_sweep_ms_ - now_ms_, 0, 1000));
    const int n = ::epoll_wait(epfd_, events.data(), kMaxEvents, timeout);
    now_ms_ = SteadyMs();
    for (int i = 0; i < n; ++i) {
      const uint64_t id = events[i].data.u64;
      if (id == kListenerId) {
        Accept();
      } else if (id == kWakeId) {
        uint64_t count;
        ssize_t r = ::read(inbox_->wake_fd, &count, sizeof count);
        (void)r;
      } else if (Conn* c = Find(id)) {
        OnEvents(*c, events[i].events);
      }
    }
    DrainInbox();
    if (server_.stopping.load(std::memory_order_relaxed) && !saw_stopping_) {
      saw_stopping_ = true;
      CloseIdle();
    }
    if (now_ms_ >= next_sweep_ms_) {
      Sweep();
      next_sweep_ms_ = now_ms_ + server_.sweep_ms;
    }
    for (uint64_t id : graveyard_) conns_.erase(id);
    graveyard_.clear();
  }
  {
    std::lock_guard<std::mutex> l(inbox_->mu);
    inbox_->closed = true;
  }
  tls_current_inbox = nullptr;
}

void EventLoop::Accept() {
  for (int i = 0; i < kAcceptsPerWake; ++i) {
    sockaddr_storage addr{};
    socklen_t addr_len = sizeof addr;
    int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &addr_len,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE) {
        // Out of descriptors: the pending connection stays queued and the listener stays
        // readable; sweep-paced retries avoid spinning on it.
        if (now_ms_ >= next_accept_warn_ms_) {
          log::Warn("http.accept_failed", {{"error", std::strerror(errno)}});
          next_accept_warn_ms_ = now_ms_ + kAcceptWarnEveryMs;
        }
        DropListener();
        next_sweep_ms_ = std::min(next_sweep_ms_, now_ms_ + 100);
      }
      return;
    }
    // Counted before the close: whoever sees the close sees the count.
    if (server_.connections.load() >= server_.opts.max_connections) {
      Metrics().rejected.Inc();
      ::close(fd);
      continue;
    }
    char host[INET6_ADDRSTRLEN] = "?";
    if (addr.ss_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&addr)->sin_addr, host, sizeof host);
    } else if (addr.ss_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&addr)->sin6_addr, host, sizeof host);
    }
    if (server_.opts.max_connections_per_ip > 0) {
      std::lock_guard<std::mutex> l(server_.ip_mu);
      uint32_t& n = server_.per_ip[host];
      if (n >= server_.opts.max_connections_per_ip) {
        Metrics().rejected_per_ip.Inc();
        ::close(fd);
        continue;
      }
      ++n;
    }
    int yes = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    auto c = std::make_unique<Conn>();
    c->fd = fd;
    c->id = next_id_++;
    c->peer = host;
    c->deadline_ms = now_ms_ + server_.opts.idle_timeout_ms;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.u64 = c->id;
    if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      ::close(fd);
      if (server_.opts.max_connections_per_ip > 0) {
        std::lock_guard<std::mutex> l(server_.ip_mu);
        if (--server_.per_ip[host] == 0) server_.per_ip.erase(host);
      }
      continue;
    }
    server_.connections.fetch_add(1);
    Metrics().open.Add(1);
    conns_.emplace(c->id, std::move(c));
  }
}

void EventLoop::OnEvents(Conn& c, uint32_t events) {
  if (events & EPOLLERR) {
    if (c.state == ConnState::kHandling) {
      c.broken = true;
    } else {
      Kill(c);
    }
    return;
  }
  if ((events & EPOLLOUT) && c.output_pending()) {
    Flush(c);
    if (c.state == ConnState::kDead) return;
    if (!c.output_pending()) Resume(c);
    if (c.state == ConnState::kDead) return;
  }
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) {
    c.readable = true;
    if (events & (EPOLLRDHUP | EPOLLHUP)) c.fin_queued = true;
    ReadAndAdvance(c);
  }
}

void EventLoop::ReadAndAdvance(Conn& c) {
  while (c.readable && !c.output_pending() &&
         (c.state == ConnState::kReading || c.state == ConnState::kDraining)) {
    ssize_t n = ::recv(c.fd, scratch_.data(), scratch_.size(), 0);
    if (n > 0) {
      // A short read drained the socket, unless a FIN is queued: no new edge will announce
      // it, so only reading on until recv returns 0 finds it (else a client that half-closes
      // after its request waits for the idle timeout instead of a close after the answer).
      if (static_cast<size_t>(n) < scratch_.size() && !c.fin_queued) c.readable = false;
      if (c.state == ConnState::kDraining) continue;  // discarded
      if (c.in.empty() && c.head_end == 0) {
        c.deadline_ms = now_ms_ + server_.opts.request_timeout_ms;
      }
      c.in.append(scratch_.data(), static_cast<size_t>(n));
      Advance(c);
    } else if (n == 0) {
      c.readable = false;
      c.read_closed = true;
    } else if (errno == EINTR) {
      continue;
    } else {
      c.readable = false;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        if (c.state == ConnState::kHandling) {
          c.broken = true;
        } else {
          Kill(c);
        }
        return;
      }
    }
  }
  // The client finished sending: what is buffered can never become a request, and a
  // draining connection has got its FIN. One being handled is answered first.
  if (c.read_closed && (c.state == ConnState::kReading || c.state == ConnState::kDraining) &&
      !c.output_pending()) {
    Kill(c);
  }
}

void EventLoop::Advance(Conn& c) {
  const ParseLimits& limits = server_.opts.limits;
  while (c.state == ConnState::kReading && !c.output_pending()) {
    if (c.head_end == 0) {
      c.head_end = FindHeadEnd(c.in, &c.scanned);
      if (c.head_end == 0) {
        // At the limit and still no end: the head can only be larger (request_parser.h).
        if (c.in.size() >= limits.max_head_bytes) {
          FailRequest(c, 431, "request head: larger than " + std::to_string(limits.max_head_bytes) +
                                  " bytes");
        }
        return;
      }
      HeadError e = ParseRequestHead(std::string_view(c.in).substr(0, c.head_end), limits,
                                     &c.req, &c.head);
      if (e.status != 0) return FailRequest(c, e.status, e.message);
      c.req.received_ns = MonoNowNs();
      c.req.peer = c.peer;
      if (!AcceptHead(c)) continue;  // answered; a pipelined request may follow
    }
    const uint64_t have = c.in.size() - c.head_end;
    if (have < c.head.content_length) {
      if (c.head.expect_continue && !c.continue_sent) {
        c.continue_sent = true;
        c.out.append("HTTP/1.1 100 Continue\r\n\r\n");
        Flush(c);
      }
      return;
    }
    c.req.body.assign(c.in, c.head_end, c.head.content_length);
    c.in.erase(0, c.head_end + c.head.content_length);
    Unreserve(c);
    c.head_end = 0;
    c.scanned = 0;
    c.continue_sent = false;
    Dispatch(c);
  }
}

Response EventLoop::ErrorResponse(int status, std::string_view message) {
  Response res;
  server_.hooks.error_body(status, message, &res);
  res.status = status;
  return res;
}

void EventLoop::FailRequest(Conn& c, int status, std::string_view message) {
  c.close_after = true;
  c.state = ConnState::kHandling;
  Finish(c, ErrorResponse(status, message));
}

bool EventLoop::AcceptHead(Conn& c) {
  if (server_.hooks.on_request) server_.hooks.on_request(c.req);
  // Routed now, so that a request no route takes, or one without valid credentials, is
  // answered before its body is read: its bytes are never buffered.
  c.match = server_.router.Find(&c.req);
  const bool body_pending = c.in.size() - c.head_end < c.head.content_length;
  auto refuse = [&](Response res) {
    if (body_pending) {
      c.close_after = true;  // the rest of the body is drained, not read
    } else {
      c.in.erase(0, c.head_end + c.head.content_length);  // the body came with the head
    }
    c.head_end = 0;
    c.scanned = 0;
    c.continue_sent = false;
    c.state = ConnState::kHandling;
    Finish(c, std::move(res));
    return false;
  };
  if (server_.stopping.load()) return true;  // Dispatch answers 503
  if (c.match.route == nullptr) {
    if (c.match.allow.empty()) return refuse(ErrorResponse(404, "no such route"));
    Response res = ErrorResponse(405, "method " + c.req.method + " is not allowed here; allowed: " +
                                          c.match.allow);
    res.SetHeader("Allow", c.match.allow);
    return refuse(std::move(res));
  }
  if (c.match.route->head_check) {
    std::optional<Response> answer = c.match.route->head_check(c.req);
    if (answer) return refuse(std::move(*answer));
  }
  // Bodies being received share one budget, so many slow or stalled uploads cannot fill
  // memory: over it, 503 at once.
  const uint64_t len = c.head.content_length;
  if (len > 0 && body_pending && server_.opts.max_buffered_bytes > 0) {
    const uint64_t before = server_.buffered_bytes.fetch_add(len);
    if (before + len > server_.opts.max_buffered_bytes) {
      server_.buffered_bytes.fetch_sub(len);
      Metrics().bodies_refused.Inc();
      Response res = ErrorResponse(503, "busy: request bodies being received fill the server's "
                                        "buffer (max-buffered-bytes); retry shortly");
      res.SetHeader("Retry-After", "1");
      return refuse(std::move(res));
    }
    c.reserved = len;
    Metrics().buffered.Add(static_cast<int64_t>(len));
  }
  return true;
}

void EventLoop::Unreserve(Conn& c) {
  if (c.reserved == 0) return;
  server_.buffered_bytes.fetch_sub(c.reserved);
  Metrics().buffered.Add(-static_cast<int64_t>(c.reserved));
  c.reserved = 0;
}

void EventLoop::Dispatch(Conn& c) {
  c.state = ConnState::kHandling;
  c.deadline_ms = INT64_MAX;
  if (server_.stopping.load()) {
    c.close_after = true;
    return Finish(c, ErrorResponse(503, "shutting down"));
  }
  Router::Match m = std::move(c.match);
  c.match = Router::Match();
  if (m.route == nullptr) {  // routed at the head; a stop since then found no route
    return Finish(c, ErrorResponse(404, "no such route"));
  }
  server_.in_flight.fetch_add(1);
  c.counted = true;
  if (m.route->async_handler) {
    try {
      m.route->async_handler(c.req, Responder(inbox_, c.id));
    } catch (const std::exception& e) {
      // The Responder, destroyed while unwinding, answers 500.
      log::Error("http.exception", {{"request_id", c.req.request_id},
                                    {"route", c.req.route}, {"error", e.what()}});
    } catch (...) {
      log::Error("http.exception", {{"request_id", c.req.request_id},
                                    {"route", c.req.route}, {"error", "not a std::exception"}});
    }
  } else {
    server_.pool.Submit(HandlerPool::Task{m.route, &c.req, Responder(inbox_, c.id)});
  }
}

// Until empty: answering one request may dispatch the next pipelined one, whose handler may
// answer at once, on this thread, which posts without waking (LoopInbox::Post).
void EventLoop::DrainInbox() {
  std::vector<std::pair<uint64_t, Response>> items;
  for (;;) {
    items.clear();
    {
      std::lock_guard<std::mutex> l(inbox_->mu);
      items.swap(inbox_->items);
    }
    if (items.empty()) return;
    AnswerAll(items);
  }
}

void EventLoop::AnswerAll(std::vector<std::pair<uint64_t, Response>>& items) {
  for (auto& [id, res] : items) {
    Conn* c = Find(id);  // gone: Kill already took it out of in_flight
    if (c == nullptr || c->state != ConnState::kHandling) continue;
    if (res.status == kDroppedStatus) {
      log::Error("http.unanswered", {{"request_id", c->req.request_id}, {"route", c->req.route}});
      res = ErrorResponse(500, "internal error: the request was not answered");
    } else if (res.status == kThrewStatus) {
      res = ErrorResponse(500, "internal error");
    }
    Finish(*c, std::move(res));
    if (c->state != ConnState::kDead && !c->output_pending()) Resume(*c);
  }
}

void EventLoop::Finish(Conn& c, Response res) {
  if (server_.hooks.on_response) server_.hooks.on_response(c.req, res);
  if (c.broken) return Kill(c);
  const bool keep = c.head.keep_alive && !c.close_after && !c.read_closed &&
                    !server_.stopping.load(std::memory_order_relaxed);
  AppendResponse(&c.out, res, c.req.method == "HEAD", keep, c.req.version_minor == 0);
  c.req = Request();
  c.head = RequestHead();
  c.state = keep ? ConnState::kReading : ConnState::kClosing;
  Flush(c);  // sets the next deadline: write, drain, idle or request
}

void EventLoop::Flush(Conn& c) {
  while (c.output_pending()) {
    ssize_t n = ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
    if (n > 0) {
      c.out_off += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      c.deadline_ms = now_ms_ + server_.opts.write_timeout_ms;
      return;
    } else {
      if (c.state == ConnState::kHandling) {
        c.broken = true;  // the 100 Continue failed; the answer will find it broken
        return;
      }
      return Kill(c);
    }
  }
  c.out.clear();
  c.out_off = 0;
  Uncount(c);
  if (c.out.capacity() > kReadChunk) c.out.shrink_to_fit();
  if (c.state == ConnState::kClosing) {
    ::shutdown(c.fd, SHUT_WR);
    c.state = ConnState::kDraining;
    std::string().swap(c.in);  // its memory too: a refused body must not stay buffered
    c.deadline_ms = now_ms_ + kDrainMs;
    c.readable = true;  // drain what already arrived
    ReadAndAdvance(c);
  } else if (c.state == ConnState::kReading) {
    c.deadline_ms = now_ms_ + (c.in.empty() ? server_.opts.idle_timeout_ms
                                            : server_.opts.request_timeout_ms);
  }
}

// After an answer is written: the next pipelined request, then whatever the socket holds.
void EventLoop::Resume(Conn& c) {
  if (c.state != ConnState::kReading) return;
  if (server_.stopping.load(std::memory_order_relaxed) && c.in.empty() && !c.readable) {
    return Kill(c);
  }
  Advance(c);
  if (c.state == ConnState::kDead) return;
  if (c.in.capacity() > kReadChunk && c.in.empty()) c.in.shrink_to_fit();
  ReadAndAdvance(c);
}

void EventLoop::Uncount(Conn& c) {
  if (c.counted) server_.in_flight.fetch_sub(1);
  c.counted = false;
}

void EventLoop::Kill(Conn& c) {
  if (c.state == ConnState::kDead) return;
  c.state = ConnState::kDead;
  Uncount(c);
  Unreserve(c);
  if (server_.opts.max_connections_per_ip > 0) {
    std::lock_guard<std::mutex> l(server_.ip_mu);
    auto it = server_.per_ip.find(c.peer);
    if (it != server_.per_ip.end() && --it->second == 0) server_.per_ip.erase(it);
  }
  ::close(c.fd);  // also leaves the epoll set
  c.fd = -1;
  server_.connections.fetch_sub(1);
  Metrics().open.Add(-1);
  graveyard_.push_back(c.id);
}

void EventLoop::Sweep() {
  for (auto& [id, cp] : conns_) {
    Conn& c = *cp;
    if (c.state == ConnState::kDead || c.deadline_ms > now_ms_) continue;
    if (c.state == ConnState::kReading && !c.output_pending() && !c.in.empty()) {
      FailRequest(c, 408, "request: not complete within " +
                              std::to_string(server_.opts.request_timeout_ms) + " ms");
    } else if (c.state != ConnState::kHandling) {
      Kill(c);
    }
  }
  if (!server_.stopping.load(std::memory_order_relaxed)) {
    // Re-adds the listener if an out-of-descriptors pause dropped it (EEXIST otherwise).
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    ev.data.u64 = kListenerId;
    ::epoll_ctl(epfd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  }
}

void EventLoop::CloseIdle() {
  DropListener();
  for (auto& [id, cp] : conns_) {
    Conn& c = *cp;
    if (c.state != ConnState::kReading || c.output_pending()) continue;
    // A request may have arrived whose event this loop has not handled yet: read it first,
    // so it gets its 503 "shutting down" instead of a closed connection (Kill only marks).
    c.readable = true;
    ReadAndAdvance(c);
    if (c.state == ConnState::kReading && c.in.empty() && !c.output_pending()) Kill(c);
  }
}

Server::Server(ServerOptions opts, Router router, ServerHooks hooks)
    : impl_(std::make_unique<Impl>(std::move(opts), std::move(router), std::move(hooks))) {
  int64_t shortest = std::min({impl_->opts.idle_timeout_ms, impl_->opts.request_timeout_ms,
                               impl_->opts.write_timeout_ms});
  impl_->sweep_ms = std::clamp<int64_t>(shortest / 4, 10, 1000);
  if (!impl_->hooks.error_body) {
    impl_->hooks.error_body = [](int status, std::string_view message, Response* res) {
      res->SetBody(status, std::string(message), "text/plain");
    };
  }
}

Server::~Server() {
  Shutdown();
  {
    std::unique_lock<std::mutex> l(impl_->serve_mu);
    impl_->serve_cv.wait(l, [this] { return !impl_->serving; });
  }
  impl_->pool.Stop();
  impl_->loops.clear();
  if (impl_->listen_fd >= 0) ::close(impl_->listen_fd);
}

Status Server::Bind() {
  const ServerOptions& o = impl_->opts;
  const std::string where = (o.host.find(':') != std::string::npos ? "[" + o.host + "]" : o.host) +
                            ":" + std::to_string(o.port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(o.port);
  if (int rc = ::getaddrinfo(o.host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    return Status::Unavailable("cannot listen on " + where + ": " + ::gai_strerror(rc));
  }
  int fd = -1;
  std::string err = "no address";
  for (addrinfo* ai = found; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      err = std::strerror(errno);
      continue;
    }
    int yes = 1;
    // SO_REUSEADDR only: restarts do not wait for TIME_WAIT, and without SO_REUSEPORT a
    // second tock on the same port fails here instead of silently sharing it.
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd, 1024) != 0) {
      err = std::strerror(errno);
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0) {
    return Status::Unavailable("cannot listen on " + where + ": " + err +
                               " (address in use, or not an address of this host)");
  }
  sockaddr_storage sa{};
  socklen_t len = sizeof sa;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  const uint16_t port = sa.ss_family == AF_INET6
                            ? reinterpret_cast<sockaddr_in6*>(&sa)->sin6_port
                            : reinterpret_cast<sockaddr_in*>(&sa)->sin_port;
  impl_->listen_fd = fd;
  impl_->port = ntohs(port);
  for (int i = 0; i < std::max(1, o.loops); ++i) {
    auto loop = std::make_unique<EventLoop>(*impl_, fd);
    if (!loop->ok()) return Status::Unavailable(std::string("epoll: ") + std::strerror(errno));
    impl_->loops.push_back(std::move(loop));
  }
  impl_->pool.Start(std::max(1, o.handler_threads));
  return Status::Ok();
}

int Server::port() const { return impl_->port; }

void Server::Serve() {
  {
    std::lock_guard<std::mutex> l(impl_->serve_mu);
    if (impl_->quit.load()) return;
    impl_->serving = true;
  }
  std::vector<std::thread> others;
  for (size_t i = 1; i < impl_->loops.size(); ++i) {
    others.emplace_back([loop = impl_->loops[i].get(), i] {
      NameThisThread("tock-http-" + std::to_string(i));
      loop->Run();
    });
  }
  impl_->loops[0]->Run();
  for (std::thread& t : others) t.join();
  {
    std::lock_guard<std::mutex> l(impl_->serve_mu);
    impl_->serving = false;
  }
  impl_->serve_cv.notify_all();
}

void Server::StopAccepting() {
  if (impl_->stopping.exchange(true)) return;
  // The descriptor stays open until the destructor (no loop can meet a reused number);
  // shutdown() makes the kernel refuse new connections now.
  if (impl_->listen_fd >= 0) ::shutdown(impl_->listen_fd, SHUT_RDWR);
  for (auto& loop : impl_->loops) {
    loop->DropListener();
    loop->Wake();
  }
}

bool Server::WaitIdle(int64_t timeout_ms) {
  const int64_t deadline = SteadyMs() + timeout_ms;
  while (impl_->in_flight.load() > 0) {
    if (SteadyMs() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

void Server::Shutdown() {
  StopAccepting();
  impl_->quit.store(true);
  for (auto& loop : impl_->loops) loop->Wake();
}

int64_t Server::in_flight() const { return impl_->in_flight.load(); }

}  // namespace tock::http
