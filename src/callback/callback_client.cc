// DESIGN
// Each Loop is one thread with an epoll set, an eventfd for its inbox, a min-heap of timers
// and a few curl multi handles (shards) driven by curl_multi_socket_action (curl tells the
// loop which sockets to watch through its socket callback and when to call back through its
// timer callback).
//
// Why shards: libcurl 7.88 looks for a reusable connection by walking every connection to
// the origin (in use or not), so with thousands of connections to one receiver each new
// attempt cost a scan of thousands: measured, 28% of tock's CPU at 10 000 in flight went to
// Curl_connect and the connection cache. A loop has several shards, each with its own
// connection cache, so a scan is over 1/shards of them. An attempt goes to the first shard
// that has an idle connection to its origin (as counted here: connections opened minus
// attempts running, per shard and origin), else to the shard with the fewest attempts to
// that origin. So sequential attempts reuse one connection, and a burst spreads evenly. An attempt is a Transfer: the request, its easy handle, what has been read of
// the answer, and `done`. Easy handles are reused (their fixed options are set once), so an
// attempt costs a few setopts, not a handle set-up.
//
// Epoll registrations are kept lazily (Watch): when curl stops watching a connection that
// goes idle in its cache, its read interest stays registered, and the next attempt on it
// (the common case, keep-alive) needs no epoll_ctl at all. An idle connection that gets an
// event (the receiver closed it) is unregistered then. Only sockets opened through our open
// callback are kept this way: their close goes through our close callback, which forgets the
// registration (close removes it from the epoll set), so a reused descriptor number is never
// taken for registered. Measured at 10 000 in flight: epoll_ctl went from 2.4 calls per
// attempt to ~0.1.
//
// No curl function is called from inside a curl callback: completions are collected with
// curl_multi_info_read after socket_action returns, and `done` runs from the loop body, where
// it may start the next attempt at once (Send on a loop thread adds to that loop directly).
// Attempts that fail before reaching curl (bad URL, cancelled, denied literal) complete
// through the same path, so `done` never runs inside Send.

#include "callback/callback_client.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <signal.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <unordered_map>
#include <condition_variable>
#include <cstring>
#include <future>
#include <mutex>
#include <queue>
#include <string_view>
#include <thread>
#include <unordered_set>

#include "callback/address_guard.h"
#include "callback/body_sink.h"
#include "callback/url.h"
#include "common/clock.h"
#include "common/thread_name.h"

namespace tock {
namespace {

int64_t NowMs() { return MonoNowNs() / 1'000'000; }

constexpr int64_t kCancelSweepMs = 100;
// Shards per loop (see DESIGN) and the per-origin connections each keeps at least.
constexpr int kMaxShards = 16;
constexpr int kMinShardConnections = 64;
// The epoll tag of the inbox's eventfd; sockets carry (shard << 32 | fd).
constexpr uint64_t kWakeTag = ~uint64_t{0};
// Easy handles kept for reuse per loop beyond those in flight.
constexpr size_t kMaxFreeEasy = 1024;
// Receive buffer per easy handle (curl's default is 16 KiB): answers are small, and with
// 10 000 attempts in flight the buffers alone would otherwise take 160 MiB.
constexpr long kReceiveBufferBytes = 4096;
// The kernel's receive buffer of a callback socket (SO_RCVBUF; see OnOpenSocket).
constexpr int kSocketReceiveBytes = 128 << 10;

// RFC 9110 tchar.
bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c != '\0' && std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
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
                                          "Connection", "Expect"};
  return std::any_of(std::begin(kReserved), std::end(kReserved),
                     [&](const char* r) { return strcasecmp(r, name.c_str()) == 0; });
}

bool HasHeader(const std::vector<std::pair<std::string, std::string>>& headers, const char* name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return strcasecmp(h.first.c_str(), name) == 0; });
}

// The request's header lines for curl, or why they cannot be sent (a caller's bug).
Status BuildHeaders(const CallbackRequest& req, const std::string& user_agent, curl_slist** out) {
  curl_slist* list = nullptr;
  auto add = [&list](const std::string& line) { list = curl_slist_append(list, line.c_str()); };
  for (const auto& [name, value] : req.headers) {
    Status bad;
    if (name.empty() || !std::all_of(name.begin(), name.end(), IsTokenChar)) {
      bad = Status::Invalid("invalid request header name");
    } else if (!IsValidHeaderValue(value)) {
      bad = Status::Invalid("request header '" + name + "' holds a control character");
    } else if (IsReservedHeader(name)) {
      bad = Status::Invalid("request header '" + name + "' is set by the sender");
    }
    if (!bad.ok()) {
      curl_slist_free_all(list);
      return bad;
    }
    // "Name;" is curl's way to send a header with an empty value.
    add(value.empty() ? name + ";" : name + ": " + value);
  }
  if (!HasHeader(req.headers, "Content-Type")) add("Content-Type: application/json");
  if (!HasHeader(req.headers, "User-Agent") && !user_agent.empty()) add("User-Agent: " + user_agent);
  if (!HasHeader(req.headers, "Accept")) add("Accept:");  // drop curl's "Accept: */*"
  add("Expect:");  // never wait for 100-continue
  *out = list;
  return Status::Ok();
}

