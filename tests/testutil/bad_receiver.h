// BadReceiver: a callback target on 127.0.0.1 (port 0) that misbehaves in one chosen way, for
// the fault suite (tools/faults and tests/integration_faults). Plain sockets, no HTTP library,
// so it can do what a well-behaved server never would:
//
//   kHang      reads the request, then never answers (holds the connection open)
//   kReset     reads the request, then resets the connection (SO_LINGER 0: RST, no answer)
//   kSlow      answers 200 "success", but trickles the response one byte every 200 ms
//   kStatus5xx answers 503 with a short body
//   kGarbage   answers bytes that are not HTTP, then closes
//   kRedirect  answers 302 with a Location header (tock must not follow it)
//   kHuge      answers 200 with a 100 MiB body (Content-Length), streamed as fast as the
//              reader takes it; stops when the peer closes
//   kHeaderFlood answers "HTTP/1.1 200 OK" and then header lines without end, as fast as
//              the reader takes them; stops when the peer closes
//
//   BadReceiver hang(BadReceiver::Mode::kHang);
//   REQUIRE(hang.ok());
//   ... app linkUrl = hang.Url() ...
//   hang.requests();   // request heads read so far
//
// Owns a listening socket, an accept thread and one thread per connection (a hanging
// connection holds its thread until Stop). Stop() (or the destructor) shuts every socket
// down and joins every thread, so it is bounded however the peer behaves.
// Thread-safety: every public method may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tock::testing {

class BadReceiver {
 public:
  enum class Mode { kHang, kReset, kSlow, kStatus5xx, kGarbage, kRedirect, kHuge, kHeaderFlood };
  static const char* ModeName(Mode mode);

  explicit BadReceiver(Mode mode, std::string redirect_to = "http://127.0.0.1:1/elsewhere");
  ~BadReceiver();
  BadReceiver(const BadReceiver&) = delete;
  BadReceiver& operator=(const BadReceiver&) = delete;

  bool ok() const { return port_ > 0; }
  int port() const { return port_; }
  Mode mode() const { return mode_; }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }

  // Complete request heads read (one per POST tock made here).
  int64_t requests() const { return requests_.load(); }
  int64_t connections() const { return connections_.load(); }
  // Response bytes written (kHuge: how much of the 100 MiB tock read before it
  // hung up).
  int64_t bytes_sent() const { return bytes_sent_.load(); }

  // Closes the listener and every connection, joins every thread. Idempotent.
  void Stop();

 private:
  void AcceptLoop();
  void Serve(int fd);
  // Reads one request (head and Content-Length body) through *buf, which keeps
  // bytes of the next request; false if the peer went away or Stop() was
  // called.
  bool ReadRequest(int fd, std::string* buf);
  // Writes everything (false on error or Stop); counts bytes_sent_.
  bool SendAll(int fd, const char* data, size_t n);
  // Waits until Stop() or the peer closes the connection.
  void HoldUntilClosed(int fd);
  // Joins connection threads that have finished. REQUIRES: mu_ held.
  void ReapLocked();

  struct Conn {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };

  const Mode mode_;
  const std::string redirect_to_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> requests_{0};
  std::atomic<int64_t> connections_{0};
  std::atomic<int64_t> bytes_sent_{0};
  std::thread accept_thread_;

  std::mutex mu_;
  std::vector<int> fds_;     // GUARDED_BY(mu_): open connections
  std::vector<Conn> conns_;  // GUARDED_BY(mu_)
};

}  // namespace tock::testing
