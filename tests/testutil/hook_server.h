// HookServer: the HTTP server under the callback targets of the bench (bench::FastReceiver),
// the fault suite (faults::Recorder) and the delivery tests: a minimal HTTP/1.1 server on 127.0.0.1 (port 0) run by one epoll thread,
// passing every request to one handler.
//
// Why not httplib's server: the receiver shares the 2 cores with tock, and httplib's
// thread-per-connection model costs the receiver a wake-up and a poll() per read and write
// of every callback, CPU that the benchmark then does not give to tock. One thread that
// reads every ready connection per epoll_wait costs a recv and a send per callback.
//
// What it speaks: requests with a Content-Length body (or none), keep-alive (HTTP/1.1
// default; "Connection: close" honoured), pipelining. Not chunked request bodies (answered
// 411 and closed), not TLS. Request heads over 64 KiB or bodies over 64 MiB close the
// connection. Header names are kept as sent; httplib::Request's lookup ignores case.
//
// Owned by its receiver, declared as the receiver's last member so that it is destroyed first:
// the destructor stops the loop before the state the handler touches goes away.
// Thread-safety: Start() once, from the owner's constructor; the handler runs on the loop
// thread only, one request at a time; Stop() (or the destructor) from the owner.
#pragma once

#include <httplib.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

namespace tock::testing {

class HookServer {
 public:
  HookServer() = default;
  ~HookServer() { Stop(); }
  HookServer(const HookServer&) = delete;
  HookServer& operator=(const HookServer&) = delete;

  // Before Start(): every request gets a header kReceivedHeader, the wall ms at which the
  // kernel received its last bytes (TCP_INFO; a few ms coarse). It tells when the sender
  // sent it, however far behind this loop runs (on loopback a send lands in the receiving
  // socket at once): the fault suite's check of what a killed tock had sent before it died.
  // Costs a getsockopt per read, so only where asked.
  static constexpr const char* kReceivedHeader = "Hook-Received-Ms";
  void StampReceiveTimes() { stamp_receive_times_ = true; }

  // Binds 127.0.0.1:0 (listen backlog 4096: tock opens its connections all at once at the
  // start of a burst) and starts the loop thread. On failure ok() stays false.
  void Start(httplib::Server::Handler handler);
  // Closes every connection and joins the loop thread. Idempotent.
  void Stop();

  // Every answer goes out this long after its request was read (0: at once): a receiver that
  // takes that long to answer, without a thread per request. Set between runs.
  void SetLatencyMs(int ms) { latency_ms_.store(ms); }
  // Requests read and not yet answered: now, and the most at once since ResetMaxPending().
  int64_t pending() const { return pending_.load(); }
  int64_t max_pending() const { return max_pending_.load(); }
  void ResetMaxPending() { max_pending_.store(pending_.load()); }

  bool ok() const { return port_ > 0; }
  int port() const { return port_; }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }

 private:
  void Loop();

  httplib::Server::Handler handler_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: Stop() wakes the loop
  int port_ = 0;
  bool stamp_receive_times_ = false;  // set before Start(), read by the loop thread
  std::atomic<int> latency_ms_{0};
  std::atomic<int64_t> pending_{0};
  std::atomic<int64_t> max_pending_{0};
  std::thread thread_;
};

}  // namespace tock::testing