Status CheckCaBundle(const std::string& path) {
  if (FILE* f = std::fopen(path.c_str(), "r"); f == nullptr) {
    return Status::Internal("cannot load CA bundle '" + path + "': " + strerror(errno));
  } else {
    std::fclose(f);
  }
  X509_STORE* store = X509_STORE_new();
  const bool ok = store != nullptr && X509_STORE_load_file(store, path.c_str()) == 1;
  std::string reason;
  if (!ok) {
    const unsigned long code = ERR_peek_last_error();
    const char* r = code != 0 ? ERR_reason_error_string(code) : nullptr;
    reason = r != nullptr ? r : "no certificate loaded";
  }
  ERR_clear_error();
  X509_STORE_free(store);
  if (!ok) return Status::Internal("cannot load CA bundle '" + path + "': " + reason);
  return Status::Ok();
}

// Retry-After: delay-seconds or an HTTP date; 0 when neither.
int64_t ParseRetryAfter(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t' || value.back() == '\r' ||
                            value.back() == '\n')) {
    value.remove_suffix(1);
  }
  if (value.empty()) return 0;
  const int64_t now = SystemClock::Instance().WallMs();
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9) return now + 999'999'999LL * 1000;  // capped by the caller
    int64_t s = 0;
    for (char c : value) s = s * 10 + (c - '0');
    return now + s * 1000;
  }
  const std::string text(value);
  const time_t t = curl_getdate(text.c_str(), nullptr);
  if (t == -1) return 0;
  return std::max<int64_t>(now, static_cast<int64_t>(t) * 1000);
}

}  // namespace

// Per shard and origin: connections open (opened by its attempts, not closed yet) and
// attempts running. conns > in_flight means an idle connection (probably) waits.
struct OriginCount {
  int conns = 0;
  int in_flight = 0;
};

// One attempt in flight on a loop.
struct Transfer {
  enum class Abort { kNone, kHeaders, kBody, kCancelled };

  Transfer(CallbackRequest r, CallbackClient::Done d, size_t max_body)
      : req(std::move(r)), done(std::move(d)), sink(max_body) {}

  CallbackRequest req;
  CallbackClient::Done done;
  CallbackUrl url;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  BodySink sink;
  size_t header_bytes = 0;
  int header_lines = 0;
  int64_t retry_after_wall_ms = 0;
  Abort abort = Abort::kNone;
  std::string denied;     // the address the guard refused, if it did
  int socket_errno = 0;   // socket() failed with this
  int64_t start_ms = 0;
  CallbackClient::Loop* loop = nullptr;
  CURLM* multi = nullptr;  // the shard's multi handle it runs on
  struct OriginCount* origin_count = nullptr;
  char errbuf[CURL_ERROR_SIZE] = {0};
};

class CallbackClient::Loop {
 public:
  Loop(const CallbackClientOptions& opts, const Status& tls_status, int loops);
  ~Loop();

  void Start(int index) {
    thread_ = std::thread([this, index] {
      NameThisThread("tock-callback-" + std::to_string(index));
      Run();
    });
  }
  // Ends every attempt as "cancelled", stops the thread and joins it.
  void Stop();

  // Any thread: run fn on this loop.
  void Enqueue(std::function<void()> fn);
  // Loop thread only.
  void StartTransfer(CallbackRequest req, Done done);
  void AddTimer(int64_t at_ms, std::function<void()> fn);
  void AbortAllNow();

  bool IsCurrent() const;
  void AddStats(CallbackClientStats* s) const;

 private:
  struct Timer {
    int64_t at_ms;
    uint64_t seq;
    std::function<void()> fn;
    bool operator>(const Timer& o) const { return at_ms != o.at_ms ? at_ms > o.at_ms : seq > o.seq; }
  };

  void Run();
  void RunInbox();
  void RunTimers(int64_t now);
  void SweepCancelled();
  // Collects what curl finished and what failed before reaching curl; runs their `done`.
  void DrainCompleted();
  void Complete(Transfer* t, CallbackResult r);
  CallbackResult Describe(Transfer* t, CURLcode code);
  void FailEarly(Transfer* t, std::string error);
  CURL* TakeEasy();
  void ReturnEasy(CURL* easy);

  static int OnSocket(CURL* easy, curl_socket_t s, int what, void* loop, void* socketp);
  static int OnTimer(CURLM* multi, long timeout_ms, void* loop);
  static curl_socket_t OnOpenSocket(void* transfer, curlsocktype purpose, curl_sockaddr* addr);
  static int OnCloseSocket(void* loop, curl_socket_t s);
  static size_t OnHeader(char* data, size_t size, size_t n, void* transfer);
  static size_t OnBody(char* data, size_t size, size_t n, void* transfer);

