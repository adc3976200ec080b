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
//   kLongHeaderLine answers "HTTP/1.1 200 OK" and then one header line that never ends
//              (libcurl refuses a line over 100 KiB before tock's own header limits see it)
//
//   BadReceiver hang(BadReceiver::Mode::kHang);
//   REQUIRE(hang.ok());
//   ... app linkUrl = hang.Url() ...
//   hang.requests();   // request heads read so far
//
// Owns a listening socket and one epoll thread that serves every connection (timers for the
// trickle), so that a receiver holding hundreds of connections costs its process next to no
// CPU: the fault suite runs it beside tock on the same cores, and what it burns would be
// counted against tock. Stop() (or the destructor) shuts every socket down and joins the
// thread, so it is bounded however the peer behaves.
// Thread-safety: every public method may be called from any thread; the connections belong
// to the loop thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>

namespace tock::testing {

class BadReceiver {
 public:
  enum class Mode {
    kHang,
    kReset,
    kSlow,
    kStatus5xx,
    kGarbage,
    kRedirect,
    kHuge,
    kHeaderFlood,
    kLongHeaderLine
  };
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

  // Closes the listener and every connection, joins the loop thread. Idempotent.
  void Stop();

 private:
  struct Conn;
  void Loop();
  void Accept();
  // Handles an epoll event on c; false when c is to be closed.
  bool OnEvent(Conn& c, uint32_t events);
  // Answers the complete requests at the front of c.in while c is reading; false: close c.
  bool HandleRequests(Conn& c);
  // Writes c.out, refilled from the mode's stream, until the socket would block; false on
  // error.
  bool Write(Conn& c);
  // One trickle step of a kSlow connection; false: close c.
  bool Trickle(Conn& c, int64_t now_ms);
  // Sets c's epoll interest from its state.
  void Watch(Conn& c);
  void CloseConn(int fd);

  const Mode mode_;
  const std::string redirect_to_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: Stop() wakes the loop
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> requests_{0};
  std::atomic<int64_t> connections_{0};
  std::atomic<int64_t> bytes_sent_{0};
  std::thread thread_;
  std::unordered_map<int, std::unique_ptr<Conn>> conns_;  // loop thread only, by descriptor
};

}  // namespace tock::testing
