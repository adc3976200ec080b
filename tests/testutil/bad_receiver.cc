// DESIGN: one thread runs an epoll loop over the listener, an eventfd (Stop) and every
// connection; nothing blocks. A connection is in one state at a time:
//   reading   collects a request (head and Content-Length body), then answers per the mode;
//   writing   sends `out` (an answer, or the next piece of the kHuge/kHeaderFlood stream),
//             watching for writability only, so it writes as fast as the peer reads;
//   trickling (kSlow) one byte per kSlowByteMs step, driven by the epoll_wait timeout;
//   holding   (kHang) reads and discards until the peer gives up.
// Like the thread-per-connection receiver it replaces (which cost a thread and 10 poll
// wake-ups a second per held connection, and hundreds of threads under the fault suite),
// bytes of a next request wait in `in` while an answer is being sent. Stop() wakes the loop,
// which shuts down and closes every connection and the listener before it returns.
#include "testutil/bad_receiver.h"

#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "testutil/socket_io.h"

namespace tock::testing {
namespace {

constexpr int64_t kHugeBytes = 100LL << 20;  // 100 MiB
constexpr int64_t kSlowByteMs = 200;
constexpr size_t kStreamPiece = 64 * 1024;  // kHuge: body bytes queued per refill
constexpr uint64_t kListenTag = ~uint64_t{0};
constexpr uint64_t kWakeTag = ~uint64_t{0} - 1;

// The Content-Length of a request head; 0 if absent or unreadable.
size_t ContentLength(std::string_view head) {
  std::string lower(head);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  size_t p = lower.find("\r\ncontent-length:");
  if (p == std::string::npos) return 0;
  p += 17;
  while (p < lower.size() && lower[p] == ' ') ++p;
  size_t n = 0;
  while (p < lower.size() && std::isdigit(static_cast<unsigned char>(lower[p]))) {
    n = n * 10 + static_cast<size_t>(lower[p] - '0');
    ++p;
  }
  return n;
}

// 256 header lines, the unit of the kHeaderFlood stream.
const std::string& FloodBlock() {
  static const std::string block = [] {
    std::string b;
    for (int i = 0; i < 256; ++i) b += "X-Flood-" + std::to_string(i) + ": xxxxxxxxxxxxxxxx\r\n";
    return b;
  }();
  return block;
}

}  // namespace

struct BadReceiver::Conn {
  enum class State { kReading, kWriting, kTrickling, kHolding };
  int fd = -1;
  State state = State::kReading;
  std::string in;   // request bytes not answered yet
  std::string out;  // answer bytes not written yet
  // kWriting: body bytes of the stream still to queue once `out` is written (kHuge: what is
  // left of the 100 MiB; kHeaderFlood, kLongHeaderLine: without end, -1); 0: back to reading.
  int64_t stream_left = 0;
  bool close_after_write = false;  // kGarbage
  bool peer_closed = false;        // end of stream read: close once nothing is left to say
  size_t trickle_next = 0;         // kSlow: index of the next byte of the answer
  int64_t trickle_at_ms = 0;       // kSlow: steady time of the next step
};

const char* BadReceiver::ModeName(Mode mode) {
  switch (mode) {
    case Mode::kHang:
      return "hang";
    case Mode::kReset:
      return "reset";
    case Mode::kSlow:
      return "slow";
    case Mode::kStatus5xx:
      return "5xx";
    case Mode::kGarbage:
      return "garbage";
    case Mode::kRedirect:
      return "redirect";
    case Mode::kHuge:
      return "huge";
    case Mode::kHeaderFlood:
      return "header-flood";
    case Mode::kLongHeaderLine:
      return "long-header-line";
  }
  return "?";
}

BadReceiver::BadReceiver(Mode mode, std::string redirect_to)
    : mode_(mode), redirect_to_(std::move(redirect_to)) {
  int port = 0;
  listen_fd_ = ListenLoopback(SOMAXCONN, /*nonblocking=*/true, &port);
  if (listen_fd_ < 0) return;
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event lev{EPOLLIN, {.u64 = kListenTag}};
  epoll_event wev{EPOLLIN, {.u64 = kWakeTag}};
  if (epoll_fd_ < 0 || wake_fd_ < 0 || epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &lev) != 0 ||
      epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wev) != 0) {
    for (int fd : {listen_fd_, epoll_fd_, wake_fd_}) {
      if (fd >= 0) close(fd);
    }
    listen_fd_ = epoll_fd_ = wake_fd_ = -1;
    return;
  }
  port_ = port;
  thread_ = std::thread([this] { Loop(); });
}

