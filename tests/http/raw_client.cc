#include "http/raw_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

namespace tock::http::testing {

std::string_view RawResponse::Header(std::string_view name) const {
  for (const HeaderField& h : headers) {
    if (EqualsIgnoreCase(h.name, name)) return h.value;
  }
  return {};
}

int RawResponse::HeaderCount(std::string_view name) const {
  int n = 0;
  for (const HeaderField& h : headers) n += EqualsIgnoreCase(h.name, name) ? 1 : 0;
  return n;
}

const char* ToString(ReadEnd e) {
  switch (e) {
    case ReadEnd::kData: return "data";
    case ReadEnd::kEof: return "eof";
    case ReadEnd::kReset: return "reset";
    case ReadEnd::kTimeout: return "timeout";
    case ReadEnd::kError: return "error";
  }
  return "?";
}

int ConnectLoopback(int port, int* error) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = errno;
    return -1;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    *error = errno;
    ::close(fd);
    return -1;
  }
  *error = 0;
  return fd;
}

RawClient::RawClient(int port, int recv_timeout_ms) {
  int error = 0;
  fd_ = ConnectLoopback(port, &error);
  if (fd_ < 0) return;
  int yes = 1;
  // Each Send leaves at once, so "sent in one write" and "sent in pieces" mean what they say.
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
  SetRecvTimeoutMs(recv_timeout_ms);
  // Sends time out too: a server that stops reading must not hang the test either.
  timeval tv{5, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

RawClient::~RawClient() {
  if (fd_ >= 0) ::close(fd_);
}

void RawClient::SetRecvTimeoutMs(int ms) {
  timeval tv{ms / 1000, (ms % 1000) * 1000};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

bool RawClient::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return false;
    }
  }
  return true;
}

bool RawClient::Fill(size_t max) {
  char chunk[64 * 1024];
  for (;;) {
    ssize_t n = ::recv(fd_, chunk, std::min(max, sizeof chunk), 0);
    if (n > 0) {
      buf_.append(chunk, static_cast<size_t>(n));
      return true;
    }
    if (n == 0) {
      last_ = ReadEnd::kEof;
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      last_ = ReadEnd::kTimeout;
    } else if (errno == ECONNRESET) {
      last_ = ReadEnd::kReset;
    } else {
      last_ = ReadEnd::kError;
    }
    return false;
  }
}

RawResponse RawClient::Read(bool head_request) {
  RawResponse r;
  size_t end;
  while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
    if (!Fill()) return r;
  }
  std::string_view head(buf_.data(), end);
  // Status line: "HTTP/1.1 NNN Reason".
  size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  if (line.size() < 12 || line.substr(0, 9) != "HTTP/1.1 " || line[12] != ' ') {
    last_ = ReadEnd::kError;
    return r;
  }
  int status = 0;
  std::from_chars(line.data() + 9, line.data() + 12, status);
  r.reason = std::string(line.substr(13));
  uint64_t length = 0;
  while (eol != std::string_view::npos) {
    head.remove_prefix(eol + 2);
    eol = head.find("\r\n");
    std::string_view h = head.substr(0, eol);
    size_t colon = h.find(':');
    if (colon == std::string_view::npos) {
      last_ = ReadEnd::kError;
      return r;
    }
    std::string_view value = h.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    r.headers.push_back(HeaderField{std::string(h.substr(0, colon)), std::string(value)});
    if (EqualsIgnoreCase(r.headers.back().name, "Content-Length")) {
      std::from_chars(value.data(), value.data() + value.size(), length);
    }
  }
  buf_.erase(0, end + 4);
  const bool has_body = !head_request && status >= 200 && status != 204 && status != 304;
  if (has_body) {
    while (buf_.size() < length) {
      if (!Fill()) return r;  // status stays -1: the body did not arrive whole
    }
    r.body = buf_.substr(0, length);
    buf_.erase(0, length);
  }
  r.status = status;
  return r;
}

ReadEnd RawClient::Next() {
  if (!buf_.empty()) return ReadEnd::kData;
  return Fill() ? ReadEnd::kData : last_;
}

std::string RawClient::ReadToEnd(ReadEnd* end, size_t limit) {
  while (buf_.size() < limit && Fill()) {
  }
  *end = buf_.size() >= limit ? ReadEnd::kData : last_;
  std::string out;
  out.swap(buf_);
  return out;
}

void RawClient::ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }

void RawClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void RawClient::Reset() {
  if (fd_ < 0) return;
  linger l{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  Close();
}

}  // namespace tock::http::testing
