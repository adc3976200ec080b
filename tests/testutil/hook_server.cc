#include "testutil/hook_server.h"

#include "common/clock.h"
#include "testutil/socket_io.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <time.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <deque>
#include <string_view>
#include <unordered_map>

namespace tock::testing {
namespace {

constexpr size_t kMaxHead = 64 << 10;
constexpr size_t kMaxBody = 64 << 20;

struct Conn {
  std::string in;   // bytes read and not yet parsed
  std::string out;  // response bytes not yet sent
  bool close_after_out = false;
  bool want_write = false;  // EPOLLOUT registered
  uint64_t generation = 0;  // tells a reused fd number from the connection it was
  int64_t received_wall_ms = 0;  // kernel receive time of the last bytes read (if stamped)
};

// Answers held back by the latency setting, in due order (one latency for all: FIFO).
struct Delayed {
  int fd;
  uint64_t generation;
  int64_t due_us;
  std::string bytes;
  bool close;
  int64_t requests;
};

// When the kernel took in the last bytes now readable on fd (wall ms): now minus TCP_INFO's
// tcpi_last_data_recv, which counts in jiffies (a few ms coarse). 0 if unknown.
int64_t KernelReceiveWallMs(int fd) {
  tcp_info ti{};
  socklen_t len = sizeof ti;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0) return 0;
  return SystemClock::Instance().WallMs() - static_cast<int64_t>(ti.tcpi_last_data_recv);
}

int64_t NowUs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

void AppendResponse(const httplib::Response& res, bool close, std::string* out) {
  const int status = res.status > 0 ? res.status : 200;
  *out += "HTTP/1.1 " + std::to_string(status) + (status < 400 ? " OK\r\n" : " Error\r\n");
  for (const auto& [name, value] : res.headers) {
    if (EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Connection")) {
      continue;
    }
    *out += name + ": " + value + "\r\n";
  }
  *out += "Content-Length: " + std::to_string(res.body.size()) + "\r\n";
  if (close) *out += "Connection: close\r\n";
  *out += "\r\n";
  *out += res.body;
}

// Parses and answers every complete request at the front of c->in. False: close now.
bool ServeBuffered(Conn* c, const httplib::Server::Handler& handler, int64_t* served) {
  for (;;) {
    const size_t head_end = c->in.find("\r\n\r\n");
    if (head_end == std::string::npos) return c->in.size() <= kMaxHead;
    std::string_view head(c->in.data(), head_end);
    httplib::Request req;
    size_t line_end = head.find("\r\n");
    std::string_view line = head.substr(0, line_end);
    const size_t sp1 = line.find(' ');
    const size_t sp2 = line.rfind(' ');
    if (sp1 == std::string_view::npos || sp2 <= sp1) return false;
    req.method = std::string(line.substr(0, sp1));
    req.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
    req.path = req.target.substr(0, req.target.find('?'));
    req.version = std::string(line.substr(sp2 + 1));
    size_t body_len = 0;
    bool close = req.version == "HTTP/1.0";
    while (line_end != std::string_view::npos) {
      const size_t start = line_end + 2;
      line_end = head.find("\r\n", start);
      line = head.substr(start, line_end == std::string_view::npos ? std::string_view::npos
                                                                   : line_end - start);
      const size_t colon = line.find(':');
      if (colon == std::string_view::npos) return false;
      std::string_view name = Trim(line.substr(0, colon));
      std::string_view value = Trim(line.substr(colon + 1));
      if (EqualsIgnoreCase(name, "Content-Length")) {
        body_len = std::strtoull(std::string(value).c_str(), nullptr, 10);
        if (body_len > kMaxBody) return false;
      } else if (EqualsIgnoreCase(name, "Transfer-Encoding")) {
        httplib::Response res;
        res.status = 411;
        AppendResponse(res, /*close=*/true, &c->out);
        c->close_after_out = true;
        c->in.clear();
        return true;
      } else if (EqualsIgnoreCase(name, "Connection")) {
        close = EqualsIgnoreCase(value, "close");
      }
      req.headers.emplace(std::string(name), std::string(value));
    }
    const size_t total = head_end + 4 + body_len;
    if (c->in.size() < total) return true;  // the body is still arriving
    req.body.assign(c->in, head_end + 4, body_len);
    c->in.erase(0, total);
    if (c->received_wall_ms > 0) {
      req.headers.emplace(HookServer::kReceivedHeader, std::to_string(c->received_wall_ms));
    }
    httplib::Response res;
    handler(req, res);
    ++*served;
    AppendResponse(res, close, &c->out);
    if (close) {
      c->close_after_out = true;
      c->in.clear();
      return true;
    }
  }
}

}  // namespace

