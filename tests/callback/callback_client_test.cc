// CallbackClient against real servers on 127.0.0.1 (port 0), running in threads of this test:
// an httplib::Server (or SSLServer, with a certificate made here) for normal replies, and
// a raw socket server for replies httplib will not produce (trickled headers, no reply).
// No fixed sleeps on the client side: waiting is on condition variables, and time
// assertions are generous upper bounds only.
#include "callback/callback_client.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace tock {
namespace {

using namespace std::chrono_literals;

constexpr int64_t kGenerousMs = 5000;  // upper bound for "returned promptly"
constexpr size_t kHugeBytes = 10 * 1024 * 1024;

// Waits (polling a condition, bounded) until pred() holds.
bool Eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit = 3s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

// What the test server saw, shared by its handler threads.
struct Seen {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<int> remote_ports;
  httplib::Headers last_headers;
  std::string last_body;
  std::string last_target;
  std::string last_y_param;
  int hits = 0;
  int success_hits = 0;
  int hang_entered = 0;
  bool release = false;  // unblocks /hang and /trickle-body handlers
};

// A real httplib server (plain or TLS) on 127.0.0.1 with the routes the tests need.
class TestServer {
 public:
  explicit TestServer(std::unique_ptr<httplib::Server> server = nullptr)
      : server_(server ? std::move(server) : std::make_unique<httplib::Server>()) {
    httplib::Server& s = *server_;
    s.set_tcp_nodelay(true);
    s.set_keep_alive_max_count(1000);
    // Longer than the sender's 4 s idle cutoff, so the server never closes a pooled
    // connection under a test (the keep-alive race has its own test). Teardown does not
    // wait for it: every test destroys its sender, closing its connections, first.
    s.set_keep_alive_timeout(5);
    s.set_read_timeout(5, 0);
    s.set_write_timeout(5, 0);
    s.new_task_queue = [] { return new httplib::ThreadPool(64); };
    AddRoutes(s);
    // httplib listens with a backlog of 5 (CPPHTTPLIB_LISTEN_BACKLOG): 16 clients connecting
    // at once overflow it, and the kernel then drops or mangles connections. A second
    // listen() on the bound socket raises the backlog (Linux). The callback replaces
    // httplib's default SO_REUSEPORT, which a test server does not want anyway.
    s.set_socket_options([this](socket_t fd) { listen_fd_ = fd; });
    port_ = s.bind_to_any_port("127.0.0.1");
    REQUIRE(port_ > 0);
    REQUIRE(listen(listen_fd_, 1024) == 0);
    thread_ = std::thread([this] { server_->listen_after_bind(); });
  }

  ~TestServer() {
    {
      std::lock_guard<std::mutex> lock(seen.mu);
      seen.release = true;
    }
    seen.cv.notify_all();
    // stop() is a no-op until listen_after_bind() has started running.
    Eventually([this] { return server_->is_running(); }, 5s);
    server_->stop();
    thread_.join();
  }

  std::string Url(const std::string& target, const std::string& scheme = "http") const {
    return scheme + "://127.0.0.1:" + std::to_string(port_) + target;
  }

  bool WaitHangEntered(int n) {
    std::unique_lock<std::mutex> lock(seen.mu);
    return seen.cv.wait_for(lock, 5s, [&] { return seen.hang_entered >= n; });
  }

  Seen seen;

 private:
  void Record(const httplib::Request& req) {
    std::lock_guard<std::mutex> lock(seen.mu);
    ++seen.hits;
    seen.remote_ports.push_back(req.remote_port);
    seen.last_headers = req.headers;
    seen.last_body = req.body;
    seen.last_target = req.target;
    seen.last_y_param = req.get_param_value("y");
  }

