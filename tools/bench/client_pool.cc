#include "client_pool.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "bench_util.h"
#include "testutil/socket_io.h"

namespace tock::bench {
namespace {

// The Content-Length of a response head (0 when absent: tock's bodiless answers).
size_t ContentLength(std::string_view head) {
  size_t pos = 0;
  while ((pos = head.find("\r\n", pos)) != std::string_view::npos) {
    pos += 2;
    static constexpr std::string_view kName = "content-length:";
    if (head.size() - pos < kName.size()) break;
    bool match = true;
    for (size_t i = 0; i < kName.size() && match; ++i) {
      match = std::tolower(static_cast<unsigned char>(head[pos + i])) == kName[i];
    }
    if (match) return std::strtoull(head.data() + pos + kName.size(), nullptr, 10);
  }
  return 0;
}

struct ConnState {
  bool active = false;     // next() may still give calls
  bool in_flight = false;  // a call is out, its answer not complete
  bool retried = false;    // the call was sent again on a new connection
  bool want_write = false;
  ClientPool::Call call;
  std::string out;  // request bytes not yet sent
  std::string in;   // answer bytes so far
  int64_t deadline_us = 0;
};

int Connect(const std::string& host, int port, std::string* error) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (fd < 0 || inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1 ||
      connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    *error = std::string("connect: ") + std::strerror(errno);
    if (fd >= 0) close(fd);
    return -1;
  }
  int yes = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

// One ClientPool::Run: the loop and the per-connection steps.
class Runner {
 public:
  Runner(const std::string& host, const std::vector<int>& ports, const std::string& fixed_headers,
         std::vector<int>& fds, int n, const ClientPool::NextFn& next,
         const ClientPool::DoneFn& done, int timeout_ms)
      : host_(host), ports_(ports), fixed_headers_(fixed_headers), fds_(fds), st_(n),
        next_(next), done_(done), timeout_us_(int64_t{timeout_ms} * 1000),
        ep_(epoll_create1(EPOLL_CLOEXEC)) {}
  ~Runner() { close(ep_); }  // deregisters every connection; they stay open for the next Run

  void Run() {
    for (size_t i = 0; i < st_.size(); ++i) {
      if (fds_[i] >= 0) Register(static_cast<int>(i));
      st_[i].active = true;
      Start(static_cast<int>(i));
    }
    epoll_event events[64];
    while (AnyInFlight()) {
      const int k = epoll_wait(ep_, events, 64, 100);
      for (int e = 0; e < k; ++e) {
        const int i = static_cast<int>(events[e].data.u32);
        if (fds_[i] < 0) continue;  // dropped earlier in this round
        if ((events[e].events & EPOLLOUT) && st_[i].in_flight && !Flush(i)) {
          Failed(i, std::string("send: ") + std::strerror(errno));
          continue;
        }
        if (events[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) OnReadable(i);
      }
      const int64_t now = MonoNowUs();
      for (size_t i = 0; i < st_.size(); ++i) {
        if (st_[i].in_flight && now > st_[i].deadline_us) {
          Drop(static_cast<int>(i));
          Finish(static_cast<int>(i), {0, "", "no answer within the timeout"});
        }
      }
    }
  }

 private:
  bool AnyInFlight() const {
    for (const ConnState& s : st_) {
      if (s.in_flight) return true;
    }
    return false;
  }

  void Register(int i) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<uint32_t>(i);
    epoll_ctl(ep_, EPOLL_CTL_ADD, fds_[i], &ev);
    st_[i].want_write = false;
  }

  void Watch(int i, bool want_write) {
    epoll_event ev{};
    ev.events = EPOLLIN | (want_write ? EPOLLOUT : 0u);
    ev.data.u32 = static_cast<uint32_t>(i);
    epoll_ctl(ep_, EPOLL_CTL_MOD, fds_[i], &ev);
    st_[i].want_write = want_write;
  }

  void Drop(int i) {
    if (fds_[i] < 0) return;
    epoll_ctl(ep_, EPOLL_CTL_DEL, fds_[i], nullptr);
    close(fds_[i]);
    fds_[i] = -1;
  }

