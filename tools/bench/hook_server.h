// HookServer: the HTTP server under the in-process callback targets of the drivers
// (bench::FastReceiver, faults::Recorder). An httplib server on 127.0.0.1 (port 0) with a fixed
// pool of `threads` httplib threads (one per keep-alive connection from tock), tcp_nodelay,
// unlimited keep-alive requests, a deep listen backlog, and every POST passed to one handler.
//
// Owned by its receiver, declared as the receiver's last member so that it is destroyed first:
// the destructor stops the server and joins its thread before the state the handler touches
// goes away. Thread-safety: Start() once, from the owner's constructor; the rest from any thread.
#pragma once

#include <httplib.h>

#include <string>
#include <thread>

namespace tock::bench {

class HookServer {
 public:
  HookServer() = default;
  ~HookServer();
  HookServer(const HookServer&) = delete;
  HookServer& operator=(const HookServer&) = delete;

  // Binds 127.0.0.1:0 and serves POSTs with handler on a pool of `threads`, keeping idle
  // connections keep_alive_timeout_s seconds. On a failed bind ok() stays false.
  void Start(int threads, int keep_alive_timeout_s, httplib::Server::Handler handler);

  bool ok() const { return port_ > 0; }
  int port() const { return port_; }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  int listen_fd_ = -1;  // the listening socket (see Start)
};

}  // namespace tock::bench
