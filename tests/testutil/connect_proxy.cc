#include "testutil/connect_proxy.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "testutil/socket_io.h"

namespace tock::testing {
namespace {

bool SendAll(int fd, const char* data, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, data, n, MSG_NOSIGNAL);
    if (w <= 0) return false;
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

int ConnectTo(const std::string& host, const std::string& port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0) return -1;
  int fd = -1;
  for (addrinfo* a = res; a != nullptr && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  return fd;
}

}  // namespace

ConnectProxy::ConnectProxy() {
  int port = 0;
  listen_fd_ = ListenLoopback(64, /*nonblocking=*/false, &port);
  if (listen_fd_ < 0) return;
  port_ = port;
  accept_thread_ = std::thread([this] { AcceptLoop(); });
}

std::vector<std::string> ConnectProxy::targets() const {
  std::lock_guard<std::mutex> l(mu_);
  return targets_;
}

void ConnectProxy::Stop() {
  if (stopping_.exchange(true)) return;
  if (listen_fd_ >= 0) shutdown(listen_fd_, SHUT_RDWR);
  if (accept_thread_.joinable()) accept_thread_.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (int fd : fds_) shutdown(fd, SHUT_RDWR);
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
  std::lock_guard<std::mutex> l(mu_);
  for (int fd : fds_) close(fd);
  fds_.clear();
  if (listen_fd_ >= 0) close(listen_fd_);
  listen_fd_ = -1;
}

void ConnectProxy::AcceptLoop() {
  for (;;) {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    std::lock_guard<std::mutex> l(mu_);
    if (stopping_.load()) {
      close(fd);
      return;
    }
    fds_.push_back(fd);
    threads_.emplace_back([this, fd] { Serve(fd); });
  }
}

void ConnectProxy::Serve(int client) {
  std::string head;
  char buf[16384];
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < 16384) {
    ssize_t n = recv(client, buf, sizeof buf, 0);
    if (n <= 0) return;
    head.append(buf, static_cast<size_t>(n));
  }
  const size_t sp1 = head.find(' ');
  const size_t sp2 = head.find(' ', sp1 + 1);
  if (head.compare(0, 8, "CONNECT ") != 0 || sp2 == std::string::npos) {
    static const char kNo[] = "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n";
    SendAll(client, kNo, sizeof kNo - 1);
    return;
  }
  const std::string target = head.substr(sp1 + 1, sp2 - sp1 - 1);
  {
    std::lock_guard<std::mutex> l(mu_);
    targets_.push_back(target);
  }
  const size_t colon = target.rfind(':');
  std::string host = target.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  const int upstream = ConnectTo(host, target.substr(colon + 1));
  if (upstream < 0) {
    static const char kBad[] = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n";
    SendAll(client, kBad, sizeof kBad - 1);
    return;
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    fds_.push_back(upstream);
  }
  static const char kOk[] = "HTTP/1.1 200 Connection established\r\n\r\n";
  if (!SendAll(client, kOk, sizeof kOk - 1)) return;
  // Bytes after the CONNECT head (a client that did not wait) go upstream first.
  const std::string early = head.substr(head.find("\r\n\r\n") + 4);
  if (!early.empty() && !SendAll(upstream, early.data(), early.size())) return;
  pollfd p[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
  while (!stopping_.load()) {
    if (poll(p, 2, 200) < 0) return;
    for (int i = 0; i < 2; ++i) {
      if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = recv(p[i].fd, buf, sizeof buf, 0);
      if (n <= 0 || !SendAll(p[1 - i].fd, buf, static_cast<size_t>(n))) {
        shutdown(client, SHUT_RDWR);
        shutdown(upstream, SHUT_RDWR);
        return;
      }
    }
  }
}

}  // namespace tock::testing
