// Receiver: a real HTTP callback target on 127.0.0.1 (port 0) that records every request
// tock delivers and answers as the test programs it. Owns an httplib::Server and the thread
// that runs it; the destructor stops both (a reply that is still being delayed is cut short).
//
//   Receiver rx;                                   // listening once constructed
//   rx.QueueReplies({{500, "no"}, {200, "success"}});  // first call 500, then 200 ...
//   rx.SetDefaultReply({200, "success"});          // ... for every call after the queue
//   REQUIRE(rx.WaitForCount(2, 5s));
//   auto reqs = rx.Requests();                     // in arrival order
//
// Waiting is on a condition variable signalled per request; no fixed sleeps.
// Thread-safety: every public method may be called from any thread.
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tock::testing {

// Wall-clock (CLOCK_REALTIME) and monotonic milliseconds.
int64_t WallNowMs();
int64_t MonoNowMs();

struct ReceivedRequest {
  size_t index = 0;             // 0-based arrival order
  int64_t arrival_wall_ms = 0;  // wall clock when the handler started
  int64_t arrival_mono_ms = 0;  // steady clock when the handler started
  std::string method;
  std::string path;
  std::string body;
  httplib::Headers headers;  // case-insensitive multimap

  // First value of the header, "" if absent (case-insensitive name).
  std::string Header(const std::string& name) const;
  bool HasHeader(const std::string& name) const { return headers.count(name) > 0; }
};

struct Reply {
  int status = 200;
  std::string body = "success";
  std::chrono::milliseconds delay{0};  // wait this long before answering
  std::string content_type = "text/plain";
  std::vector<std::pair<std::string, std::string>> headers;  // extra response headers
};

class Receiver {
 public:
  Receiver();
  ~Receiver();
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  bool ok() const { return port_ > 0; }
  int port() const { return port_; }
  // "http://127.0.0.1:<port><path>". Any path is accepted and recorded.
  std::string Url(const std::string& path = "/hook") const;

  // Answer for calls once the queue is empty (initially 200 "success").
  void SetDefaultReply(Reply reply);
  // Answers for the next calls, in order, before the default applies again.
  void QueueReplies(std::vector<Reply> replies);
  // Takes precedence over queue and default while set (pass nullptr to clear).
  void SetReplyFunction(std::function<Reply(const ReceivedRequest&)> fn);

  size_t Count() const;
  std::vector<ReceivedRequest> Requests() const;

  // Waits until at least n requests arrived; false on timeout.
  bool WaitForCount(size_t n, std::chrono::milliseconds timeout) const;
  // Waits until pred(all requests so far) holds; false on timeout.
  bool WaitFor(const std::function<bool(const std::vector<ReceivedRequest>&)>& pred,
               std::chrono::milliseconds timeout) const;

 private:
  void Handle(const httplib::Request& req, httplib::Response& res);

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;  // a request arrived, or stopping_
  std::vector<ReceivedRequest> requests_;  // GUARDED_BY(mu_)
  std::deque<Reply> queue_;                // GUARDED_BY(mu_)
  Reply default_reply_;                    // GUARDED_BY(mu_)
  std::function<Reply(const ReceivedRequest&)> reply_fn_;  // GUARDED_BY(mu_)
  bool stopping_ = false;                  // GUARDED_BY(mu_)
};

}  // namespace tock::testing
