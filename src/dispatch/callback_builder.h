// CallbackBuilder: the body and the two signature header sets of one delivery attempt
// (SPEC §5). Pure apart from the nonce, which comes from the CSPRNG.
//
//   body: {"data":<content>,"taskId":N,"taskNo":"...","name":"...","attempt":k,
//          "scheduledAt":<unix ms>[,"scheduleId":"...","msgId":"..."]}
//   Standard Webhooks: webhook-id (the task id, the same on every retry),
//                      webhook-timestamp, webhook-signature
//   Serendipity:       app_key, nonce, timestamps, payload (hex SHA-256), signature
//
// Secret rotation: while the application's previous secret is in its grace period
// (PreviousSecretActive), webhook-signature carries two space-separated signatures,
// "v1,<with new secret> v1,<with previous secret>" (Standard Webhooks receivers accept a
// delivery when any one verifies), so receivers can switch secrets at their own pace. The
// Serendipity `signature` header has room for one value and uses the new secret only.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "model/app.h"
#include "model/task.h"

namespace tock {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

std::string BuildCallbackBody(const Task& task, uint32_t attempt_number);

// Signs `body` for delivery of `task` at now_ms (unix ms; the headers carry its seconds) with
// the application's secret, and with its previous secret too while that is in its grace
// period at now_ms.
HeaderList BuildCallbackHeaders(const App& app, const Task& task, std::string_view body,
                                int64_t now_ms);

}  // namespace tock
