#include "hook_server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <utility>

namespace tock::bench {

void HookServer::Start(int threads, int keep_alive_timeout_s, httplib::Server::Handler handler) {
  server_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server_.set_tcp_nodelay(true);
  server_.set_keep_alive_max_count(1000000000);
  server_.set_keep_alive_timeout(keep_alive_timeout_s);
  server_.set_read_timeout(60, 0);
  server_.set_write_timeout(30, 0);
  server_.Post(".*", std::move(handler));
  // httplib 0.11.4 listens with a backlog of 5 (CPPHTTPLIB_LISTEN_BACKLOG, compiled into the
  // shared libhttplib): when tock opens its 32 connections at the start of a burst, the accept
  // queue overflows and some handshakes stall ~1 s and fail. Keep the fd and listen again
  // with a deep backlog (Linux lets listen() resize the queue of a listening socket).
  server_.set_socket_options([this](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_fd_ = sock;
  });
  port_ = server_.bind_to_any_port("127.0.0.1");
  if (port_ <= 0) {
    port_ = 0;
    return;
  }
  if (listen_fd_ >= 0) ::listen(listen_fd_, SOMAXCONN);
  // bind_to_any_port() already listens: connections wait in the backlog until the loop runs.
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  // stop() is a no-op until the loop runs (httplib 0.11.4 checks is_running()), so a
  // destructor that came too early would join a thread that never ends: wait for it.
  for (int i = 0; i < 5000 && !server_.is_running(); ++i) usleep(1000);
}

HookServer::~HookServer() {
  server_.stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace tock::bench
