// RawClient: one blocking loopback TCP connection that writes exactly the bytes a test gives
// it and parses what comes back, for the http::Server tests. No HTTP library in between, so a
// test controls pipelining, half heads, half-closes and resets byte for byte.
//
// Every read waits at most the receive timeout (SO_RCVTIMEO): a server that never answers
// fails the test case instead of hanging it. Owned by one test thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace tock::http::testing {

// One parsed response. status is -1 when no complete response arrived (see RawClient::last).
struct RawResponse {
  int status = -1;
  std::string reason;
  std::vector<HeaderField> headers;
  std::string body;

  // The first header named `name` ("" when absent), and how many there are.
  std::string_view Header(std::string_view name) const;
  int HeaderCount(std::string_view name) const;
};

// What a read ended with.
enum class ReadEnd { kData, kEof, kReset, kTimeout, kError };
const char* ToString(ReadEnd e);

// Connects a blocking TCP socket to 127.0.0.1:port. Returns the descriptor, or -1 with
// *error set to the connect errno (ECONNREFUSED when nothing listens).
int ConnectLoopback(int port, int* error);

class RawClient {
 public:
  // Connects; connected() says whether that worked.
  explicit RawClient(int port, int recv_timeout_ms = 2000);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  // Sends all of `bytes` (MSG_NOSIGNAL). False when the socket failed.
  bool Send(std::string_view bytes);
  // Reads one response: head, then Content-Length body bytes (none for HEAD, 1xx, 204, 304).
  // Bytes after it stay buffered for the next Read (pipelining).
  RawResponse Read(bool head_request = false);
  // What the stream holds next: kData if any byte (buffered or new) arrives, else how the
  // read ended (kEof: the server closed cleanly; kTimeout: nothing within the timeout).
  ReadEnd Next();
  // Reads until the server closes, up to `limit` bytes; *end says how it ended.
  std::string ReadToEnd(ReadEnd* end, size_t limit = 64u << 20);

  void ShutdownWrite();  // FIN: the client sends nothing more
  void Close();          // close(): FIN, or RST if unread bytes remain
  void Reset();          // SO_LINGER 0, then close: RST
  void SetRecvTimeoutMs(int ms);

  ReadEnd last() const { return last_; }  // how the last failing read ended

 private:
  // One recv appended to buf_. False at EOF, reset, timeout or error (recorded in last_).
  bool Fill(size_t max = 64 * 1024);

  int fd_ = -1;
  std::string buf_;
  ReadEnd last_ = ReadEnd::kData;
};

}  // namespace tock::http::testing
