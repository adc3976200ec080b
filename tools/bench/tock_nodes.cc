#include "tock_nodes.h"

#include <signal.h>

#include <httplib.h>

#include <algorithm>

#include "auth/signing.h"
#include "bench_util.h"

namespace tock::bench {

TockNodes::TockNodes(testing::TockProcess::Options base, std::string pg_admin_url, int n)
    : pg_admin_url_(std::move(pg_admin_url)),
      base_(std::move(base)),
      n_(pg_admin_url_.empty() ? 1 : std::max(1, n)) {
  admin_token_ = base_.admin_token.empty() ? RandomAlnum(32) : base_.admin_token;
  base_.admin_token = admin_token_;
}

TockNodes::~TockNodes() {
  nodes_.clear();  // each stops its child (SIGTERM first if the options give it grace)
  db_.reset();
}

bool TockNodes::Start(std::string* error) {
  if (nodes_.empty()) {
    testing::TockProcess::Options o = base_;
    if (!pg_admin_url_.empty()) {
      if (!testing::PgDatabase::Create(pg_admin_url_, "tock_", &db_, error)) return false;
      o.extra_args.insert(o.extra_args.begin(), {"--store", db_->url()});
    }
    for (int i = 0; i < n_; ++i) nodes_.push_back(std::make_unique<testing::TockProcess>(o));
  }
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i]->running()) continue;
    if (!nodes_[i]->Start(error)) {
      if (n_ > 1) *error = "node " + std::to_string(i + 1) + ": " + *error;
      return false;
    }
  }
  return true;
}

int TockNodes::Terminate(std::chrono::milliseconds timeout) {
  // All at once: each node's shutdown (its in-flight work, the store) runs in parallel.
  for (auto& t : nodes_) {
    if (t->running()) kill(t->pid(), SIGTERM);
  }
  int rc = 0;
  for (auto& t : nodes_) {
    const int r = t->Terminate(timeout);  // SIGTERMs again, harmlessly; reaps
    if (rc == 0) rc = r;
  }
  return rc;
}

bool TockNodes::WaitAppKnown(const std::string& app_key, const std::string& secret_key,
                             std::string* error) {
  for (size_t i = 1; i < nodes_.size(); ++i) {
    httplib::Client c("127.0.0.1", nodes_[i]->port());
    c.set_connection_timeout(5, 0);
    c.set_basic_auth(app_key, secret_key);
    int status = 0;
    for (int64_t t0 = MonoNowUs(); MonoNowUs() - t0 < 30000000 && !Cancelled(); SleepMs(100)) {
      auto res = c.Get("/task/detail?id=1");  // 404 once known, 401 before
      status = res ? res->status : 0;
      if (status != 0 && status != 401) break;
    }
    if (status == 0 || status == 401) {
      *error = "node " + std::to_string(i + 1) + " did not learn the application in 30 s (HTTP " +
               std::to_string(status) + ")";
      return false;
    }
  }
  return true;
}

std::vector<int> TockNodes::ports() const {
  std::vector<int> out;
  for (const auto& t : nodes_) out.push_back(t->port());
  return out;
}

bool TockNodes::running() {
  if (nodes_.empty()) return false;
  for (auto& t : nodes_) {
    if (!t->running()) return false;
  }
  return true;
}

std::string TockNodes::LogTail(size_t max_bytes) const {
  std::string out;
  for (const auto& t : nodes_) out += t->LogTail(max_bytes / std::max<size_t>(1, nodes_.size()));
  return out;
}

std::vector<double> TockNodes::CpuSeconds() const {
  std::vector<double> out;
  for (const auto& t : nodes_) out.push_back(t->pid() > 0 ? bench::CpuSeconds(t->pid()) : -1);
  return out;
}

double TockNodes::PeakRssMiB() const {
  double peak = -1;
  for (const auto& t : nodes_) {
    if (t->pid() > 0) peak = std::max(peak, bench::PeakRssMiB(t->pid()));
  }
  return peak;
}

}  // namespace tock::bench