  // One curl multi handle and what the loop keeps for it.
  struct Shard {
    Loop* loop = nullptr;
    uint32_t index = 0;
    CURLM* multi = nullptr;
    int64_t deadline_ms = -1;  // when curl wants its timeout action; -1: none
    std::unordered_map<std::string, OriginCount> origins;  // loop thread only
  };
  // The shard for an attempt to `origin` (see DESIGN).
  Shard& ChooseShard(const std::string& origin);

  const CallbackClientOptions& opts_;
  const Status& tls_status_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::unordered_map<int, OriginCount*> socket_origin_;  // loop thread only: fd -> count
  // What the epoll set holds for a descriptor (see DESIGN). Loop thread only.
  struct Watch {
    bool registered = false;  // in the epoll set with `events`, tagged with `shard`
    bool wanted = false;      // curl watches it (false: kept registered while idle)
    bool ours = false;        // opened by OnOpenSocket: its close goes through OnCloseSocket
    uint32_t events = 0;
    uint32_t shard = 0;
  };
  std::vector<Watch> watches_;  // by descriptor
  Watch& WatchOf(int fd) {
    if (static_cast<size_t>(fd) >= watches_.size()) watches_.resize(static_cast<size_t>(fd) + 64);
    return watches_[static_cast<size_t>(fd)];
  }
  // Adds or changes fd's registration to (events, tag); falls back if the set disagrees.
  void Register(int fd, Watch& w, uint32_t events, uint32_t shard);
  void Unregister(int fd, Watch& w);
  std::thread thread_;

  std::mutex mu_;
  std::vector<std::function<void()>> inbox_;  // GUARDED_BY(mu_)
  bool stop_ = false;                          // GUARDED_BY(mu_)

  // Loop thread only.
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
  uint64_t timer_seq_ = 0;
  std::unordered_set<Transfer*> active_;
  std::vector<Transfer*> failed_early_;
  std::vector<CURL*> free_easy_;
  int64_t next_sweep_ms_ = 0;

  std::atomic<uint64_t> sends_{0};
  std::atomic<uint64_t> opened_{0};
  std::atomic<uint64_t> reused_{0};
  std::atomic<int64_t> open_sockets_{0};
  std::atomic<size_t> in_flight_{0};
};

namespace {
thread_local const CallbackClient::Loop* tl_current_loop = nullptr;
std::once_flag g_curl_init;
}  // namespace

CallbackClient::Loop::Loop(const CallbackClientOptions& opts, const Status& tls_status, int loops)
    : opts_(opts), tls_status_(tls_status) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeTag;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  // As many shards as keep at least kMinShardConnections of the per-origin cap each (a small
  // cap is not split into caps of 1), at most kMaxShards.
  const int per_loop = std::max(1, (opts_.max_connections_per_origin + loops - 1) / loops);
  const int n = std::clamp(per_loop / kMinShardConnections, 1, kMaxShards);
  const long per_shard = std::max(1, (per_loop + n - 1) / n);
  // No cap on a shard's connections in use: the delivery engine caps attempts in flight,
  // and a shard's share of a small cap would hold an attempt behind another origin's (a cap
  // of 4 over 16 shards left one connection per shard). The cache of connections, in use
  // or idle, is bounded per shard.
  const long cache = std::max<long>(64, (opts_.max_connections + n - 1) / n);
  for (int i = 0; i < n; ++i) {
    auto shard = std::make_unique<Shard>();
    shard->loop = this;
    shard->index = static_cast<uint32_t>(i);
    shard->multi = curl_multi_init();
    CURLM* m = shard->multi;
    curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, &Loop::OnSocket);
    curl_multi_setopt(m, CURLMOPT_SOCKETDATA, shard.get());
    curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, &Loop::OnTimer);
    curl_multi_setopt(m, CURLMOPT_TIMERDATA, shard.get());
    curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, per_shard);
    curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, cache);
    shards_.push_back(std::move(shard));
  }
}

CallbackClient::Loop::~Loop() {
  Stop();
  // Connections close here (the close callback counts them down): the multi handles first,
  // the easy handles after, as libcurl asks.
  for (auto& shard : shards_) curl_multi_cleanup(shard->multi);
  for (CURL* e : free_easy_) curl_easy_cleanup(e);
  if (wake_fd_ >= 0) close(wake_fd_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

void CallbackClient::Loop::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stop_) return;
    stop_ = true;
  }
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t w = write(wake_fd_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
}

void CallbackClient::Loop::Enqueue(std::function<void()> fn) {
  bool wake;
  {
    std::lock_guard<std::mutex> l(mu_);
    wake = inbox_.empty();
    inbox_.push_back(std::move(fn));
  }
  if (wake) {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t w = write(wake_fd_, &one, sizeof one);
  }
}

bool CallbackClient::Loop::IsCurrent() const { return tl_current_loop == this; }

void CallbackClient::Loop::AddStats(CallbackClientStats* s) const {
  s->sends += sends_.load(std::memory_order_relaxed);
  s->connections_opened += opened_.load(std::memory_order_relaxed);
  s->connections_reused += reused_.load(std::memory_order_relaxed);
  s->open_connections += static_cast<size_t>(std::max<int64_t>(0, open_sockets_.load()));
  s->in_flight += in_flight_.load(std::memory_order_relaxed);
}