void HookServer::Start(httplib::Server::Handler handler) {
  handler_ = std::move(handler);
  int port = 0;
  listen_fd_ = ListenLoopback(4096, /*nonblocking=*/true, &port);
  if (listen_fd_ < 0) return;
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listen_fd_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  ev.data.fd = wake_fd_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  port_ = port;
  thread_ = std::thread([this] { Loop(); });
}

void HookServer::Stop() {
  if (!thread_.joinable()) return;
  const uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof one);
  thread_.join();
  close(wake_fd_);
  close(epoll_fd_);
  close(listen_fd_);
  port_ = 0;
}

void HookServer::Loop() {
  std::unordered_map<int, Conn> conns;
  std::deque<Delayed> delayed;
  uint64_t next_generation = 1;
  auto drop = [&](int fd) {
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    close(fd);
    conns.erase(fd);
  };
  // Sends what is pending; registers for EPOLLOUT when the socket is full. False: closed.
  auto flush = [&](int fd, Conn& c) {
    if (!SendAvailable(fd, &c.out)) {
      drop(fd);
      return false;
    }
    if (c.out.empty() && c.close_after_out) {
      drop(fd);
      return false;
    }
    const bool want_write = !c.out.empty();
    if (want_write != c.want_write) {
      epoll_event ev{};
      ev.events = EPOLLIN | (want_write ? EPOLLOUT : 0u);
      ev.data.fd = fd;
      epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
      c.want_write = want_write;
    }
    return true;
  };

  // Sends the held-back answers that are due; returns the wait until the next, or -1.
  auto release = [&]() -> int {
    const int64_t now = NowUs();
    while (!delayed.empty() && delayed.front().due_us <= now) {
      Delayed d = std::move(delayed.front());
      delayed.pop_front();
      pending_.fetch_sub(d.requests);
      auto it = conns.find(d.fd);
      if (it == conns.end() || it->second.generation != d.generation) continue;  // gone
      it->second.out += d.bytes;
      it->second.close_after_out = it->second.close_after_out || d.close;
      flush(d.fd, it->second);
    }
    if (delayed.empty()) return -1;
    return static_cast<int>((delayed.front().due_us - now + 999) / 1000);
  };

  epoll_event events[256];
  for (;;) {
    int n = epoll_wait(epoll_fd_, events, 256, release());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == wake_fd_) {
        for (auto& [cfd, c] : conns) close(cfd);
        return;
      }
      if (fd == listen_fd_) {
        for (;;) {
          int cfd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (cfd < 0) break;
          int yes = 1;
          setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
          epoll_event ev{};
          ev.events = EPOLLIN;
          ev.data.fd = cfd;
          epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, cfd, &ev);
          conns[cfd] = Conn();
          conns[cfd].generation = next_generation++;
        }
        continue;
      }
      auto it = conns.find(fd);
      if (it == conns.end()) continue;
      Conn& c = it->second;
      if ((events[i].events & EPOLLOUT) && !flush(fd, c)) continue;
      if (!(events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
      const bool closed = !ReadAvailable(fd, &c.in);  // end of stream or error
      if (stamp_receive_times_ && !closed) c.received_wall_ms = KernelReceiveWallMs(fd);
      const size_t before = c.out.size();
      const bool close_before = c.close_after_out;
      int64_t served = 0;
      if (closed || !ServeBuffered(&c, handler_, &served)) {
        drop(fd);
        continue;
      }
      const int latency = latency_ms_.load();
      if (latency > 0 && served > 0) {
        // Held back: the new answers leave the connection's buffer for the delayed queue.
        Delayed d{fd, c.generation, NowUs() + latency * 1000LL, c.out.substr(before),
                  c.close_after_out && !close_before, served};
        c.out.resize(before);
        c.close_after_out = close_before;
        const int64_t now_pending = pending_.fetch_add(served) + served;
        int64_t seen = max_pending_.load();
        while (now_pending > seen && !max_pending_.compare_exchange_weak(seen, now_pending)) {
        }
        delayed.push_back(std::move(d));
        continue;
      }
      flush(fd, c);
    }
  }
}

}  // namespace tock::testing
