// CallbackClient: event-driven outbound HTTP for callbacks. A few event-loop threads, each
// running libcurl's multi interface on its own epoll set, hold thousands of attempts in
// flight at once; no thread waits for a receiver.
//
//   CallbackClient client(opts);                       // starts opts.loops threads
//   client.Send(std::move(req), [](CallbackResult r) { ... });   // r arrives on a loop thread
//   CallbackResult r = client.SendAndWait(req);        // blocking, for tools and tests
//   client.Post([] { ... });                           // run work on a loop thread
//
// Why libcurl: it is the most used HTTP client there is, and its multi interface gives,
// ready-made and maintained, what an event-driven callback client needs: keep-alive
// connection reuse with a per-origin and a total cap, retrying a request once on a fresh
// connection when a reused one was closed under it, TLS through OpenSSL, asynchronous name
// resolution (c-ares), HTTP CONNECT proxies, and a hook on every socket it opens (the
// address guard). Built statically from Debian's source package (tools/deps.sh).
//
// Behaviour of one attempt:
// - POST, Content-Type application/json unless given, no redirects followed (a 3xx is
//   just a status), HTTP/1.1.
// - Budget: connect, TLS, write and read together get timeout_ms ("timeout after N ms"),
//   including any wait for a connection under the per-origin cap.
// - Answers are bounded: headers over max_header_bytes or max_header_lines fail the attempt
//   ("response headers too large"); a body over max_response_bytes fails it ("response body
//   over N bytes"); the first 1 KiB of the body is kept. Memory per attempt stays bounded.
// - Address guard: every connection's address is checked after resolution; a denied one
//   fails the attempt ("address denied (a.b.c.d:port)"). Through a proxy only a literal
//   address in the URL can be checked (the proxy resolves names).
// - A socket that cannot be created for lack of descriptors or buffers sets local_error.
// - Cancel flag: checked every 100 ms while an attempt is in flight ("cancelled").
//
// Threads: `loops` loop threads, started by the constructor and joined by the destructor.
// A loop owns its curl multi handle, its easy handles and its connections; nothing of it is
// shared. Send/Post called on a loop thread stay on that loop (no hand-off); from other
// threads they go through a locked inbox and an eventfd: Send to the loop of the URL's origin
// (so one origin's connections are reused), Post round-robin.
// Thread-safety: every public method from any thread. `done` and posted functions run on a
// loop thread and must not block for long (they delay every attempt of that loop).
// REQUIRES: SendAndWait is not called on a loop thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "callback/sender.h"
#include "common/status.h"

namespace tock {

class AddressGuard;

struct CallbackClientOptions {
  int loops = 2;                          // event-loop threads
  // Connections to one scheme://host:port at most (shared out over the loops); attempts
  // over the cap wait inside the client for a connection to come free.
  int max_connections_per_origin = 10000;
  int max_connections = 10000;            // connections kept open per loop (cache size)
  size_t max_response_bytes = 65536;      // longer bodies fail the attempt
  size_t max_header_bytes = 65536;        // response head, all lines together
  int max_header_lines = 100;
  std::string ca_bundle = "/etc/ssl/certs/ca-certificates.crt";
  std::string user_agent = "tock/0.1";
  // Connections idle this long are not reused (whole seconds; 0: never reuse).
  int idle_timeout_s = 4;
  // "http://host:port": every callback goes through this HTTP proxy, in a CONNECT tunnel.
  // Empty: none (and the http_proxy environment variables are ignored).
  std::string proxy;
  std::shared_ptr<const AddressGuard> guard;  // null: every address is allowed
};

struct CallbackClientStats {
  uint64_t sends = 0;               // attempts started
  uint64_t connections_opened = 0;  // sockets opened (failed connects included)
  uint64_t connections_reused = 0;  // attempts that ran on a connection already open
  size_t open_connections = 0;      // sockets open now (in use or idle)
  size_t in_flight = 0;             // attempts running now
};

class CallbackClient {
 public:
  using Done = std::function<void(CallbackResult)>;

  explicit CallbackClient(CallbackClientOptions opts = {});
  // Ends every attempt still in flight as "cancelled" (their `done` runs), then joins the
  // loops and closes every connection.
  ~CallbackClient();
  CallbackClient(const CallbackClient&) = delete;
  CallbackClient& operator=(const CallbackClient&) = delete;

  // Starts one attempt; `done` runs exactly once, on a loop thread, when it ends.
  void Send(CallbackRequest req, Done done);
  CallbackResult SendAndWait(const CallbackRequest& req);
  // Runs fn on a loop thread: this one if called on a loop thread, else the next in turn.
  void Post(std::function<void()> fn);
  // Runs fn on a loop thread after delay_ms (same choice of loop as Post). Timers still
  // waiting at destruction are dropped.
  void PostAfter(int64_t delay_ms, std::function<void()> fn);
  // Every attempt in flight ends now as "cancelled".
  void AbortAll();

  // Ok, or why https callbacks cannot be verified (CA bundle missing, unreadable, or
  // holding no certificate). http callbacks work either way.
  const Status& tls_status() const { return tls_status_; }
  CallbackClientStats stats() const;
  int loops() const { return static_cast<int>(loops_.size()); }
  // True on one of this client's loop threads.
  bool OnLoopThread() const;

  class Loop;  // one event loop (callback_client.cc)

 private:
  Loop* CurrentLoop() const;  // the loop of this thread, or null
  Loop& NextLoop();           // this thread's loop, else the next in turn

  const CallbackClientOptions opts_;
  Status tls_status_;
  std::vector<std::unique_ptr<Loop>> loops_;
  std::atomic<uint32_t> next_loop_{0};
};

}  // namespace tock