void CallbackClient::Loop::AddTimer(int64_t at_ms, std::function<void()> fn) {
  timers_.push(Timer{at_ms, timer_seq_++, std::move(fn)});
}

CURL* CallbackClient::Loop::TakeEasy() {
  if (!free_easy_.empty()) {
    CURL* e = free_easy_.back();
    free_easy_.pop_back();
    return e;
  }
  CURL* e = curl_easy_init();
  if (e == nullptr) return nullptr;
  // The options every attempt shares; per-attempt ones are set in StartTransfer.
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(e, CURLOPT_BUFFERSIZE, kReceiveBufferBytes);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Loop::OnBody);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &Loop::OnHeader);
  curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, &Loop::OnOpenSocket);
  curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, &Loop::OnCloseSocket);
  curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, this);
  curl_easy_setopt(e, CURLOPT_CAINFO, opts_.ca_bundle.c_str());
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(e, CURLOPT_PROXY, opts_.proxy.c_str());  // "" also ignores http_proxy env
  if (!opts_.proxy.empty()) {
    curl_easy_setopt(e, CURLOPT_HTTPPROXYTUNNEL, 1L);
    curl_easy_setopt(e, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
  }
  if (opts_.idle_timeout_s <= 0) {
    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
  } else {
    curl_easy_setopt(e, CURLOPT_MAXAGE_CONN, static_cast<long>(opts_.idle_timeout_s));
  }
  return e;
}

void CallbackClient::Loop::ReturnEasy(CURL* easy) {
  if (free_easy_.size() < kMaxFreeEasy) {
    free_easy_.push_back(easy);
  } else {
    curl_easy_cleanup(easy);
  }
}

void CallbackClient::Loop::FailEarly(Transfer* t, std::string error) {
  t->req.body.clear();
  t->denied = std::move(error);  // carried to DrainCompleted; easy == nullptr marks it
  failed_early_.push_back(t);
}

void CallbackClient::Loop::StartTransfer(CallbackRequest req, Done done) {
  sends_.fetch_add(1, std::memory_order_relaxed);
  in_flight_.fetch_add(1, std::memory_order_relaxed);
  auto* t = new Transfer(std::move(req), std::move(done), opts_.max_response_bytes);
  t->loop = this;
  t->start_ms = NowMs();
  if (t->req.cancel != nullptr && t->req.cancel->load()) return FailEarly(t, "cancelled");
  Result<CallbackUrl> url = ParseCallbackUrl(t->req.url);
  if (!url.ok()) return FailEarly(t, "invalid url: " + url.status().message());
  t->url = std::move(url).value();
  if (t->url.scheme == "https" && !tls_status_.ok()) {
    return FailEarly(t, "tls: " + tls_status_.message());
  }
  if (opts_.guard && opts_.guard->DeniedLiteral(t->url.host, t->url.port)) {
    return FailEarly(t, "address denied (" + (t->url.is_ipv6 ? "[" + t->url.host + "]" : t->url.host) +
                            ":" + std::to_string(t->url.port) + ")");
  }
  if (Status s = BuildHeaders(t->req, opts_.user_agent, &t->headers); !s.ok()) {
    return FailEarly(t, s.message());
  }
  t->easy = TakeEasy();
  if (t->easy == nullptr) {
    curl_slist_free_all(t->headers);
    t->headers = nullptr;
    return FailEarly(t, "out of memory");
  }
  const std::string full = t->url.origin + t->url.target;
  CURL* e = t->easy;
  curl_easy_setopt(e, CURLOPT_URL, full.c_str());  // copied by curl
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->req.body.data());
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, static_cast<long>(t->req.body.size()));
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max(t->req.timeout_ms, 1)));
  curl_easy_setopt(e, CURLOPT_PRIVATE, t);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
  curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, t);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
  Shard& shard = ChooseShard(t->url.origin);
  t->multi = shard.multi;
  t->origin_count = &shard.origins[t->url.origin];
  if (curl_multi_add_handle(t->multi, e) != CURLM_OK) {
    curl_slist_free_all(t->headers);
    t->headers = nullptr;
    ReturnEasy(e);
    t->easy = nullptr;
    return FailEarly(t, "request failed: cannot add the transfer");
  }
  active_.insert(t);
  t->origin_count->in_flight += 1;
}

CallbackClient::Loop::Shard& CallbackClient::Loop::ChooseShard(const std::string& origin) {
  Shard* best = shards_[0].get();
  int best_load = INT32_MAX;
  for (auto& shard : shards_) {
    const OriginCount& c = shard->origins[origin];
    if (c.in_flight < c.conns) return *shard;
    if (c.in_flight < best_load) {
      best_load = c.in_flight;
      best = shard.get();
    }
  }
  return *best;
}

void CallbackClient::Loop::AbortAllNow() {
  std::vector<Transfer*> all(active_.begin(), active_.end());
  for (Transfer* t : all) {
    t->abort = Transfer::Abort::kCancelled;
    Complete(t, Describe(t, CURLE_ABORTED_BY_CALLBACK));
  }
}

