#include "api/app_auth.h"

#include <vector>

#include "auth/basic_auth.h"
#include "auth/replay_guard.h"
#include "auth/signing.h"
#include "common/log.h"
#include "storage/store.h"
#include "tasks/app_registry.h"

namespace tock {

AppAuthenticator::AppAuthenticator(AppRegistry& apps, ReplayGuard& replay, Store& store,
                                   const Clock& clock, SignedRequestPolicy policy)
    : apps_(apps), replay_(replay), store_(store), clock_(clock), policy_(policy) {}

Status AppAuthenticator::CheckHead(std::string_view authorization,
                                   const SignedHeaders& signed_headers) {
  AuthInput in;
  in.authorization = authorization;
  in.signed_headers = signed_headers;
  return Identify(in, /*with_body=*/false).status();
}

Result<std::shared_ptr<const App>> AppAuthenticator::Authenticate(
    const AuthInput& in, std::optional<UsedNonce>* defer_nonce) {
  Result<std::shared_ptr<const App>> app = Identify(in, /*with_body=*/true);
  if (!app.ok() || !in.authorization.empty()) return app;
  const SignedHeaders& h = in.signed_headers;
  const int64_t now_s = clock_.WallMs() / 1000;
  std::optional<int64_t> ts = ParseTimestamps(h.timestamps);
  if (!ts || !replay_.CheckAndRemember(h.app_key, h.nonce, *ts, now_s)) {
    return Status::Unauthorized(kNonceReplayed);
  }
  if (defer_nonce != nullptr) {
    defer_nonce->emplace(UsedNonce{h.app_key, h.nonce, *ts});
    return app;
  }
  // Not synced: a nonce lost in a crash could be replayed only within its 300 s window,
  // and only if the crash also lost the request it came with.
  const std::unique_ptr<Store::Batch> b = store_.NewBatch();
  b->PutNonce(h.app_key, h.nonce, *ts);
  Status st = store_.Write(*b, /*sync=*/false);
  // Conflict: another node (same database) took this nonce first.
  if (st.code() == Code::kConflict) return Status::Unauthorized(kNonceReplayed);
  if (!st.ok()) return st;
  return app;
}

Result<std::shared_ptr<const App>> AppAuthenticator::Identify(const AuthInput& in, bool with_body) {
  if (!in.authorization.empty()) {
    auto creds = ParseBasicAuth(in.authorization);
    if (!creds) {
      return Status::Unauthorized(
          "header 'Authorization': must be Basic base64(appKey:secretKey)");
    }
    std::shared_ptr<const App> app = apps_.Find(creds->first);
    // Compare against a dummy when the key is unknown, so timing does not reveal which
    // application keys exist.
    static const std::string kDummy(32, 'x');
    bool match = ConstantTimeEquals(app ? app->secret_key : kDummy, creds->second);
    // During a rotation's grace period the previous secret is accepted too. Both compares
    // run (non-short-circuit |), so timing does not tell which secret matched.
    if (app && PreviousSecretActive(*app, clock_.WallMs())) {
      match = ConstantTimeEquals(app->previous_secret, creds->second) | match;
    }
    if (!app || !match) return Status::Unauthorized("invalid application credentials");
    return app;
  }
  const SignedHeaders& h = in.signed_headers;
  if (h.app_key.empty() && h.signature.empty()) {
    return Status::Unauthorized(
        "missing credentials: send Authorization: Basic base64(appKey:secretKey) or the "
        "signed headers app_key, nonce, timestamps, payload, signature");
  }
  std::shared_ptr<const App> app = apps_.Find(h.app_key);
  // As generic as Basic's answer: a stranger learns nothing of which keys exist.
  if (!app) return Status::Unauthorized("invalid application credentials");
  const int64_t now_ms = clock_.WallMs();
  const int64_t now_s = now_ms / 1000;
  // A nonce tock issued for a callback: the callback's own headers, replayed.
  if (IsCallbackNonce(h.nonce, app->secret_key) ||
      (PreviousSecretActive(*app, now_ms) && IsCallbackNonce(h.nonce, app->previous_secret))) {
    return Status::Unauthorized(
        "header 'nonce': issued by tock for a callback; a callback cannot authenticate a request");
  }
  const std::string_view* body = with_body ? &in.body : nullptr;
  Status s = VerifySignedParts(h, app->secret_key, body, now_s, policy_);
  // During a rotation's grace period a request signed with the previous secret passes too.
  // The checks before the HMAC do not depend on the secret, so only a signature mismatch can
  // turn ok here; on failure the first error (naming the broken header) is returned.
  // Cost: a second SHA-256 of the body and HMAC, only for failing requests in a grace period.
  if (!s.ok() && PreviousSecretActive(*app, now_ms) &&
      VerifySignedParts(h, app->previous_secret, body, now_s, policy_).ok()) {
    s = Status::Ok();
  }
  if (!s.ok()) return s;
  return app;
}

Status AppAuthenticator::LoadNonces() {
  const int64_t now_s = clock_.WallMs() / 1000;
  return store_.ForEachNonce([&](std::string_view app, std::string_view nonce, int64_t ts) {
    if (ts + policy_.window_s >= now_s) replay_.Remember(app, nonce, ts);
  });
}

void AppAuthenticator::ExpireNonces() {
  const int64_t now_s = clock_.WallMs() / 1000;
  replay_.Expire(now_s);
  std::vector<std::pair<std::string, std::string>> old;
  Status s = store_.ForEachNonce([&](std::string_view app, std::string_view nonce, int64_t ts) {
    if (ts + policy_.window_s < now_s) old.emplace_back(std::string(app), std::string(nonce));
  });
  if (!s.ok() || old.empty()) return;
  const std::unique_ptr<Store::Batch> b = store_.NewBatch();
  for (const auto& [app, nonce] : old) b->DeleteNonce(app, nonce);
  Status w = store_.Write(*b, /*sync=*/false);
  if (!w.ok()) log::Warn("nonces.expire_failed", {{"error", w.message()}});
}

}  // namespace tock
