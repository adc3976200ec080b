#include "creators.h"

#include "../bench/bench_util.h"

namespace tock::faults {

Creators::Creators(std::vector<int> ports, std::string admin_token, testing::App app, Options o)
    : ports_(std::move(ports)),
      admin_token_(std::move(admin_token)),
      app_(std::move(app)),
      o_(std::move(o)) {}

Creators::~Creators() { Stop(); }

void Creators::Start() {
  for (int c = 0; c < o_.clients; ++c) threads_.emplace_back([this, c] { Loop(c); });
}

void Creators::Stop() {
  stop_.store(true);
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void Creators::Loop(int client) {
  const int node = client % static_cast<int>(ports_.size());
  testing::ApiClient api("127.0.0.1", ports_[static_cast<size_t>(node)], admin_token_);
  while (!stop_.load()) {
    const int64_t i = next_.fetch_add(1);
    if (i >= o_.limit) return;
    testing::ApiResponse r = api.CreateTask(app_, o_.task(i));
    Answer a{bench::WallNowMs(), node, r.status, -1};
    const int64_t id = r.status == 200 && r.code() == 0 ? r.Int("/data/taskId") : INT64_MIN;
    if (id != INT64_MIN) a.task_id = id;
    {
      std::lock_guard<std::mutex> l(mu_);
      answers_.push_back(a);
      if (!a.acked() && a.status != 0 && first_refusal_.empty()) {
        first_refusal_ = r.Describe();
        first_refusal_retry_after_ = r.Header("Retry-After");
      }
    }
    if (a.status == 0) return;  // the node is gone
    if (!a.acked() && o_.pause_after_refusal_ms > 0) bench::SleepMs(o_.pause_after_refusal_ms);
  }
}

std::vector<int64_t> Creators::Acked() const {
  std::vector<int64_t> ids;
  for (const Answer& a : answers_) {
    if (a.acked()) ids.push_back(a.task_id);
  }
  return ids;
}

std::string Creators::first_refusal() const {
  std::lock_guard<std::mutex> l(mu_);
  return first_refusal_;
}

std::string Creators::first_refusal_retry_after() const {
  std::lock_guard<std::mutex> l(mu_);
  return first_refusal_retry_after_;
}

void AddRefusals(const Creators& load, const std::string& what, ScenarioResult* res) {
  int64_t refused = 0;
  for (const Creators::Answer& a : load.answers()) refused += !a.acked() && a.status != 0;
  if (refused > 0) {
    res->Violation(std::to_string(refused) + " " + what + ": " + load.first_refusal());
  }
}

}  // namespace tock::faults