void CallbackClient::Loop::SweepCancelled() {
  std::vector<Transfer*> cancelled;
  for (Transfer* t : active_) {
    if (t->req.cancel != nullptr && t->req.cancel->load()) cancelled.push_back(t);
  }
  for (Transfer* t : cancelled) {
    t->abort = Transfer::Abort::kCancelled;
    Complete(t, Describe(t, CURLE_ABORTED_BY_CALLBACK));
  }
}

CallbackResult CallbackClient::Loop::Describe(Transfer* t, CURLcode code) {
  CallbackResult r;
  long status = 0;
  curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
  r.body_prefix = t->sink.prefix();
  const std::string status_note =
      status > 0 ? " (HTTP " + std::to_string(status) + ")" : std::string();
  const std::string detail = t->errbuf[0] != '\0' ? std::string(t->errbuf) : curl_easy_strerror(code);
  auto headers_too_large = [this] {
    return "response headers too large (over " + std::to_string(opts_.max_header_bytes) +
           " bytes or " + std::to_string(opts_.max_header_lines) + " lines)";
  };
  switch (code) {
    case CURLE_OK:
      if (status < 100 || status > 599) {
        r.error = "invalid HTTP status " + std::to_string(status);
      } else {
        r.http_status = static_cast<int>(status);
        r.body_is_success = t->sink.is_success();
        r.retry_after_wall_ms = t->retry_after_wall_ms;
        long connects = 0;
        curl_easy_getinfo(t->easy, CURLINFO_NUM_CONNECTS, &connects);
        if (connects == 0) reused_.fetch_add(1, std::memory_order_relaxed);
      }
      break;
    case CURLE_OPERATION_TIMEDOUT: {
      curl_off_t connected_us = 0;
      curl_easy_getinfo(t->easy, CURLINFO_CONNECT_TIME_T, &connected_us);
      r.error = "timeout after " + std::to_string(std::max(t->req.timeout_ms, 1)) + " ms" +
                (status > 0 ? status_note : connected_us == 0 ? " (connecting)" : "");
      r.connection_failed = true;
      break;
    }
    case CURLE_COULDNT_CONNECT:
      if (!t->denied.empty()) {
        r.error = "address denied (" + t->denied + ")";
      } else if (t->socket_errno != 0) {
        r.error = std::string("cannot open a socket: ") + strerror(t->socket_errno);
        r.local_error = true;
      } else if (!opts_.proxy.empty()) {
        // Through a proxy the connection that failed is the one to the proxy.
        r.error = "cannot connect to the proxy (" + opts_.proxy + ")";
        r.connection_failed = true;
      } else {
        r.error = "connection refused or unreachable (" + t->url.origin + ")";
        r.connection_failed = true;
      }
      break;
    case CURLE_COULDNT_RESOLVE_HOST:
      r.error = "cannot resolve host '" + t->url.host + "'";
      break;
    case CURLE_COULDNT_RESOLVE_PROXY:
      r.error = "cannot resolve the proxy (" + opts_.proxy + ")";
      break;
    case CURLE_WRITE_ERROR:
    case CURLE_ABORTED_BY_CALLBACK:
      switch (t->abort) {
        case Transfer::Abort::kBody:
          r.error = "response body over " + std::to_string(opts_.max_response_bytes) + " bytes" +
                    status_note;
          break;
        case Transfer::Abort::kHeaders:
          r.error = headers_too_large();
          break;
        case Transfer::Abort::kCancelled:
        case Transfer::Abort::kNone:
          r.error = "cancelled";
          break;
      }
      break;
    case CURLE_GOT_NOTHING:
      r.error = "no HTTP response: connection closed, reset, or not HTTP";
      r.connection_failed = true;
      break;
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_BAD_CONTENT_ENCODING:
      if (status <= 0) {
        r.error = "no HTTP response: connection closed, reset, or not HTTP";
        r.connection_failed = code == CURLE_RECV_ERROR;
      } else {
        r.error = "response cut off or malformed" + status_note;
      }
      break;
    case CURLE_SEND_ERROR:
      r.error = "connection closed while sending the request";
      r.connection_failed = true;
      break;
    case CURLE_PEER_FAILED_VERIFICATION:
      r.error = "tls: certificate verify failed: " + detail;
      break;
    case CURLE_SSL_CONNECT_ERROR:
      r.error = "tls: handshake failed: " + detail;
      break;
    case CURLE_SSL_CACERT_BADFILE:
      r.error = "tls: cannot load CA certificates";
      break;
    case CURLE_OUT_OF_MEMORY: {
      // libcurl also says "out of memory" for a response line over its 100 KiB limit (its
      // buffer's cap), before our header callback sees the line: once the request has gone
      // out, that is the receiver's doing and fails the attempt like any oversized head.
      // Only before that is it a shortage here (not an attempt: it runs again).
      long sent = 0;
      curl_easy_getinfo(t->easy, CURLINFO_REQUEST_SIZE, &sent);
      if (sent > 0) {
        r.error = headers_too_large() + " (a line over 100 KiB)";
      } else {
        r.error = "out of memory";
        r.local_error = true;
      }
      break;
    }
    case CURLE_PROXY:
      r.error = "proxy: " + detail;
      break;
    default:
      r.error = "request failed: " + detail;
      break;
  }
  if (!opts_.proxy.empty() && code != CURLE_OK && detail.find("CONNECT") != std::string::npos) {
    // The proxy refused the tunnel (a 502 when it could not reach the receiver, a 407...):
    // libcurl's own words name the proxy's answer, ours would blame the receiver.
    r.error = "proxy: " + detail;
  }
  if (!r.error.empty()) r.body_is_success = false;
  return r;
}