BadReceiver::~BadReceiver() { Stop(); }

void BadReceiver::Stop() {
  if (stopping_.exchange(true)) return;
  if (!thread_.joinable()) return;
  const uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof one);
  thread_.join();
}

void BadReceiver::Loop() {
  // "bad-hang" etc. in top -H: what the receiver costs its process shows per mode.
  pthread_setname_np(pthread_self(), (std::string("bad-") + ModeName(mode_)).substr(0, 15).c_str());
  std::vector<epoll_event> events(64);
  while (!stopping_.load()) {
    // The nearest trickle step bounds the wait.
    int64_t next_ms = -1;
    for (const auto& [fd, c] : conns_) {
      if (c->state != Conn::State::kTrickling) continue;
      if (next_ms < 0 || c->trickle_at_ms < next_ms) next_ms = c->trickle_at_ms;
    }
    int timeout = -1;
    if (next_ms >= 0) {
      timeout = static_cast<int>(std::max<int64_t>(0, next_ms - SystemClock::Instance().MonoMs()));
    }
    const int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), timeout);
    for (int i = 0; i < n; ++i) {
      const uint64_t tag = events[static_cast<size_t>(i)].data.u64;
      if (tag == kWakeTag) continue;  // Stop(): the loop condition ends it
      if (tag == kListenTag) {
        Accept();
        continue;
      }
      auto it = conns_.find(static_cast<int>(tag));
      if (it == conns_.end()) continue;  // closed earlier in this batch
      if (!OnEvent(*it->second, events[static_cast<size_t>(i)].events)) CloseConn(it->first);
    }
    const int64_t now = SystemClock::Instance().MonoMs();
    std::vector<int> done;
    for (auto& [fd, c] : conns_) {
      if (c->state == Conn::State::kTrickling && c->trickle_at_ms <= now && !Trickle(*c, now)) {
        done.push_back(fd);
      }
    }
    for (int fd : done) CloseConn(fd);
  }
  for (auto& [fd, c] : conns_) {
    shutdown(fd, SHUT_RDWR);
    close(fd);
  }
  conns_.clear();
  for (int fd : {listen_fd_, epoll_fd_, wake_fd_}) close(fd);
  listen_fd_ = epoll_fd_ = wake_fd_ = -1;
}

void BadReceiver::Accept() {
  for (;;) {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;
    connections_.fetch_add(1);
    auto c = std::make_unique<Conn>();
    c->fd = fd;
    epoll_event ev{EPOLLIN, {.u64 = static_cast<uint64_t>(fd)}};
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      close(fd);
      continue;
    }
    conns_.emplace(fd, std::move(c));
  }
}

void BadReceiver::CloseConn(int fd) {
  conns_.erase(fd);
  close(fd);  // also leaves the epoll set
}

void BadReceiver::Watch(Conn& c) {
  uint32_t want = 0;
  if (c.state == Conn::State::kReading || c.state == Conn::State::kHolding) want = EPOLLIN;
  if (c.state == Conn::State::kWriting) want = EPOLLOUT;
  epoll_event ev{want, {.u64 = static_cast<uint64_t>(c.fd)}};
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev);
}

bool BadReceiver::OnEvent(Conn& c, uint32_t events) {
  switch (c.state) {
    case Conn::State::kReading:
      c.peer_closed = !ReadAvailable(c.fd, &c.in);
      return HandleRequests(c);
    case Conn::State::kHolding: {
      std::string sink;
      return ReadAvailable(c.fd, &sink);  // the peer gave up: close
    }
    case Conn::State::kWriting:
      if (!Write(c)) return false;
      return c.state == Conn::State::kWriting || HandleRequests(c);
    case Conn::State::kTrickling:
      // Not watched: only a hang-up or error arrives here, which the next byte would meet.
      return (events & (EPOLLHUP | EPOLLERR)) == 0;
  }
  return false;
}

