#include "fast_receiver.h"

#include <sys/socket.h>
#include <unistd.h>

#include "bench_util.h"

namespace tock::bench {

FastReceiver::FastReceiver(int threads) {
  server_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server_.set_tcp_nodelay(true);
  server_.set_keep_alive_max_count(1000000000);
  server_.set_keep_alive_timeout(60);
  server_.set_read_timeout(60, 0);
  server_.set_write_timeout(30, 0);
  server_.Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
    Handle(req, res);
  });
  // httplib 0.11.4 listens with a backlog of 5 (CPPHTTPLIB_LISTEN_BACKLOG, compiled into the
  // shared libhttplib): when tock opens its 32 connections at the start of a burst, the accept
  // queue overflows and some handshakes stall ~1 s and fail. Keep the fd and listen again
  // with a deep backlog (Linux lets listen() resize the queue of a listening socket).
  server_.set_socket_options([this](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_fd_ = sock;
  });
  Reset(0);
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

FastReceiver::~FastReceiver() {
  server_.stop();
  if (thread_.joinable()) thread_.join();
}

void FastReceiver::Reset(size_t n) {
  n_ = n;
  first_us_.reset(new std::atomic<int64_t>[n]);
  scheduled_ms_.reset(new std::atomic<int64_t>[n]);
  hits_.reset(new std::atomic<uint32_t>[n]);
  for (size_t i = 0; i < n; ++i) {
    first_us_[i].store(0, std::memory_order_relaxed);
    scheduled_ms_[i].store(0, std::memory_order_relaxed);
    hits_[i].store(0, std::memory_order_relaxed);
  }
  arrivals_ = 0;
  distinct_ = 0;
  unknown_ = 0;
  retries_ = 0;
  last_first_us_ = 0;
}

void FastReceiver::Handle(const httplib::Request& req, httplib::Response& res) {
  // httplib has read the whole request by now; the arrival is taken before any parsing.
  const int64_t now_us = WallNowUs();
  arrivals_.fetch_add(1, std::memory_order_relaxed);
  res.set_content("success", "text/plain");

  // Body: {"data":{"i":N},"taskId":..,"taskNo":"..","name":"..","attempt":k,"scheduledAt":ms}
  std::string_view body = req.body;
  int64_t slot = -1, scheduled = 0, attempt = 1;
  size_t data = body.find("\"data\":");
  if (data == std::string_view::npos || !FindJsonInt(body.substr(data), "i", &slot) ||
      slot < 0 || static_cast<size_t>(slot) >= n_ ||
      !FindJsonInt(body, "scheduledAt", &scheduled)) {
    unknown_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (FindJsonInt(body, "attempt", &attempt) && attempt > 1) {
    retries_.fetch_add(1, std::memory_order_relaxed);
  }
  if (hits_[slot].fetch_add(1, std::memory_order_acq_rel) == 0) {
    scheduled_ms_[slot].store(scheduled, std::memory_order_relaxed);
    first_us_[slot].store(now_us, std::memory_order_release);
    distinct_.fetch_add(1, std::memory_order_relaxed);
    int64_t prev = last_first_us_.load(std::memory_order_relaxed);
    while (prev < now_us && !last_first_us_.compare_exchange_weak(prev, now_us)) {
    }
  }
}

}  // namespace tock::bench
