// DESIGN: one accept thread; one thread per connection that reads requests with
// poll(2) (100 ms ticks, so Stop() is noticed) and misbehaves according to the mode. Stop() closes
// the listener, shuts every open connection down (which wakes any blocked read or write) and joins
// every thread. Finished connection threads are joined as new ones arrive, so a receiver that
// resets thousands of connections does not keep thousands of threads.
#include "testutil/bad_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "testutil/socket_io.h"

namespace tock::testing {
namespace {

constexpr int kPollMs = 100;
constexpr int64_t kHugeBytes = 100LL << 20;  // 100 MiB
constexpr int kSlowByteMs = 200;

// Waits for fd to be readable (or writable) for up to kPollMs; true when ready.
bool PollFd(int fd, short events) {
  pollfd p{fd, events, 0};
  int r = poll(&p, 1, kPollMs);
  return r > 0;
}

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

}  // namespace

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
  }
  return "?";
}

BadReceiver::BadReceiver(Mode mode, std::string redirect_to)
    : mode_(mode), redirect_to_(std::move(redirect_to)) {
  int port = 0;
  listen_fd_ = ListenLoopback(SOMAXCONN, /*nonblocking=*/false, &port);
  if (listen_fd_ < 0) return;
  port_ = port;
  accept_thread_ = std::thread([this] { AcceptLoop(); });
}

BadReceiver::~BadReceiver() { Stop(); }

void BadReceiver::Stop() {
  if (stopping_.exchange(true)) return;
  if (accept_thread_.joinable()) accept_thread_.join();
  if (listen_fd_ >= 0) close(listen_fd_);
  listen_fd_ = -1;
  std::vector<Conn> conns;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (int fd : fds_) shutdown(fd, SHUT_RDWR);
    conns.swap(conns_);
  }
  for (Conn& c : conns) c.thread.join();
}

void BadReceiver::ReapLocked() {
  auto done = [](Conn& c) {
    if (!c.done->load()) return false;
    c.thread.join();
    return true;
  };
  conns_.erase(std::remove_if(conns_.begin(), conns_.end(), done), conns_.end());
}

void BadReceiver::AcceptLoop() {
  while (!stopping_.load()) {
    if (!PollFd(listen_fd_, POLLIN)) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    connections_.fetch_add(1);
    std::lock_guard<std::mutex> l(mu_);
    ReapLocked();
    fds_.push_back(fd);
    auto done = std::make_shared<std::atomic<bool>>(false);
    conns_.push_back({std::thread([this, fd, done] {
                        Serve(fd);
                        {
                          std::lock_guard<std::mutex> l2(mu_);
                          fds_.erase(std::find(fds_.begin(), fds_.end(), fd));
                        }
                        close(fd);
                        done->store(true);
                      }),
                      done});
  }
}

bool BadReceiver::ReadRequest(int fd, std::string* buf) {
  char chunk[16384];
  size_t head_end;
  while ((head_end = buf->find("\r\n\r\n")) == std::string::npos) {
    if (stopping_.load()) return false;
    if (!PollFd(fd, POLLIN)) continue;
    ssize_t n = recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buf->append(chunk, static_cast<size_t>(n));
  }
  const size_t total = head_end + 4 + ContentLength(std::string_view(*buf).substr(0, head_end));
  while (buf->size() < total) {
    if (stopping_.load()) return false;
    if (!PollFd(fd, POLLIN)) continue;
    ssize_t n = recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buf->append(chunk, static_cast<size_t>(n));
  }
  buf->erase(0, total);
  requests_.fetch_add(1);
  return true;
}

bool BadReceiver::SendAll(int fd, const char* data, size_t n) {
  while (n > 0) {
    if (stopping_.load()) return false;
    if (!PollFd(fd, POLLOUT)) continue;
    ssize_t w = send(fd, data, n, MSG_NOSIGNAL);
    if (w < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (w <= 0) return false;
    bytes_sent_.fetch_add(w);
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

void BadReceiver::HoldUntilClosed(int fd) {
  char sink[4096];
  while (!stopping_.load()) {
    if (!PollFd(fd, POLLIN)) continue;
    if (recv(fd, sink, sizeof sink, 0) <= 0) return;  // the peer gave up
  }
}

void BadReceiver::Serve(int fd) {
  std::string buf;
  while (ReadRequest(fd, &buf)) {
    switch (mode_) {
      case Mode::kHang:
        HoldUntilClosed(fd);
        return;
      case Mode::kReset: {
        linger lg{1, 0};  // close() then sends RST instead of FIN
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        return;
      }
      case Mode::kSlow: {
        static const std::string kReply =
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
            "7\r\n\r\nsuccess";
        for (char c : kReply) {
          if (!SendAll(fd, &c, 1)) return;
          for (int waited = 0; waited < kSlowByteMs; waited += 20) {
            if (stopping_.load()) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
          }
        }
        break;
      }
      case Mode::kStatus5xx: {
        static const std::string kReply =
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
            "Content-Length: 11\r\n\r\nunavailable";
        if (!SendAll(fd, kReply.data(), kReply.size())) return;
        break;
      }
      case Mode::kGarbage: {
        static const std::string kReply =
            "\x16\x03\x01 this is not HTTP at all \xff\xfe\x00\x01\r\n\r\n<<<>>>";
        SendAll(fd, kReply.data(), kReply.size());
        return;
      }
      case Mode::kHeaderFlood: {
        static const std::string kStatus = "HTTP/1.1 200 OK\r\n";
        if (!SendAll(fd, kStatus.data(), kStatus.size())) return;
        std::string block;
        for (int i = 0; i < 256; ++i) block += "X-Flood-" + std::to_string(i) + ": xxxxxxxxxxxxxxxx\r\n";
        while (!stopping_.load()) {
          if (!SendAll(fd, block.data(), block.size())) return;
          bytes_sent_.fetch_add(static_cast<int64_t>(block.size()));
        }
        return;
      }
      case Mode::kRedirect: {
        const std::string reply =
            "HTTP/1.1 302 Found\r\nLocation: " + redirect_to_ + "\r\nContent-Length: 0\r\n\r\n";
        if (!SendAll(fd, reply.data(), reply.size())) return;
        break;
      }
      case Mode::kHuge: {
        const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                                 std::to_string(kHugeBytes) + "\r\n\r\nsuccess";
        if (!SendAll(fd, head.data(), head.size())) return;
        static const std::string kChunk(64 * 1024, 'x');
        for (int64_t sent = 7; sent < kHugeBytes; sent += static_cast<int64_t>(kChunk.size())) {
          const size_t n = static_cast<size_t>(
              std::min<int64_t>(static_cast<int64_t>(kChunk.size()), kHugeBytes - sent));
          if (!SendAll(fd, kChunk.data(), n)) return;  // tock hung up: expected
        }
        break;
      }
    }
  }
}

}  // namespace tock::testing
