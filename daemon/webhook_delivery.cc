#include "daemon/webhook_delivery.h"

#include <algorithm>

#include "common/bytes.h"
#include "crypto/crypto.h"

namespace casesync::webhook {

Outcome outcome_of_status(int s) {
  if (s >= 200 && s < 300) return Outcome::kDelivered;
  // 408 and 429 say "not now" rather than "never".
  if (s >= 500 || s == 408 || s == 429) return Outcome::kRetry;
  return Outcome::kDeadLetter;
}

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::kDelivered: return "delivered";
    case Outcome::kRetry: return "retry";
    case Outcome::kDeadLetter: return "dead_letter";
  }
  return "?";
}

bool wants_kind(const WebhookConfig& config, std::string_view kind) {
  return config.events.empty() ||
         std::find(config.events.begin(), config.events.end(), kind) != config.events.end();
}

std::uint64_t retry_delay_ms(const WebhookConfig& config, std::uint32_t failures, double unit) {
  std::uint64_t delay = config.backoff_ms;
  for (std::uint32_t i = 1; i < failures && delay < config.backoff_max_ms; ++i) delay *= 2;
  delay = std::min(delay, config.backoff_max_ms);
  const double share = 0.5 + 0.5 * std::clamp(unit, 0.0, 1.0);
  return std::max<std::uint64_t>(1, static_cast<std::uint64_t>(static_cast<double>(delay) * share));
}

std::string signature(std::string_view secret, std::string_view body) {
  return "sha256=" + to_hex(crypto::hmac_sha256(secret, body));
}

std::string request_body(const std::string& node, const std::string& webhook,
                         const nlohmann::json& event) {
  const nlohmann::json body = {{"webhook", webhook}, {"node", node}, {"event", event}};
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace casesync::webhook
