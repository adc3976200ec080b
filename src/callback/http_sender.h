// HttpSender: the real Sender. POSTs callbacks over HTTP/1.1 with cpp-httplib, reusing
// keep-alive connections per origin, checking TLS certificates against the system CA
// bundle, and holding every attempt to its timeout_ms budget.
//
//   HttpSender sender;                       // loads the CA bundle once
//   if (!sender.tls_status().ok()) ...       // https callbacks would all fail: log it
//   CallbackResult r = sender.Send({.url = "https://example.com/hook", .body = "{}"});
//
// Behaviour (details in http_sender.cc):
// - POST, Content-Type application/json, no redirects followed (a 3xx is just a status).
// - Connections: a pool of idle clients per origin (scheme://host:port). Send() borrows
//   one, or opens a new one; it goes back only after a complete, delimited response on a
//   connection that is still open; after an error, a cut-off response, or when the
//   origin's pool already holds max_idle_per_origin, it is closed. Idle connections older
//   than idle_timeout_ms are closed (below the 5 s keep-alive timeout common in servers, so
//   we rarely write into a connection the server is closing). If a pooled connection
//   fails before any byte of response (the server closed it as we wrote), the POST is
//   repeated once on a new connection, within the same budget.
// - Budget: connect, TLS handshake, write and read together get timeout_ms; a watchdog
//   thread aborts attempts that pass it, and attempts whose cancel flag is set.
// - Response body: read through a BodySink; at most max_response_bytes, then the attempt
//   fails and the connection is dropped, so memory stays bounded.
// - Constructing one ignores SIGPIPE process-wide (a write to a reset connection must fail,
//   not kill the server), as httplib::Server's constructor also does.
//
// Owner: main owns one and hands dispatcher threads a Sender&.
// Thread-safety: Send(), tls_status() and stats() may be called from any number of threads.
// REQUIRES: no Send() is running when the destructor starts; it stops the watchdog and closes
// every idle connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "callback/sender.h"
#include "common/status.h"

namespace tock {

struct HttpSenderOptions {
  // Idle connections kept per origin.
  int max_idle_per_origin = 64;
  // Longer response bodies fail the attempt and drop the connection.
  size_t max_response_bytes = 65536;
  // PEM file of trusted CA certificates, loaded once.
  std::string ca_bundle = "/etc/ssl/certs/ca-certificates.crt";
  std::string user_agent = "tock/0.1";
  // Connections idle this long are closed rather than reused (0: never reuse).
  int idle_timeout_ms = 4000;
};

struct HttpSenderStats {
  uint64_t sends = 0;               // Send() calls
  uint64_t connections_opened = 0;  // TCP connects started (failed ones included)
  uint64_t connections_reused = 0;  // sends that started on a pooled idle connection
  uint64_t retries = 0;             // POSTs repeated on a new connection (keep-alive race)
  size_t idle_connections = 0;      // pooled right now, all origins together
};

class HttpSender final : public Sender {
 public:
  explicit HttpSender(HttpSenderOptions opts = {});
  ~HttpSender() override;
  HttpSender(const HttpSender&) = delete;
  HttpSender& operator=(const HttpSender&) = delete;

  CallbackResult Send(const CallbackRequest& req) override;

  // Ok, or why https callbacks cannot be verified (CA bundle missing, unreadable, or
  // holding no certificate). http callbacks work either way.
  const Status& tls_status() const;

  HttpSenderStats stats() const;

 private:
  class Impl;  // keeps httplib and OpenSSL out of this header
  std::unique_ptr<Impl> impl_;
};

}  // namespace tock
