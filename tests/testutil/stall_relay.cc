#include "testutil/stall_relay.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testutil/socket_io.h"

namespace tock::testing {

StallRelay::StallRelay(int upstream_port) : upstream_port_(upstream_port) {
  int port = 0;
  listen_fd_ = ListenLoopback(64, /*nonblocking=*/false, &port);
  if (listen_fd_ < 0) return;
  port_ = port;
  accept_thread_ = std::thread([this] { AcceptLoop(); });
}

void StallRelay::Stop() {
  if (stopping_.exchange(true)) return;
  if (listen_fd_ >= 0) shutdown(listen_fd_, SHUT_RDWR);
  if (accept_thread_.joinable()) accept_thread_.join();
  if (listen_fd_ >= 0) close(listen_fd_);
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> l(mu_);
    threads.swap(threads_);
  }
  for (std::thread& t : threads) t.join();
}

void StallRelay::AcceptLoop() {
  while (!stopping_.load()) {
    const int client = accept(listen_fd_, nullptr, nullptr);
    if (client < 0) return;  // shut down
    const int upstream = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(upstream_port_));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (upstream < 0 || connect(upstream, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
      if (upstream >= 0) close(upstream);
      close(client);
      continue;
    }
    std::lock_guard<std::mutex> l(mu_);
    threads_.emplace_back([this, client, upstream] { Relay(client, upstream); });
  }
}

void StallRelay::Relay(int client, int upstream) {
  char buf[16384];
  const int fds[2] = {client, upstream};
  while (!stopping_.load()) {
    if (frozen_.load()) {
      usleep(50'000);  // hold both ends open, move nothing
      continue;
    }
    pollfd p[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
    if (poll(p, 2, 50) < 0) break;
    bool closed = false;
    for (int i = 0; i < 2 && !closed; ++i) {
      if ((p[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const ssize_t n = recv(fds[i], buf, sizeof buf, 0);
      if (n <= 0) {
        closed = true;
        break;
      }
      const char* at = buf;
      for (ssize_t left = n; left > 0;) {
        const ssize_t w = send(fds[1 - i], at, static_cast<size_t>(left), MSG_NOSIGNAL);
        if (w <= 0) {
          closed = true;
          break;
        }
        at += w;
        left -= w;
      }
    }
    if (closed) break;
  }
  close(client);
  close(upstream);
}

std::string RewritePort(const std::string& url, int port) {
  const size_t at = url.find('@');
  const size_t colon = url.find(':', at == std::string::npos ? url.find("://") + 3 : at);
  const size_t end = url.find_first_of("/?", colon);
  return url.substr(0, colon + 1) + std::to_string(port) +
         (end == std::string::npos ? std::string() : url.substr(end));
}

}  // namespace tock::testing