  void AddRoutes(httplib::Server& s) {
    auto reply = [this](std::string body) {
      return [this, body](const httplib::Request& req, httplib::Response& res) {
        Record(req);
        res.set_content(body, "text/plain");
      };
    };
    s.Post("/success", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      {
        std::lock_guard<std::mutex> lock(seen.mu);
        ++seen.success_hits;
      }
      res.set_content("success", "text/plain");
    });
    s.Post("/success-ws", reply(" success\n"));
    s.Post("/ok", reply("ok"));
    s.Post("/echo", reply("success"));
    s.Post(R"(/status/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      res.status = std::stoi(req.matches[1]);
      res.set_content("status body", "text/plain");
    });
    s.Post("/redirect", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      res.set_redirect("/success", 302);
    });
    s.Post("/close", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      res.set_header("Connection", "close");
      res.set_content("success", "text/plain");
    });
    s.Post("/exact-limit", reply(std::string(65536, 'x')));
    s.Post("/limit-plus-one", reply(std::string(65537, 'x')));
    s.Post("/hang", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      std::unique_lock<std::mutex> lock(seen.mu);
      ++seen.hang_entered;
      seen.cv.notify_all();
      seen.cv.wait_for(lock, 10s, [&] { return seen.release; });
      res.set_content("late", "text/plain");
    });
    s.Post("/huge", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      res.set_content_provider(kHugeBytes, "text/plain",
                               [](size_t /*offset*/, size_t length, httplib::DataSink& sink) {
                                 static const std::string block(64 * 1024, 'h');
                                 return sink.write(block.data(), std::min(length, block.size()));
                               });
    });
    s.Post("/huge-chunked", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      res.set_chunked_content_provider("text/plain", [](size_t offset, httplib::DataSink& sink) {
        static const std::string block(64 * 1024, 'c');
        if (offset >= kHugeBytes) {
          sink.done();
          return true;
        }
        return sink.write(block.data(), block.size());
      });
    });
    // A body that never ends: one byte every 20 ms (each well inside any read timeout).
    s.Post("/trickle-body", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      res.set_chunked_content_provider("text/plain", [this](size_t, httplib::DataSink& sink) {
        std::unique_lock<std::mutex> lock(seen.mu);
        if (seen.cv.wait_for(lock, 20ms, [&] { return seen.release; })) return false;
        lock.unlock();
        return sink.write("s", 1);
      });
    });
  }

  std::unique_ptr<httplib::Server> server_;
  int listen_fd_ = -1;  // owned by server_
  int port_ = 0;
  std::thread thread_;
};

// A raw TCP server on 127.0.0.1: for each connection (numbered from 0) it reads one whole
// request and runs `behave(fd, index, stopping)` on its own thread.
class RawServer {
 public:
  using Behaviour = std::function<void(int fd, int index, const std::atomic<bool>& stopping)>;

  explicit RawServer(Behaviour behave) : behave_(std::move(behave)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(listen_fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(listen(listen_fd_, 16) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
    accept_thread_ = std::thread([this] {
      for (;;) {
        const int fd = accept(listen_fd_, nullptr, nullptr);
        if (fd < 0) return;  // listening socket shut down
        std::lock_guard<std::mutex> lock(mu_);
        const int index = static_cast<int>(conn_fds_.size());
        conn_fds_.push_back(fd);
        workers_.emplace_back([this, fd, index] {
          ReadRequest(fd);
          behave_(fd, index, stopping_);
        });
      }
    });
  }

  ~RawServer() {
    stopping_ = true;
    shutdown(listen_fd_, SHUT_RDWR);
    accept_thread_.join();
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : conn_fds_) shutdown(fd, SHUT_RDWR);
    for (std::thread& t : workers_) t.join();
    for (int fd : conn_fds_) close(fd);
    close(listen_fd_);
  }

  std::string Url(const std::string& target) const {
    return "http://127.0.0.1:" + std::to_string(port_) + target;
  }

  int connections() {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(conn_fds_.size());
  }

  // Reads one whole request (headers, then Content-Length bytes of body), so that what the
  // behaviour does next cannot race with the client still writing.
  static void ReadRequest(int fd) {
    std::string in;
    char buf[4096];
    size_t header_end = std::string::npos;
    size_t want = 0;
    for (;;) {
      if (header_end == std::string::npos) {
        header_end = in.find("\r\n\r\n");
        if (header_end != std::string::npos) {
          const size_t cl = in.find("Content-Length: ");
          const size_t body = cl == std::string::npos ? 0 : std::stoul(in.substr(cl + 16));
          want = header_end + 4 + body;
        }
      }
      if (header_end != std::string::npos && in.size() >= want) return;
      const ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) return;
      in.append(buf, static_cast<size_t>(n));
    }
  }

 private:
  Behaviour behave_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::vector<int> conn_fds_;
  std::vector<std::thread> workers_;
  std::thread accept_thread_;
};

// A port with nothing listening: bind an ephemeral port, then close it.
int ClosedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  close(fd);
  return ntohs(addr.sin_port);
}

