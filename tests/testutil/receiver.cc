// DESIGN: httplib runs handlers on its own pool (256 threads here: tock opens up to its
// per-application parallelism of connections at once, and httplib holds a thread per
// keep-alive connection, so a small pool would serve a burst at a few requests a second); every handler records the request under mu_ before it
// chooses a reply, so arrival order and times are what tock did, not what the reply took.
// Delays wait on cv_ so that the destructor can cut them short. Idle keep-alive connections
// from tock are held by httplib for keep_alive_timeout (1 s here), which bounds how long
// the destructor can take.
#include "testutil/receiver.h"

#include "common/clock.h"

namespace tock::testing {

int64_t WallNowMs() { return SystemClock::Instance().WallMs(); }
int64_t MonoNowMs() { return SystemClock::Instance().MonoMs(); }

std::string ReceivedRequest::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

Receiver::Receiver() {
  server_.set_tcp_nodelay(true);
  server_.set_keep_alive_timeout(1);
  server_.set_read_timeout(5, 0);
  server_.set_write_timeout(5, 0);
  server_.set_payload_max_length(8 * 1024 * 1024);
  server_.new_task_queue = [] { return new httplib::ThreadPool(256); };
  auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    Handle(req, res);
  };
  server_.Post(R"(/.*)", handler);
  server_.Get(R"(/.*)", handler);
  server_.Put(R"(/.*)", handler);
  port_ = server_.bind_to_any_port("127.0.0.1");
  if (port_ <= 0) {
    port_ = 0;
    return;
  }
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  // httplib's stop() is a no-op until the accept loop runs, so a Receiver destroyed right
  // after construction would hang in join(); wait (bounded) for the loop to start.
  for (int i = 0; i < 5000 && !server_.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

Receiver::~Receiver() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  server_.stop();
  if (thread_.joinable()) thread_.join();
}

std::string Receiver::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void Receiver::SetDefaultReply(Reply reply) {
  std::lock_guard<std::mutex> lock(mu_);
  default_reply_ = std::move(reply);
}

void Receiver::QueueReplies(std::vector<Reply> replies) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& r : replies) queue_.push_back(std::move(r));
}

void Receiver::SetReplyFunction(std::function<Reply(const ReceivedRequest&)> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  reply_fn_ = std::move(fn);
}

size_t Receiver::Count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_.size();
}

std::vector<ReceivedRequest> Receiver::Requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

bool Receiver::WaitForCount(size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
}

bool Receiver::WaitFor(const std::function<bool(const std::vector<ReceivedRequest>&)>& pred,
                       std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return pred(requests_); });
}

void Receiver::Handle(const httplib::Request& req, httplib::Response& res) {
  ReceivedRequest rec;
  rec.arrival_wall_ms = WallNowMs();
  rec.arrival_mono_ms = MonoNowMs();
  rec.method = req.method;
  rec.path = req.path;
  rec.body = req.body;
  rec.headers = req.headers;
  Reply reply;
  std::function<Reply(const ReceivedRequest&)> fn;
  {
    std::lock_guard<std::mutex> lock(mu_);
    rec.index = requests_.size();
    requests_.push_back(rec);
    fn = reply_fn_;
    if (!fn) {
      if (!queue_.empty()) {
        reply = std::move(queue_.front());
        queue_.pop_front();
      } else {
        reply = default_reply_;
      }
    }
  }
  cv_.notify_all();
  if (fn) reply = fn(rec);  // called without mu_ held
  if (reply.delay.count() > 0) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, reply.delay, [&] { return stopping_; });
  }
  res.status = reply.status;
  for (const auto& [name, value] : reply.headers) res.set_header(name, value);
  res.set_content(reply.body, reply.content_type.c_str());
}

}  // namespace tock::testing
