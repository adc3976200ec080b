// ClientPool: the driver's n keep-alive HTTP/1.1 connections to tock, all driven by one epoll
// loop on the calling thread, with at most one request in flight per connection: the load of
// n blocking clients, without n client threads competing with tock for the 2 cores (the
// driver, the receiver and tock share them, so what the driver burns is not measured as
// tock's but is taken from it).
//
//   ClientPool pool("127.0.0.1", {port}, 64, {{"Authorization", "Basic ..."}});
//   pool.Run([&](int conn, ClientPool::Call* call) { ...fill call; return more; },
//            [&](int conn, const ClientPool::Call& call, const ClientPool::Answer& a) {...});
//
// With several ports (the nodes of a tock on PostgreSQL), connection i goes to
// ports[i % ports.size()]: the load spread evenly, as a load balancer would.
//
// Each request goes out in one send (head and body together); answers must carry a
// Content-Length (tock's do). A connection that the server closed while idle (tock closes
// idle keep-alive connections) is reopened and its request sent again, once.
//
// Thread-safety: one thread uses a pool; Run's callbacks run on that thread.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace tock::bench {

class ClientPool {
 public:
  struct Call {
    std::string method = "POST";
    std::string path;
    std::string body;  // sent as application/json when not empty
  };
  struct Answer {
    int status = 0;     // 0: no answer (error says why)
    std::string body;
    std::string error;
  };
  using NextFn = std::function<bool(int conn, Call* call)>;
  using DoneFn = std::function<void(int conn, const Call& call, const Answer& answer)>;

  // REQUIRES: !ports.empty().
  ClientPool(std::string host, std::vector<int> ports, int n,
             std::vector<std::pair<std::string, std::string>> headers);
  ~ClientPool();
  ClientPool(const ClientPool&) = delete;
  ClientPool& operator=(const ClientPool&) = delete;

  int size() const { return static_cast<int>(fds_.size()); }

  // Sends next(conn)'s calls on the first `max_conns` connections (0: all), one in flight per
  // connection, and passes each answer to done(). A connection stops when next() returns
  // false for it; Run returns when all have stopped and their last answers are in. Requests
  // unanswered after `timeout_ms` fail with status 0.
  void Run(const NextFn& next, const DoneFn& done, int max_conns = 0, int timeout_ms = 60000);

 private:
  const std::string host_;
  const std::vector<int> ports_;
  std::string fixed_headers_;  // "Host: ...\r\n" + the given headers, each "\r\n"-terminated
  std::vector<int> fds_;       // -1: not open (opened at the next Run)
};

}  // namespace tock::bench