void CallbackClient::Loop::Complete(Transfer* t, CallbackResult r) {
  r.duration_ms = NowMs() - t->start_ms;
  if (t->easy != nullptr) {
    curl_multi_remove_handle(t->multi, t->easy);
    ReturnEasy(t->easy);
    active_.erase(t);
    t->origin_count->in_flight -= 1;
  }
  curl_slist_free_all(t->headers);
  Done done = std::move(t->done);
  delete t;
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  done(std::move(r));
}

void CallbackClient::Loop::DrainCompleted() {
  for (;;) {
    if (!failed_early_.empty()) {
      std::vector<Transfer*> early;
      early.swap(failed_early_);
      for (Transfer* t : early) {
        CallbackResult r;
        r.error = std::move(t->denied);
        Complete(t, std::move(r));
      }
      continue;
    }
    bool any = false;
    for (auto& shard : shards_) {
      int left = 0;
      while (CURLMsg* msg = curl_multi_info_read(shard->multi, &left)) {
        if (msg->msg != CURLMSG_DONE) continue;
        Transfer* t = nullptr;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&t));
        const CURLcode code = msg->data.result;
        Complete(t, Describe(t, code));  // may add transfers; info_read goes on after
        any = true;
      }
    }
    if (!any && failed_early_.empty()) return;
  }
}

void CallbackClient::Loop::RunInbox() {
  std::vector<std::function<void()>> work;
  {
    std::lock_guard<std::mutex> l(mu_);
    work.swap(inbox_);
  }
  for (auto& fn : work) fn();
}

void CallbackClient::Loop::RunTimers(int64_t now) {
  // Only those due on entry: a timer that posts another for now (a burst handed on in
  // chunks) must let the loop do its I/O first.
  std::vector<std::function<void()>> due;
  while (!timers_.empty() && timers_.top().at_ms <= now) {
    due.push_back(std::move(const_cast<Timer&>(timers_.top()).fn));
    timers_.pop();
  }
  for (auto& fn : due) fn();
}

void CallbackClient::Loop::Run() {
  tl_current_loop = this;
  std::vector<epoll_event> events(512);
  for (;;) {
    int64_t now = NowMs();
    int64_t wait = 1000;
    for (const auto& shard : shards_) {
      if (shard->deadline_ms >= 0) wait = std::min(wait, shard->deadline_ms - now);
    }
    if (!timers_.empty()) wait = std::min(wait, timers_.top().at_ms - now);
    if (!active_.empty()) wait = std::min(wait, next_sweep_ms_ - now);
    const int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()),
                             static_cast<int>(std::max<int64_t>(wait, 0)));
    bool woken = false;
    int running = 0;
    for (int i = 0; i < n; ++i) {
      const uint64_t tag = events[i].data.u64;
      const int fd = static_cast<int>(tag & 0xffffffffu);
      if (tag == kWakeTag) {
        uint64_t v;
        [[maybe_unused]] ssize_t r = read(wake_fd_, &v, sizeof v);
        woken = true;
        continue;
      }
      const uint32_t ev = events[i].events;
      if (fd >= 0 && static_cast<size_t>(fd) < watches_.size() && !watches_[fd].wanted) {
        // An idle connection kept registered: the receiver closed it (or sent something
        // unasked). curl finds out when it next looks at it; the set lets go of it now.
        Unregister(fd, watches_[fd]);
        continue;
      }
      int flags = 0;
      if (ev & EPOLLIN) flags |= CURL_CSELECT_IN;
      if (ev & EPOLLOUT) flags |= CURL_CSELECT_OUT;
      if (ev & (EPOLLERR | EPOLLHUP)) flags |= CURL_CSELECT_ERR;
      const size_t shard = static_cast<size_t>(tag >> 32);
      if (shard < shards_.size()) curl_multi_socket_action(shards_[shard]->multi, fd, flags, &running);
    }
    now = NowMs();
    for (auto& shard : shards_) {
      if (shard->deadline_ms >= 0 && now >= shard->deadline_ms) {
        shard->deadline_ms = -1;
        curl_multi_socket_action(shard->multi, CURL_SOCKET_TIMEOUT, 0, &running);
      }
    }
    DrainCompleted();
    if (woken) {
      {
        std::lock_guard<std::mutex> l(mu_);
        if (stop_) break;
      }
      RunInbox();
    }
    RunTimers(now);
    if (now >= next_sweep_ms_) {
      SweepCancelled();
      next_sweep_ms_ = now + kCancelSweepMs;
    }
    DrainCompleted();
  }
  // Stopping: what was queued starts, then everything in flight ends as "cancelled", so
  // every `done` runs once. Timers still waiting are dropped.
  RunInbox();
  AbortAllNow();
  DrainCompleted();
  tl_current_loop = nullptr;
}

