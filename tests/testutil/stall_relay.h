// StallRelay: a TCP relay on 127.0.0.1 (port 0) to 127.0.0.1:<upstream port> that can stall:
// while frozen it accepts and holds connections but moves no byte either way, as a hung
// server or pooler, or a network that drops packets, looks to the client (no refusal, no
// reset, no answer). The PostgreSQL suites put it between tock and the database.
//
//   StallRelay relay(pg_port);
//   std::string url = RewritePort(db_url, relay.port());
//   relay.Freeze(); ... relay.Thaw();
//
// One accept thread and one thread per connection (tock opens a handful), each polling every
// 50 ms so that Freeze takes effect at once and Stop() ends them. Stop() (or the destructor)
// closes everything and joins every thread.
// Thread-safety: every public method from any thread.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tock::testing {

class StallRelay {
 public:
  explicit StallRelay(int upstream_port);
  ~StallRelay() { Stop(); }
  StallRelay(const StallRelay&) = delete;
  StallRelay& operator=(const StallRelay&) = delete;

  bool ok() const { return port_ > 0; }
  int port() const { return port_; }
  void Freeze() { frozen_.store(true); }
  void Thaw() { frozen_.store(false); }
  void Stop();

 private:
  void AcceptLoop();
  void Relay(int client, int upstream);

  const int upstream_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> frozen_{false};
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::vector<std::thread> threads_;  // GUARDED_BY(mu_)
  std::thread accept_thread_;
};

// `url` ("postgresql://u:p@127.0.0.1:5432/db?...") with its port replaced.
std::string RewritePort(const std::string& url, int port);

}  // namespace tock::testing
