#include "http/router.h"

namespace tock::http {

void Router::Add(std::string method, std::string pattern, Handler handler, HeadCheck head_check) {
  routes_.push_back(Route{std::move(method), std::move(pattern), std::move(handler), nullptr,
                          std::move(head_check)});
}

void Router::AddAsync(std::string method, std::string pattern, AsyncHandler handler,
                      HeadCheck head_check) {
  routes_.push_back(Route{std::move(method), std::move(pattern), nullptr, std::move(handler),
                          std::move(head_check)});
}

void Router::AddFallback(std::string prefix, Handler handler) {
  // The pattern, which logs and metrics show, says "anything below"; Find matches the prefix.
  fallbacks_.push_back(Route{"", std::move(prefix) + "/*", std::move(handler), nullptr, nullptr});
}

// Segment by segment; `{...}` takes any one non-empty segment. Both strings start with '/'.
bool Router::PatternMatches(std::string_view pattern, std::string_view path,
                            std::vector<std::string>* params, int* literal_segments) {
  params->clear();
  *literal_segments = 0;
  size_t p = 0, q = 0;
  while (p < pattern.size() && q < path.size()) {
    if (pattern[p] != '/' || path[q] != '/') return false;
    size_t pe = pattern.find('/', p + 1);
    size_t qe = path.find('/', q + 1);
    if (pe == std::string_view::npos) pe = pattern.size();
    if (qe == std::string_view::npos) qe = path.size();
    std::string_view seg = pattern.substr(p + 1, pe - p - 1);
    std::string_view got = path.substr(q + 1, qe - q - 1);
    if (seg.size() >= 2 && seg.front() == '{' && seg.back() == '}') {
      if (got.empty()) return false;
      params->emplace_back(got);
    } else {
      if (seg != got) return false;
      ++*literal_segments;
    }
    p = pe;
    q = qe;
  }
  return p == pattern.size() && q == path.size();
}

std::vector<std::pair<std::string, std::string>> Router::Routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(routes_.size() + fallbacks_.size());
  for (const Route& r : routes_) out.emplace_back(r.method, r.pattern);
  for (const Route& f : fallbacks_) out.emplace_back("*", f.pattern);
  return out;
}

namespace {
void AddAllowed(std::string* allow, std::string_view method) {
  size_t start = 0;
  while (start < allow->size()) {
    size_t end = allow->find(", ", start);
    if (end == std::string::npos) end = allow->size();
    if (std::string_view(*allow).substr(start, end - start) == method) return;
    start = end + 2;
  }
  if (!allow->empty()) *allow += ", ";
  *allow += method;
}
}  // namespace

Router::Match Router::Find(Request* req) const {
  const std::string_view method = req->method == "HEAD" ? std::string_view("GET") : req->method;
  // One trailing slash after a non-empty segment is ignored (patterns never end in one);
  // "/" and "//" stay as they are.
  std::string_view path = req->path;
  if (path.size() > 2 && path.back() == '/' && path[path.size() - 2] != '/') {
    path.remove_suffix(1);
  }
  Match m;
  const Route* best = nullptr;
  int best_literals = -1;
  std::vector<std::string> params, best_params;
  for (const Route& r : routes_) {
    int literals = 0;
    if (!PatternMatches(r.pattern, path, &params, &literals)) continue;
    if (r.method != method) {
      AddAllowed(&m.allow, r.method);
      if (r.method == "GET") AddAllowed(&m.allow, "HEAD");  // served by the GET route
      continue;
    }
    if (literals > best_literals) {
      best = &r;
      best_literals = literals;
      best_params.swap(params);
    }
  }
  if (best != nullptr) {
    req->route = best->pattern;
    req->path_params = std::move(best_params);
    m.route = best;
    m.allow.clear();
    return m;
  }
  for (const Route& f : fallbacks_) {
    const std::string_view prefix = std::string_view(f.pattern).substr(0, f.pattern.size() - 2);
    if (path == prefix || (path.size() > prefix.size() && path.substr(0, prefix.size()) == prefix &&
                           path[prefix.size()] == '/')) {
      // The surface answers in its own error shape, also for a method it does not serve.
      req->route = f.pattern;
      req->allowed_methods = std::move(m.allow);
      m.route = &f;
      m.allow.clear();
      return m;
    }
  }
  return m;
}

}  // namespace tock::http