int CallbackClient::Loop::OnSocket(CURL*, curl_socket_t s, int what, void* shard_ptr, void*) {
  auto* shard = static_cast<Shard*>(shard_ptr);
  Loop* loop = shard->loop;
  Watch& w = loop->WatchOf(s);
  if (what == CURL_POLL_REMOVE) {
    // Kept while it only waits to read: an idle keep-alive connection raises no event until
    // the receiver closes it. Write interest would fire at once, so that is dropped.
    if (w.ours && w.registered && w.events == EPOLLIN) {
      w.wanted = false;
    } else {
      loop->Unregister(s, w);
    }
    return 0;
  }
  const uint32_t events =
      (what & CURL_POLL_IN ? uint32_t{EPOLLIN} : 0u) |
      (what & CURL_POLL_OUT ? uint32_t{EPOLLOUT} : 0u);
  w.wanted = true;
  if (w.registered && w.events == events && w.shard == shard->index) return 0;
  loop->Register(s, w, events, shard->index);
  return 0;
}

void CallbackClient::Loop::Register(int fd, Watch& w, uint32_t events, uint32_t shard) {
  epoll_event ev{};
  ev.data.u64 = (static_cast<uint64_t>(shard) << 32) | static_cast<uint32_t>(fd);
  ev.events = events;
  int op = w.registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
  if (epoll_ctl(epoll_fd_, op, fd, &ev) != 0) {
    // Our record and the set disagree (a descriptor closed behind curl's back and reused):
    // the other operation is the right one.
    op = op == EPOLL_CTL_MOD ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
    epoll_ctl(epoll_fd_, op, fd, &ev);
  }
  w.registered = true;
  w.events = events;
  w.shard = shard;
}

void CallbackClient::Loop::Unregister(int fd, Watch& w) {
  if (w.registered) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  w.registered = false;
  w.wanted = false;
  w.events = 0;
}

int CallbackClient::Loop::OnTimer(CURLM*, long timeout_ms, void* shard_ptr) {
  auto* shard = static_cast<Shard*>(shard_ptr);
  shard->deadline_ms = timeout_ms < 0 ? -1 : NowMs() + timeout_ms;
  return 0;
}

curl_socket_t CallbackClient::Loop::OnOpenSocket(void* transfer, curlsocktype purpose,
                                                 curl_sockaddr* addr) {
  auto* t = static_cast<Transfer*>(transfer);
  // Through a proxy the connection goes to the proxy, which is configuration, not input.
  if (purpose == CURLSOCKTYPE_IPCXN && t->loop->opts_.proxy.empty() && t->loop->opts_.guard &&
      t->loop->opts_.guard->Denied(&addr->addr, addr->addrlen)) {
    t->denied = AddressGuard::Describe(&addr->addr, addr->addrlen);
    return CURL_SOCKET_BAD;
  }
  const int fd = socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
  if (fd < 0) {
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
      t->socket_errno = errno;
    }
    return CURL_SOCKET_BAD;
  }
  // tock reads at most 64 KiB of headers and 64 KiB of body per answer (more fails the
  // attempt), so a receive buffer of 128 KiB (the kernel doubles it) holds any answer it
  // keeps. Without the bound, Linux grows it to megabytes, and a receiver sending a 100 MiB
  // body pushes megabytes over loopback into each connection (kernel copies on tock's CPU,
  // kernel memory per connection) before tock closes it. Set before connect, so the window
  // offered is the bounded one.
  const int rcvbuf = kSocketReceiveBytes;
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  t->loop->opened_.fetch_add(1, std::memory_order_relaxed);
  t->loop->open_sockets_.fetch_add(1, std::memory_order_relaxed);
  t->origin_count->conns += 1;
  t->loop->socket_origin_[fd] = t->origin_count;
  t->loop->WatchOf(fd) = Watch{};
  t->loop->WatchOf(fd).ours = true;
  return fd;
}

int CallbackClient::Loop::OnCloseSocket(void* loop_ptr, curl_socket_t s) {
  auto* loop = static_cast<Loop*>(loop_ptr);
  loop->open_sockets_.fetch_sub(1, std::memory_order_relaxed);
  // Closing takes it out of the epoll set; the number may be reused for anything.
  if (static_cast<size_t>(s) < loop->watches_.size()) loop->watches_[s] = Watch{};
  auto it = loop->socket_origin_.find(s);
  if (it != loop->socket_origin_.end()) {
    it->second->conns -= 1;
    loop->socket_origin_.erase(it);
  }
  return close(s);
}

