// The pure parts of a webhook delivery (daemon/webhooks.h): which events a webhook takes, the
// signed request, what the receiver's answer means, and how long to wait before trying again.
//
// A delivery is one POST per event:
//   Content-Type: application/json
//   X-Casesync-Signature: sha256=<hex HMAC-SHA256(secret, body)>
//   X-Casesync-Event: <the event's hash, hex>   receivers dedupe by it (at least once)
//   X-Casesync-Webhook: <name>, X-Casesync-Node: <node id>
//   {"webhook": NAME, "node": NODE, "event": {...as GET /api/events shows it...}}
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "config/node_config.h"

namespace casesync::webhook {

inline constexpr const char* kSignatureHeader = "X-Casesync-Signature";
inline constexpr const char* kEventHeader = "X-Casesync-Event";
inline constexpr const char* kWebhookHeader = "X-Casesync-Webhook";
inline constexpr const char* kNodeHeader = "X-Casesync-Node";

enum class Outcome {
  kDelivered,   // 2xx
  kRetry,       // 5xx, 408, 429, no answer, a timeout: the receiver may take it later
  kDeadLetter,  // any other answer (4xx, 3xx, 1xx): sending it again will not help
};
Outcome outcome_of_status(int http_status);
const char* outcome_name(Outcome o);

// Whether the webhook takes events of `kind` (config `events`; empty: every kind).
bool wants_kind(const WebhookConfig& config, std::string_view kind);

// The wait after the `failures`-th failure in a row (1-based): backoff * 2^(failures-1), at most
// backoff_max, then "equal jitter": a uniform share between half and all of it, so receivers
// that failed together are not retried together. `unit` is a random draw in [0, 1).
std::uint64_t retry_delay_ms(const WebhookConfig& config, std::uint32_t failures, double unit);

// "sha256=" and the hex HMAC-SHA256 of `body` under `secret`.
std::string signature(std::string_view secret, std::string_view body);

std::string request_body(const std::string& node, const std::string& webhook,
                         const nlohmann::json& event);

}  // namespace casesync::webhook