size_t CountOpenFds() {
  size_t n = 0;
  DIR* dir = opendir("/proc/self/fd");
  REQUIRE(dir != nullptr);
  while (readdir(dir) != nullptr) ++n;
  closedir(dir);
  return n;
}

CallbackRequest Post(const std::string& url, int timeout_ms = 5000) {
  CallbackRequest req;
  req.url = url;
  req.body = R"({"taskId":1})";
  req.timeout_ms = timeout_ms;
  return req;
}

std::set<int> DistinctPorts(Seen& seen) {
  std::lock_guard<std::mutex> lock(seen.mu);
  return std::set<int>(seen.remote_ports.begin(), seen.remote_ports.end());
}

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// ---- TLS material, made in memory for each test that needs it ----------------------------

struct TestCert {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  std::string pem_path;  // the certificate as a one-entry CA bundle

  TestCert(const TestCert&) = delete;
  TestCert& operator=(const TestCert&) = delete;
  explicit TestCert(const std::string& subject_alt_names) {
    key = EVP_EC_gen("P-256");
    REQUIRE(key != nullptr);
    cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("tock test"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    for (auto [nid, value] :
         {std::pair<int, std::string>{NID_basic_constraints, "critical,CA:TRUE"},
          {NID_subject_alt_name, subject_alt_names}}) {
      X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
      REQUIRE(ext != nullptr);
      X509_add_ext(cert, ext, -1);
      X509_EXTENSION_free(ext);
    }
    REQUIRE(X509_sign(cert, key, EVP_sha256()) > 0);

    char path[] = "/tmp/tock-callback-ca-XXXXXX";
    const int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    FILE* f = fdopen(fd, "w");
    REQUIRE(PEM_write_X509(f, cert) == 1);
    fclose(f);
    pem_path = path;
  }

  ~TestCert() {
    unlink(pem_path.c_str());
    X509_free(cert);
    EVP_PKEY_free(key);
  }

  // SSLServer takes its own references to cert and key.
  std::unique_ptr<httplib::Server> MakeServer() const {
    auto server = std::make_unique<httplib::SSLServer>(cert, key);
    REQUIRE(server->is_valid());
    return server;
  }
};

CallbackClientOptions TrustOnly(const TestCert& cert) {
  CallbackClientOptions opts;
  opts.ca_bundle = cert.pem_path;
  return opts;
}

}  // namespace

