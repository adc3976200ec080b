#include "dispatch/callback_builder.h"

#include "auth/signing.h"
#include "common/json_writer.h"

namespace tock {

std::string BuildCallbackBody(const Task& task, uint32_t attempt_number) {
  JsonWriter w;
  w.BeginObject();
  w.Key("data");
  w.Raw(task.content);
  w.Key("taskId");
  w.Uint(task.id);
  w.Key("taskNo");
  w.String(task.task_no);
  w.Key("name");
  w.String(task.name);
  w.Key("attempt");
  w.Uint(attempt_number);
  w.Key("scheduledAt");
  w.Int(task.runtime_ms);
  if (!task.schedule_id.empty()) {
    w.Key("scheduleId");
    w.String(task.schedule_id);
    w.Key("msgId");
    w.String(std::to_string(task.id));
  }
  w.EndObject();
  return w.Take();
}

HeaderList BuildCallbackHeaders(const App& app, const Task& task, std::string_view body,
                                int64_t now_ms) {
  const int64_t now_s = now_ms / 1000;
  const std::string id = std::to_string(task.id);
  const std::string ts = std::to_string(now_s);
  // Tagged as tock's own (auth/signing.h), so these headers can never authenticate a request.
  const std::string nonce = CallbackNonce(app.secret_key);
  const std::string payload = Sha256Hex(body);
  HeaderList h;
  h.reserve(8);
  h.emplace_back("webhook-id", id);
  h.emplace_back("webhook-timestamp", ts);
  std::string webhook_sig = StandardWebhookSignature(WebhookKey(app), id, now_s, body);
  if (PreviousSecretActive(app, now_ms)) {
    // Standard Webhooks: several signatures, space-delimited; the new one first.
    webhook_sig += ' ';
    webhook_sig += StandardWebhookSignature(PreviousWebhookKey(app), id, now_s, body);
  }
  h.emplace_back("webhook-signature", std::move(webhook_sig));
  h.emplace_back("app_key", app.app_key);
  h.emplace_back("nonce", nonce);
  h.emplace_back("timestamps", ts);
  h.emplace_back("payload", payload);
  h.emplace_back("signature", SerendipitySignature(app.secret_key, ts, nonce, payload));
  return h;
}

}  // namespace tock
