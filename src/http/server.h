// Server: tock's HTTP/1.1 server. Event loops on epoll read, parse and write; handlers that
// may block run on a pool; handlers that never block run on the loop and answer later from
// any thread through a Responder.
//
// Why not cpp-httplib's server: it holds a thread per keep-alive connection, polls before
// every read and write and sends head and body separately. Measured on tock's single-task
// create (issue 5): ~4 context switches and ~10 system calls per request. Here a request
// costs one recv and one send, and a create waits for its group commit without a thread.
//
// Threads:
// - `loops` event-loop threads (Serve runs the first on the calling thread). Each accepts
//   from the shared listener and owns the connections it accepted: their buffers, parsing,
//   timeouts and writes are touched only by that thread.
// - `handler_threads` pool threads run blocking Handlers. The Request they read belongs to
//   the connection, which neither reads nor parses while its request is being handled.
// - Responder::Send may be called from any thread; it posts the response to the owning
//   loop's inbox (an eventfd wakes the loop).
//
// Connection rules: one request at a time per connection (pipelined requests wait in the
// buffer until the one before is answered, so responses keep their order); keep-alive by
// HTTP version and Connection header; "Expect: 100-continue" answered when the head is
// accepted; a head or body not complete within request_timeout_ms gets 408; an idle
// keep-alive connection is closed after idle_timeout_ms; a response the client does not read
// for write_timeout_ms closes the connection. Errors in the head (see request_parser.h)
// get their status and close the connection, as its framing can no longer be trusted.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "http/message.h"
#include "http/request_parser.h"
#include "http/router.h"

namespace tock::http {

class EventLoop;
struct LoopInbox;

// Answers one request, once, from any thread. Move-only. Destroyed without Send (a handler
// that threw or lost it), it answers 500, so a client never waits forever.
class Responder {
 public:
  Responder() = default;
  Responder(std::shared_ptr<LoopInbox> inbox, uint64_t conn_id)
      : inbox_(std::move(inbox)), conn_id_(conn_id) {}
  Responder(Responder&&) noexcept = default;
  Responder& operator=(Responder&& other) noexcept;
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;
  ~Responder();

  void Send(Response res);

 private:
  std::shared_ptr<LoopInbox> inbox_;  // null once sent
  uint64_t conn_id_ = 0;
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0 picks a free port
  int loops = 1;
  int handler_threads = 16;
  ParseLimits limits;
  int64_t idle_timeout_ms = 60'000;
  int64_t request_timeout_ms = 30'000;
  int64_t write_timeout_ms = 30'000;
  size_t max_connections = 10'000;
  // Connections one client address may hold at once (0: no cap); more are closed as they
  // arrive.
  size_t max_connections_per_ip = 1'000;
  // Bytes that request bodies being received may reserve together (0: no cap); a head whose
  // body would go over gets 503 with Retry-After.
  uint64_t max_buffered_bytes = 256ull << 20;
};

// Called on the loop thread that owns the connection; none may block.
struct ServerHooks {
  // Each request as soon as its head is complete, before routing (request ids).
  std::function<void(Request&)> on_request;
  // Every response just before it is written, also those the server makes itself (errors,
  // 404, 405, 503 while stopping). `req` may be partly filled when the head was malformed.
  std::function<void(const Request&, Response&)> on_response;
  // The body of an error the server makes itself.
  std::function<void(int status, std::string_view message, Response*)> error_body;
};

class Server {
 public:
  Server(ServerOptions opts, Router router, ServerHooks hooks);
  ~Server();  // Shutdown(), then joins every thread
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens. Fails clearly when the address is in use (no SO_REUSEPORT).
  Status Bind();
  int port() const;
  // Runs the event loops until Shutdown(). REQUIRES: Bind() succeeded.
  void Serve();
  // Stops accepting and closes the listener. Idle connections are closed; requests that
  // arrive afterwards get 503 "shutting down"; answered connections close.
  void StopAccepting();
  // Waits until no request is being handled (true), or the timeout passes (false).
  bool WaitIdle(int64_t timeout_ms);
  // Ends the loops and closes every connection; responses still to come are dropped.
  void Shutdown();

  // Requests dispatched whose answer is not yet all handed to the socket (a client that
  // stops reading holds one until write_timeout_ms closes its connection).
  int64_t in_flight() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace tock::http