TEST_SUITE("CallbackClient") {
  TEST_CASE("200 'success' is a success") {
    TestServer server;
    CallbackClient sender;
    CallbackResult r = sender.SendAndWait(Post(server.Url("/success")));
    CHECK(r.error == "");
    CHECK(r.http_status == 200);
    CHECK(r.body_is_success);
    CHECK(r.body_prefix == "success");
    CHECK(r.duration_ms >= 0);
    CHECK(r.duration_ms < kGenerousMs);
  }

  TEST_CASE("200 ' success\\n' is a success once trimmed") {
    TestServer server;
    CallbackClient sender;
    CallbackResult r = sender.SendAndWait(Post(server.Url("/success-ws")));
    CHECK(r.http_status == 200);
    CHECK(r.body_is_success);
    CHECK(r.body_prefix == " success\n");
  }

  TEST_CASE("200 'ok' is an HTTP response but not the success body") {
    TestServer server;
    CallbackClient sender;
    CallbackResult r = sender.SendAndWait(Post(server.Url("/ok")));
    CHECK(r.error == "");
    CHECK(r.http_status == 200);
    CHECK_FALSE(r.body_is_success);
    CHECK(r.body_prefix == "ok");
  }

  TEST_CASE("500 and 410 are reported as statuses, with their bodies") {
    TestServer server;
    CallbackClient sender;
    for (int status : {500, 410, 404, 201}) {
      CallbackResult r = sender.SendAndWait(Post(server.Url("/status/" + std::to_string(status))));
      CHECK(r.error == "");
      CHECK(r.http_status == status);
      CHECK(r.body_prefix == "status body");
      CHECK_FALSE(r.body_is_success);
    }
  }

  TEST_CASE("connection refused: status 0 and an error") {
    CallbackClient sender;
    const int port = ClosedPort();
    CallbackResult r = sender.SendAndWait(Post("http://127.0.0.1:" + std::to_string(port) + "/x"));
    CHECK(r.http_status == 0);
    CHECK(r.error ==
          "connection refused or unreachable (http://127.0.0.1:" + std::to_string(port) + ")");
    CHECK(r.duration_ms < kGenerousMs);
  }

  TEST_CASE("timeout: a handler slower than timeout_ms gives status 0 and 'timeout'") {
    TestServer server;
    CallbackClient sender;
    CallbackResult r = sender.SendAndWait(Post(server.Url("/hang"), 300));
    CHECK(r.http_status == 0);
    CHECK(r.error == "timeout after 300 ms");
    CHECK(r.duration_ms < kGenerousMs);
    CHECK(sender.stats().open_connections == 0);  // a timed-out connection is not reused
  }

  TEST_CASE("timeout covers the whole attempt: a body trickled byte by byte is cut off") {
    TestServer server;
    CallbackClient sender;
    CallbackResult r = sender.SendAndWait(Post(server.Url("/trickle-body"), 400));
    CHECK(r.http_status == 0);
    CHECK(r.error == "timeout after 400 ms (HTTP 200)");
    CHECK(r.duration_ms < kGenerousMs);
    CHECK_FALSE(r.body_prefix.empty());
  }

  TEST_CASE("timeout covers the whole attempt: headers trickled line by line are cut off") {
    RawServer raw([](int fd, int, const std::atomic<bool>& stopping) {
      const std::string status = "HTTP/1.1 200 OK\r\n";
      if (write(fd, status.data(), status.size()) < 0) return;
      while (!stopping) {  // a new header line every 20 ms, never the blank line
        const std::string line = "X-Slow: 1\r\n";
        if (write(fd, line.data(), line.size()) < 0) return;
        std::this_thread::sleep_for(20ms);
      }
    });
    CallbackClient sender;
    CallbackResult r = sender.SendAndWait(Post(raw.Url("/slow"), 400));
    CHECK(r.http_status == 0);
    CHECK(StartsWith(r.error, "timeout after 400 ms"));
    CHECK(r.duration_ms < kGenerousMs);
  }

  TEST_CASE("a peer that closes without answering: status 0, 'no HTTP response'") {
    RawServer raw([](int fd, int, const std::atomic<bool>&) { shutdown(fd, SHUT_RDWR); });
    CallbackClient sender;
    CallbackResult r = sender.SendAndWait(Post(raw.Url("/x")));
    CHECK(r.http_status == 0);
    CHECK(r.error == "no HTTP response: connection closed, reset, or not HTTP");
    CHECK(raw.connections() == 1);  // a new connection that fails is not retried
  }

  TEST_CASE("a malformed status line: status 0 and an error") {
    RawServer raw([](int fd, int, const std::atomic<bool>&) {
      const std::string junk = "SMTP ready\r\n\r\n";
      (void)!write(fd, junk.data(), junk.size());
      shutdown(fd, SHUT_RDWR);
    });
    CallbackClient sender;
    CallbackResult r = sender.SendAndWait(Post(raw.Url("/x")));
    CHECK(r.http_status == 0);
    CHECK_FALSE(r.error.empty());
  }

  TEST_CASE("a status of 000 is not an HTTP response") {
    RawServer raw([](int fd, int, const std::atomic<bool>&) {
      const std::string reply = "HTTP/1.1 000 Zero\r\nContent-Length: 7\r\n\r\nsuccess";
      (void)!write(fd, reply.data(), reply.size());
    });
    CallbackClient sender;
    CallbackResult r = sender.SendAndWait(Post(raw.Url("/x")));
    CHECK(r.http_status == 0);
    CHECK(r.error == "no HTTP response: connection closed, reset, or not HTTP");
    CHECK_FALSE(r.body_is_success);
  }

  TEST_CASE("keep-alive race: a pooled connection closed by the server is retried once") {
    // Connection 0 answers one request, then reads the next and closes without answering
    // (what a server closing an idle connection looks like to the client); later
    // connections answer normally.
    RawServer raw([](int fd, int index, const std::atomic<bool>&) {
      const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nsuccess";
      if (write(fd, ok.data(), ok.size()) < 0) return;
      if (index == 0) {
        RawServer::ReadRequest(fd);
        shutdown(fd, SHUT_RDWR);
      }
    });
    CallbackClient sender;
    REQUIRE(sender.SendAndWait(Post(raw.Url("/a"))).body_is_success);
    CallbackResult r = sender.SendAndWait(Post(raw.Url("/b")));
    CHECK(r.error == "");
    CHECK(r.http_status == 200);
    CHECK(r.body_is_success);
    CallbackClientStats stats = sender.stats();
    CHECK(stats.connections_opened == 2);
    CHECK(raw.connections() == 2);
  }

  TEST_CASE("keep-alive: a connection the server closed after answering is not used again") {
    // Connection 0 answers and then closes (FIN) without saying so in its headers. The next
    // send comes well inside the second in which libcurl, as patched here
    // (tools/patches/curl), skips its liveness poll: the request meets the closed
    // connection, and libcurl must go on to a fresh one, not fail or wait out the timeout.
    RawServer raw([](int fd, int index, const std::atomic<bool>&) {
      const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nsuccess";
      if (write(fd, ok.data(), ok.size()) < 0) return;
      if (index == 0) shutdown(fd, SHUT_WR);
    });
    CallbackClient sender;
    REQUIRE(sender.SendAndWait(Post(raw.Url("/a"))).body_is_success);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the FIN has arrived
    CallbackResult r = sender.SendAndWait(Post(raw.Url("/b"), 30000));
    CHECK(r.error == "");
    CHECK(r.http_status == 200);
    CHECK(r.body_is_success);
    CHECK(r.duration_ms < kGenerousMs);
    CHECK(sender.stats().connections_opened == 2);
    CHECK(raw.connections() == 2);
  }

  TEST_CASE("cancel: a flag set before sending stops the attempt at once") {
    TestServer server;
    CallbackClient sender;
    std::atomic<bool> cancel{true};
    CallbackRequest req = Post(server.Url("/success"));
    req.cancel = &cancel;
    CallbackResult r = sender.SendAndWait(req);
    CHECK(r.http_status == 0);
    CHECK(r.error == "cancelled");
    std::lock_guard<std::mutex> lock(server.seen.mu);
    CHECK(server.seen.hits == 0);
  }

  TEST_CASE("cancel: a flag set while waiting for the response aborts the attempt") {
    TestServer server;
    CallbackClient sender;
    std::atomic<bool> cancel{false};
    std::thread canceller([&] {
      REQUIRE(server.WaitHangEntered(1));
      cancel = true;
    });
    CallbackRequest req = Post(server.Url("/hang"), 30000);
    req.cancel = &cancel;
    CallbackResult r = sender.SendAndWait(req);
    canceller.join();
    CHECK(r.http_status == 0);
    CHECK(r.error == "cancelled");
    CHECK(r.duration_ms < kGenerousMs);
  }

  TEST_CASE("a 302 is returned as is, not followed") {
    TestServer server;
    CallbackClient sender;
    CallbackResult r = sender.SendAndWait(Post(server.Url("/redirect")));
    CHECK(r.error == "");
    CHECK(r.http_status == 302);
    CHECK_FALSE(r.body_is_success);
    std::lock_guard<std::mutex> lock(server.seen.mu);
    CHECK(server.seen.hits == 1);
    CHECK(server.seen.success_hits == 0);
  }

  TEST_CASE("a 10 MB body (Content-Length) is cut off at the limit; 1024 bytes are kept") {
    TestServer server;
    CallbackClient sender;
    CallbackResult r = sender.SendAndWait(Post(server.Url("/huge")));
    CHECK(r.http_status == 0);
    CHECK(r.error == "response body over 65536 bytes (HTTP 200)");
    CHECK(r.body_prefix == std::string(1024, 'h'));
    CHECK_FALSE(r.body_is_success);
    CHECK(sender.stats().open_connections == 0);  // the connection was dropped
  }

  TEST_CASE("a 10 MB chunked body is cut off at the limit as well") {
    TestServer server;
    CallbackClient sender;
    CallbackResult r = sender.SendAndWait(Post(server.Url("/huge-chunked")));
    CHECK(r.http_status == 0);
    CHECK(r.error == "response body over 65536 bytes (HTTP 200)");
    CHECK(r.body_prefix == std::string(1024, 'c'));
    // The sender still works, on a new connection.
    CHECK(sender.SendAndWait(Post(server.Url("/success"))).body_is_success);
  }

  TEST_CASE("a body of exactly max_response_bytes is fine; one byte more is not") {
    TestServer server;
    CallbackClient sender;
    CallbackResult at = sender.SendAndWait(Post(server.Url("/exact-limit")));
    CHECK(at.error == "");
    CHECK(at.http_status == 200);
    CHECK(at.body_prefix.size() == 1024);
    CallbackResult over = sender.SendAndWait(Post(server.Url("/limit-plus-one")));
    CHECK(over.http_status == 0);
    CHECK(over.error == "response body over 65536 bytes (HTTP 200)");
  }

  TEST_CASE("headers, body, method and target arrive as sent") {
    TestServer server;
    CallbackClient sender;
    CallbackRequest req = Post(server.Url("/echo?x=1&y=a+b"));
    req.headers = {{"webhook-id", "42"}, {"X-Custom", "value with spaces"}, {"app_key", "k1"}};
    CallbackResult r = sender.SendAndWait(req);
    REQUIRE(r.http_status == 200);
    std::lock_guard<std::mutex> lock(server.seen.mu);
    const httplib::Headers& h = server.seen.last_headers;
    auto header = [&](const char* name) {
      auto it = h.find(name);
      return it == h.end() ? std::string("<missing>") : it->second;
    };
    CHECK(header("Content-Type") == "application/json");
    CHECK(header("webhook-id") == "42");
    CHECK(header("X-Custom") == "value with spaces");
    CHECK(header("app_key") == "k1");
    CHECK(header("User-Agent") == "tock/0.1");
    CHECK(header("Content-Length") == std::to_string(req.body.size()));
    CHECK(server.seen.last_body == req.body);
    // The target goes out verbatim: '+' is not re-encoded, so the server decodes a space.
    CHECK(server.seen.last_target == "/echo?x=1&y=a+b");
    CHECK(server.seen.last_y_param == "a b");
  }

  TEST_CASE("a caller's Content-Type and User-Agent win over the defaults") {
    TestServer server;
    CallbackClient sender;
    CallbackRequest req = Post(server.Url("/echo"));
    req.headers = {{"content-type", "application/json; charset=utf-8"}, {"User-Agent", "x/1"}};
    REQUIRE(sender.SendAndWait(req).http_status == 200);
    std::lock_guard<std::mutex> lock(server.seen.mu);
    CHECK(server.seen.last_headers.count("Content-Type") == 1);
    CHECK(server.seen.last_headers.find("Content-Type")->second ==
          "application/json; charset=utf-8");
    CHECK(server.seen.last_headers.find("User-Agent")->second == "x/1");
  }

  TEST_CASE("bad request headers and URLs fail the attempt before any connection") {
    TestServer server;
    CallbackClient sender;
    struct Case {
      std::string name, value, error;
    };
    const Case cases[] = {
        {"Host", "evil.example", "request header 'Host' is set by the sender"},
        {"content-length", "0", "request header 'content-length' is set by the sender"},
        {"X-Split", "a\r\nX-Injected: 1", "request header 'X-Split' holds a control character"},
        {"Bad Name", "v", "invalid request header name"},
        {"", "v", "invalid request header name"},
    };
    for (const Case& c : cases) {
      CallbackRequest req = Post(server.Url("/success"));
      req.headers = {{c.name, c.value}};
      CallbackResult r = sender.SendAndWait(req);
      CHECK(r.http_status == 0);
      CHECK(r.error == c.error);
    }
    CallbackResult bad_url = sender.SendAndWait(Post("ftp://127.0.0.1/x"));
    CHECK(bad_url.error == "invalid url: must use http or https");
    CHECK(sender.stats().connections_opened == 0);
    std::lock_guard<std::mutex> lock(server.seen.mu);
    CHECK(server.seen.hits == 0);
  }

  TEST_CASE("keep-alive: 20 sequential sends to one origin use one connection") {
    TestServer server;
    CallbackClient sender;
    for (int i = 0; i < 20; ++i) {
      CallbackResult r = sender.SendAndWait(Post(server.Url(i % 2 ? "/success" : "/status/500")));
      REQUIRE(r.error == "");
    }
    CHECK(DistinctPorts(server.seen).size() == 1);
    CallbackClientStats stats = sender.stats();
    CHECK(stats.sends == 20);
    CHECK(stats.connections_opened == 1);
    CHECK(stats.connections_reused == 19);
    CHECK(stats.open_connections == 1);
  }

  TEST_CASE("'Connection: close' from the server: the next send opens a new connection") {
    TestServer server;
    CallbackClient sender;
    for (int i = 0; i < 3; ++i) REQUIRE(sender.SendAndWait(Post(server.Url("/close"))).body_is_success);
    CHECK(DistinctPorts(server.seen).size() == 3);
    CHECK(sender.stats().open_connections == 0);
  }

  TEST_CASE("idle_timeout_s = 0 reuses nothing") {
    TestServer server;
    CallbackClientOptions no_idle;
    no_idle.idle_timeout_s = 0;
    CallbackClient sender(no_idle);
    for (int i = 0; i < 3; ++i)
      REQUIRE(sender.SendAndWait(Post(server.Url("/success"))).body_is_success);
    CHECK(sender.stats().connections_opened == 3);
    CHECK(sender.stats().connections_reused == 0);
    CHECK(sender.stats().open_connections == 0);
    CHECK(DistinctPorts(server.seen).size() == 3);
  }

  TEST_CASE("concurrent sends from 16 threads all succeed on at most 16 connections") {
    TestServer server;
    CallbackClient sender;
    constexpr int kThreads = 16;
    constexpr int kPerThread = 25;
    std::atomic<int> ok{0};
    std::mutex errors_mu;
    std::vector<std::string> errors;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < kPerThread; ++i) {
          CallbackResult r = sender.SendAndWait(Post(server.Url("/success")));
          if (r.http_status == 200 && r.body_is_success) {
            ++ok;
          } else {
            std::lock_guard<std::mutex> lock(errors_mu);
            errors.push_back(std::to_string(r.http_status) + " " + r.error);
          }
        }
      });
    }
    for (std::thread& t : threads) t.join();
    CHECK(ok == kThreads * kPerThread);
    for (const std::string& e : errors) CHECK(e == "");
    CallbackClientStats stats = sender.stats();
    CHECK(stats.connections_opened <= kThreads);
    CHECK(stats.open_connections <= kThreads);
    CHECK(stats.open_connections == stats.connections_opened);
  }

  TEST_CASE("concurrent timeouts do not hold each other up") {
    TestServer server;
    CallbackClient sender;
    std::vector<std::thread> threads;
    std::vector<CallbackResult> results(12);
    const auto start = std::chrono::steady_clock::now();
    for (int t = 0; t < 12; ++t) {
      threads.emplace_back([&, t] { results[t] = sender.SendAndWait(Post(server.Url("/hang"), 300)); });
    }
    for (std::thread& t : threads) t.join();
    const auto elapsed = std::chrono::steady_clock::now() - start;
    for (const CallbackResult& r : results) CHECK(r.error == "timeout after 300 ms");
    CHECK(elapsed < std::chrono::milliseconds(kGenerousMs));
  }

  TEST_CASE("the destructor closes idle connections: no file descriptor is left behind") {
    TestServer server;
    const size_t before = CountOpenFds();
    {
      CallbackClient sender;
      for (int i = 0; i < 5; ++i)
        REQUIRE(sender.SendAndWait(Post(server.Url("/success"))).body_is_success);
      CallbackClientOptions no_pool;
      no_pool.idle_timeout_s = 0;
      CallbackClient closer(no_pool);
      for (int i = 0; i < 5; ++i)
        REQUIRE(closer.SendAndWait(Post(server.Url("/success"))).body_is_success);
      CHECK(sender.stats().open_connections == 1);
      CHECK(closer.stats().open_connections == 0);
    }
    // Client sockets close in the destructor; the server's ends close once it sees EOF.
    CHECK(Eventually([&] { return CountOpenFds() <= before; }));
  }

  TEST_CASE("no descriptor for a socket: local_error, not the receiver's failure") {
    TestServer server;
    CallbackClient sender;
    rlimit saved;
    REQUIRE(getrlimit(RLIMIT_NOFILE, &saved) == 0);
    // Every descriptor up to a lowered limit taken, so the client's socket() fails (EMFILE).
    rlimit low = saved;
    low.rlim_cur = CountOpenFds() + 8;
    REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
    std::vector<int> filler;
    for (int fd; (fd = open("/dev/null", O_RDONLY)) >= 0;) filler.push_back(fd);
    CallbackResult r = sender.SendAndWait(Post(server.Url("/success")));
    for (int fd : filler) close(fd);
    REQUIRE(setrlimit(RLIMIT_NOFILE, &saved) == 0);
    INFO(r.error);
    CHECK(r.local_error);
    CHECK(r.http_status == 0);
    CHECK(StartsWith(r.error, "cannot open a socket: "));
    CHECK_FALSE(r.connection_failed);  // says nothing of the receiver
    // With descriptors back, the next attempt goes through.
    CHECK(sender.SendAndWait(Post(server.Url("/success"))).body_is_success);
  }

  TEST_CASE("sockets with fd numbers above 1024 work") {
    rlimit lim;
    REQUIRE(getrlimit(RLIMIT_NOFILE, &lim) == 0);
    if (lim.rlim_cur < 2048 && lim.rlim_max >= 2048) {
      lim.rlim_cur = 2048;
      REQUIRE(setrlimit(RLIMIT_NOFILE, &lim) == 0);
    }
    REQUIRE(lim.rlim_cur >= 2048);
    TestServer server;
    std::vector<int> filler;
    while (filler.empty() || filler.back() < 1100) filler.push_back(open("/dev/null", O_RDONLY));
    CallbackClient sender;
    CallbackResult r = sender.SendAndWait(Post(server.Url("/success")));
    for (int fd : filler) close(fd);
    CHECK(r.error == "");
    CHECK(r.body_is_success);
  }

  TEST_CASE("https: a trusted certificate for the IP works, with keep-alive") {
    TestCert cert("IP:127.0.0.1");
    TestServer server(cert.MakeServer());
    CallbackClient sender(TrustOnly(cert));
    REQUIRE(sender.tls_status().ok());
    for (int i = 0; i < 5; ++i) {
      CallbackResult r = sender.SendAndWait(Post(server.Url("/success", "https")));
      CHECK(r.error == "");
      CHECK(r.http_status == 200);
      CHECK(r.body_is_success);
    }
    CHECK(sender.stats().connections_opened == 1);
    CHECK(DistinctPorts(server.seen).size() == 1);
  }

  TEST_CASE("https: verification is on: an untrusted (self-signed) certificate is refused") {
    TestCert cert("IP:127.0.0.1");
    TestServer server(cert.MakeServer());
    CallbackClient sender;  // the system CA bundle, which does not hold our certificate
    CallbackResult r = sender.SendAndWait(Post(server.Url("/success", "https")));
    CHECK(r.http_status == 0);
    CHECK(StartsWith(r.error, "tls: certificate verify failed: "));
    std::lock_guard<std::mutex> lock(server.seen.mu);
    CHECK(server.seen.hits == 0);
  }

  TEST_CASE("https: name verification is on: a trusted certificate for another name fails") {
    TestCert cert("DNS:callbacks.example.com,IP:10.1.2.3");
    TestServer server(cert.MakeServer());
    CallbackClient sender(TrustOnly(cert));
    CallbackResult r = sender.SendAndWait(Post(server.Url("/success", "https")));
    CHECK(r.http_status == 0);
    INFO(r.error);
    CHECK(StartsWith(r.error, "tls: certificate verify failed: "));
    CHECK(r.error.find("'127.0.0.1'") != std::string::npos);
    std::lock_guard<std::mutex> lock(server.seen.mu);
    CHECK(server.seen.hits == 0);
  }

  TEST_CASE("https to a plain HTTP server, and http to a TLS server, fail cleanly") {
    TestServer plain;
    CallbackClient sender;
    CallbackResult r1 = sender.SendAndWait(Post(plain.Url("/success", "https")));
    CHECK(r1.http_status == 0);
    INFO(r1.error);
    CHECK(StartsWith(r1.error, "tls: handshake failed"));

    TestCert cert("IP:127.0.0.1");
    TestServer tls(cert.MakeServer());
    CallbackResult r2 = sender.SendAndWait(Post(tls.Url("/success", "http")));
    CHECK(r2.http_status == 0);
    INFO(r2.error);
    CHECK(r2.error == "no HTTP response: connection closed, reset, or not HTTP");
  }

  TEST_CASE("a missing CA bundle: tls_status says why, https fails, http still works") {
    TestServer server;
    CallbackClientOptions opts;
    opts.ca_bundle = "/nonexistent/ca.pem";
    CallbackClient sender(opts);
    CHECK_FALSE(sender.tls_status().ok());
    CHECK(sender.tls_status().message().find("/nonexistent/ca.pem") != std::string::npos);
    CallbackResult r = sender.SendAndWait(Post("https://127.0.0.1:1/x"));
    CHECK(r.http_status == 0);
    INFO(r.error);
    CHECK(r.error == "tls: cannot load CA bundle '/nonexistent/ca.pem': No such file or directory");
    CHECK(sender.SendAndWait(Post(server.Url("/success"))).body_is_success);
  }
}

}  // namespace tock