  // Asks next() for i's next call and sends it, or retires the connection.
  void Start(int i) {
    ConnState& s = st_[i];
    s.call = ClientPool::Call{};
    if (!s.active || !next_(i, &s.call)) {
      s.active = false;
      return;
    }
    s.in_flight = true;
    s.retried = false;
    s.in.clear();
    s.deadline_us = MonoNowUs() + timeout_us_;
    Send(i);
  }

  // Sends s.call on i, opening the connection first if needed.
  void Send(int i) {
    ConnState& s = st_[i];
    if (fds_[i] < 0) {
      std::string error;
      fds_[i] = Connect(host_, ports_[static_cast<size_t>(i) % ports_.size()], &error);
      if (fds_[i] < 0) return Finish(i, {0, "", error});
      Register(i);
    }
    s.out = s.call.method + " " + s.call.path + " HTTP/1.1\r\n" + fixed_headers_;
    if (!s.call.body.empty()) {
      s.out += "Content-Type: application/json\r\nContent-Length: " +
               std::to_string(s.call.body.size()) + "\r\n";
    }
    s.out += "\r\n";
    s.out += s.call.body;
    if (!Flush(i)) Failed(i, std::string("send: ") + std::strerror(errno));
  }

  // Sends what is pending on i; false when the connection failed.
  bool Flush(int i) {
    ConnState& s = st_[i];
    if (!testing::SendAvailable(fds_[i], &s.out)) return false;
    if (s.out.empty() == s.want_write) Watch(i, !s.out.empty());
    return true;
  }

  void OnReadable(int i) {
    ConnState& s = st_[i];
    const bool eof = !testing::ReadAvailable(fds_[i], &s.in);
    if (!s.in_flight) {  // an idle connection the server closed (or garbage): reopen later
      if (eof || !s.in.empty()) Drop(i);
      s.in.clear();
      return;
    }
    const size_t head_end = s.in.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      const size_t len = ContentLength(std::string_view(s.in.data(), head_end));
      if (s.in.size() >= head_end + 4 + len) {
        const int status = s.in.size() > 12 ? std::atoi(s.in.c_str() + 9) : 0;
        return Finish(i, {status, s.in.substr(head_end + 4, len), ""});
      }
    }
    if (eof) Failed(i, "connection closed before the whole answer");
  }

  // i failed with a call out: sent again once on a new connection if nothing of the answer
  // came (the server had closed the connection while it was idle); else the call fails.
  void Failed(int i, std::string why) {
    ConnState& s = st_[i];
    Drop(i);
    if (!s.in_flight) return;
    if (!s.retried && s.in.empty()) {
      s.retried = true;
      return Send(i);
    }
    Finish(i, {0, "", std::move(why)});
  }

  void Finish(int i, ClientPool::Answer a) {
    ConnState& s = st_[i];
    s.in_flight = false;
    s.in.clear();
    done_(i, s.call, a);
    Start(i);
  }

  const std::string& host_;
  const std::vector<int>& ports_;
  const std::string& fixed_headers_;
  std::vector<int>& fds_;
  std::vector<ConnState> st_;
  const ClientPool::NextFn& next_;
  const ClientPool::DoneFn& done_;
  const int64_t timeout_us_;
  const int ep_;
};

}  // namespace

ClientPool::ClientPool(std::string host, std::vector<int> ports, int n,
                       std::vector<std::pair<std::string, std::string>> headers)
    : host_(std::move(host)), ports_(std::move(ports)), fds_(static_cast<size_t>(n), -1) {
  // Without the port: one header for every node (tock does not route by Host).
  fixed_headers_ = "Host: " + host_ + "\r\n";
  for (const auto& [k, v] : headers) fixed_headers_ += k + ": " + v + "\r\n";
}

ClientPool::~ClientPool() {
  for (int fd : fds_) {
    if (fd >= 0) close(fd);
  }
}

void ClientPool::Run(const NextFn& next, const DoneFn& done, int max_conns, int timeout_ms) {
  const int n = max_conns > 0 ? std::min(max_conns, size()) : size();
  Runner(host_, ports_, fixed_headers_, fds_, n, next, done, timeout_ms).Run();
}

}  // namespace tock::bench
