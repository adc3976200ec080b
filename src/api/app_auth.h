// AppAuthenticator: who is calling an application-scoped route (SPEC §2).
//
// Two forms, tried in this order:
//   Authorization: Basic base64(appKey:secretKey)         (the EngageLab form)
//   app_key, nonce, timestamps, payload, signature headers (the Serendipity form), with a
//   300 s timestamp window, nonce replay protection and payload = SHA-256 of the body.
// Either form also accepts the application's previous secret while a secret rotation's
// grace period lasts (App::previous_secret_until_ms); the replay rules are the same, and a
// nonce is one nonce per application whichever secret signed it.
// Accepted nonces are remembered in memory (ReplayGuard) and written to the nonces column
// family, so a replay is refused across a restart too.
//
// Thread-safety: Authenticate may be called from any thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/signed_request.h"
#include "common/clock.h"
#include "common/status.h"
#include "model/app.h"

namespace tock {

class AppRegistry;
class ReplayGuard;
class Store;

struct AuthInput {
  std::string_view authorization;  // the Authorization header, or empty
  SignedHeaders signed_headers;    // all empty when not sent
  std::string_view body;
};

class AppAuthenticator {
 public:
  AppAuthenticator(AppRegistry& apps, ReplayGuard& replay, Store& store, const Clock& clock,
                   SignedRequestPolicy policy);
  // When defer_nonce is given, an accepted signed request's nonce goes there instead of to
  // storage: the caller writes it with the request's own synced write (the creates, whose
  // event loop must not wait in RocksDB's write queue), so the nonce is on disk whenever
  // the request's effect is.
  Result<std::shared_ptr<const App>> Authenticate(const AuthInput& in,
                                                  std::optional<UsedNonce>* defer_nonce = nullptr);
  // What the request head alone proves, before its body is read: Basic credentials in
  // full; for signed headers the application, the clock window and the signature over the
  // payload header as sent. Authenticate still runs on the whole request. Remembers nothing.
  Status CheckHead(std::string_view authorization, const SignedHeaders& signed_headers);
  // Loads the nonces remembered on disk into the replay guard (start-up).
  Status LoadNonces();
  // Forgets nonces outside the window, in memory and on disk.
  void ExpireNonces();

 private:
  // The checks of both: the credentials, and with_body the payload's binding to the body;
  // not the nonce.
  Result<std::shared_ptr<const App>> Identify(const AuthInput& in, bool with_body);

  AppRegistry& apps_;
  ReplayGuard& replay_;
  Store& store_;
  const Clock& clock_;
  const SignedRequestPolicy policy_;
};

}  // namespace tock