size_t CallbackClient::Loop::OnHeader(char* data, size_t size, size_t n, void* transfer) {
  auto* t = static_cast<Transfer*>(transfer);
  const size_t len = size * n;
  const CallbackClientOptions& o = t->loop->opts_;
  t->header_bytes += len;
  t->header_lines += 1;
  if (t->header_bytes > o.max_header_bytes || t->header_lines > o.max_header_lines) {
    t->abort = Transfer::Abort::kHeaders;
    return 0;
  }
  const std::string_view line(data, len);
  if (line.size() >= 5 && line.substr(0, 5) == "HTTP/") {
    t->retry_after_wall_ms = 0;  // a new response (after a 1xx): its own headers count
  } else if (line.size() > 12 && strncasecmp(line.data(), "retry-after:", 12) == 0) {
    t->retry_after_wall_ms = ParseRetryAfter(line.substr(12));
  }
  return len;
}

size_t CallbackClient::Loop::OnBody(char* data, size_t size, size_t n, void* transfer) {
  auto* t = static_cast<Transfer*>(transfer);
  const size_t len = size * n;
  if (!t->sink.Append(data, len)) {
    t->abort = Transfer::Abort::kBody;
    return 0;
  }
  return len;
}

// ---- CallbackClient -----------------------------------------------------------------------

CallbackClient::CallbackClient(CallbackClientOptions opts) : opts_(std::move(opts)) {
  std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_ALL); });
  // A write to a connection the peer has reset may raise SIGPIPE inside OpenSSL; it must
  // fail the attempt, not kill the process.
  signal(SIGPIPE, SIG_IGN);
  tls_status_ = CheckCaBundle(opts_.ca_bundle);
  const int n = std::clamp(opts_.loops, 1, 64);
  for (int i = 0; i < n; ++i) loops_.push_back(std::make_unique<Loop>(opts_, tls_status_, n));
  for (int i = 0; i < n; ++i) loops_[static_cast<size_t>(i)]->Start(i);
}

CallbackClient::~CallbackClient() {
  for (auto& l : loops_) l->Stop();
  loops_.clear();
}

CallbackClient::Loop* CallbackClient::CurrentLoop() const {
  for (const auto& l : loops_) {
    if (l->IsCurrent()) return l.get();
  }
  return nullptr;
}

CallbackClient::Loop& CallbackClient::NextLoop() {
  if (Loop* current = CurrentLoop()) return *current;
  return *loops_[next_loop_.fetch_add(1, std::memory_order_relaxed) % loops_.size()];
}

bool CallbackClient::OnLoopThread() const { return CurrentLoop() != nullptr; }

void CallbackClient::Send(CallbackRequest req, Done done) {
  if (Loop* current = CurrentLoop()) {
    current->StartTransfer(std::move(req), std::move(done));
    return;
  }
  // From outside, one origin always goes to the same loop, so its connections are reused
  // (each loop has its own): the origin is the URL up to the path.
  const size_t slashes = req.url.find('/', req.url.find("//") == std::string::npos
                                               ? 0
                                               : req.url.find("//") + 2);
  Loop& loop = *loops_[std::hash<std::string_view>()(
                           std::string_view(req.url).substr(0, slashes)) %
                       loops_.size()];
  // std::function needs a copyable callable: the request travels in a shared_ptr.
  auto moved = std::make_shared<std::pair<CallbackRequest, Done>>(std::move(req), std::move(done));
  loop.Enqueue([&loop, moved] { loop.StartTransfer(std::move(moved->first), std::move(moved->second)); });
}

CallbackResult CallbackClient::SendAndWait(const CallbackRequest& req) {
  std::promise<CallbackResult> p;
  std::future<CallbackResult> f = p.get_future();
  Send(req, [&p](CallbackResult r) { p.set_value(std::move(r)); });
  return f.get();
}

void CallbackClient::Post(std::function<void()> fn) {
  Loop& loop = NextLoop();
  if (loop.IsCurrent()) {
    // Not run inline: the caller may hold state that fn also touches.
    loop.AddTimer(0, std::move(fn));
    return;
  }
  loop.Enqueue(std::move(fn));
}

void CallbackClient::PostAfter(int64_t delay_ms, std::function<void()> fn) {
  Loop& loop = NextLoop();
  const int64_t at = NowMs() + std::max<int64_t>(delay_ms, 0);
  if (loop.IsCurrent()) {
    loop.AddTimer(at, std::move(fn));
    return;
  }
  auto shared = std::make_shared<std::function<void()>>(std::move(fn));
  loop.Enqueue([&loop, at, shared] { loop.AddTimer(at, std::move(*shared)); });
}

void CallbackClient::AbortAll() {
  for (auto& l : loops_) {
    Loop* loop = l.get();
    if (loop->IsCurrent()) {
      loop->AbortAllNow();
    } else {
      loop->Enqueue([loop] { loop->AbortAllNow(); });
    }
  }
}

CallbackClientStats CallbackClient::stats() const {
  CallbackClientStats s;
  for (const auto& l : loops_) l->AddStats(&s);
  return s;
}

}  // namespace tock
