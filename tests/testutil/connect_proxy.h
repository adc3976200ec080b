// ConnectProxy: a tiny HTTP CONNECT proxy on 127.0.0.1 (port 0), for the tests of
// --callback-proxy. It answers "CONNECT host:port" with 200, then relays bytes both ways
// until either side closes; anything else gets 405. Every CONNECT target is recorded.
//
// One thread accepts and one thread per connection relays (tests make a handful). Stop()
// (or the destructor) shuts every socket down and joins every thread.
// Thread-safety: every public method may be called from any thread.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tock::testing {

class ConnectProxy {
 public:
  ConnectProxy();
  ~ConnectProxy() { Stop(); }
  ConnectProxy(const ConnectProxy&) = delete;
  ConnectProxy& operator=(const ConnectProxy&) = delete;

  bool ok() const { return port_ > 0; }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // "host:port" of every CONNECT, in arrival order.
  std::vector<std::string> targets() const;
  void Stop();

 private:
  void AcceptLoop();
  void Serve(int fd);

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::vector<std::string> targets_;  // GUARDED_BY(mu_)
  std::vector<int> fds_;              // GUARDED_BY(mu_): every socket, to shut down at Stop
  std::vector<std::thread> threads_;  // GUARDED_BY(mu_)
  std::thread accept_thread_;
};

}  // namespace tock::testing