bool BadReceiver::HandleRequests(Conn& c) {
  while (c.state == Conn::State::kReading) {
    const size_t head_end = c.in.find("\r\n\r\n");
    const size_t total =
        head_end == std::string::npos
            ? std::string::npos
            : head_end + 4 + ContentLength(std::string_view(c.in).substr(0, head_end));
    if (total == std::string::npos || c.in.size() < total) return !c.peer_closed;
    c.in.erase(0, total);
    requests_.fetch_add(1);
    switch (mode_) {
      case Mode::kHang:
        c.state = Conn::State::kHolding;
        c.in.clear();
        break;
      case Mode::kReset: {
        linger lg{1, 0};  // close() then sends RST instead of FIN
        setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        return false;
      }
      case Mode::kSlow:
        c.state = Conn::State::kTrickling;
        c.trickle_next = 0;
        if (!Trickle(c, SystemClock::Instance().MonoMs())) return false;
        break;
      case Mode::kStatus5xx:
        c.out =
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
            "Content-Length: 11\r\n\r\nunavailable";
        c.state = Conn::State::kWriting;
        break;
      case Mode::kGarbage:
        // As a C string: the bytes up to the \x00.
        c.out = "\x16\x03\x01 this is not HTTP at all \xff\xfe\x00\x01\r\n\r\n<<<>>>";
        c.close_after_write = true;
        c.state = Conn::State::kWriting;
        break;
      case Mode::kRedirect:
        c.out = "HTTP/1.1 302 Found\r\nLocation: " + redirect_to_ + "\r\nContent-Length: 0\r\n\r\n";
        c.state = Conn::State::kWriting;
        break;
      case Mode::kHuge:
        c.out = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                std::to_string(kHugeBytes) + "\r\n\r\nsuccess";
        c.stream_left = kHugeBytes - 7;
        c.state = Conn::State::kWriting;
        break;
      case Mode::kHeaderFlood:
        c.out = "HTTP/1.1 200 OK\r\n";
        c.stream_left = -1;
        c.state = Conn::State::kWriting;
        break;
      case Mode::kLongHeaderLine:
        c.out = "HTTP/1.1 200 OK\r\nX-Long: ";
        c.stream_left = -1;
        c.state = Conn::State::kWriting;
        break;
    }
    if (c.state == Conn::State::kWriting) {
      if (!Write(c)) return false;
    }
    Watch(c);
  }
  return true;
}

bool BadReceiver::Write(Conn& c) {
  for (;;) {
    if (c.out.empty() && c.stream_left != 0) {
      if (mode_ == Mode::kHeaderFlood) {
        c.out = FloodBlock();
      } else if (mode_ == Mode::kLongHeaderLine) {
        c.out.assign(kStreamPiece, 'a');
      } else {
        const auto piece = static_cast<size_t>(
            std::min<int64_t>(static_cast<int64_t>(kStreamPiece), c.stream_left));
        c.out.assign(piece, 'x');
        c.stream_left -= static_cast<int64_t>(piece);
      }
    }
    if (c.out.empty()) break;
    const size_t before = c.out.size();
    const bool ok = SendAvailable(c.fd, &c.out);
    bytes_sent_.fetch_add(static_cast<int64_t>(before - c.out.size()));
    if (!ok) return false;  // the peer hung up: expected of kHuge and kHeaderFlood
    if (!c.out.empty()) return true;  // would block: wait for writability
  }
  // Everything written.
  if (c.close_after_write) return false;
  c.state = Conn::State::kReading;
  Watch(c);
  return true;
}

bool BadReceiver::Trickle(Conn& c, int64_t now_ms) {
  static const std::string kReply =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 7\r\n\r\nsuccess";
  if (c.trickle_next == kReply.size()) {  // the pause after the last byte is over
    c.state = Conn::State::kReading;
    Watch(c);
    return HandleRequests(c);
  }
  std::string one(1, kReply[c.trickle_next]);
  if (!SendAvailable(c.fd, &one)) return false;
  if (one.empty()) {
    bytes_sent_.fetch_add(1);
    ++c.trickle_next;
  }
  c.trickle_at_ms = now_ms + kSlowByteMs;
  return true;
}

}  // namespace tock::testing
