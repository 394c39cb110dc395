// The [[webhook]] tables of a node config (internal to config/; node_config.cc calls this).
// Every problem is reported as FILE:LINE: webhook[i].KEY: problem — a URL that does not parse,
// a scheme other than http, a missing or short secret, an unknown event kind, a duplicate name.
#pragma once

#include <toml++/toml.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/node_config.h"
#include "config/toml_errors.h"

namespace casesync {

void read_webhooks(const toml::table& root, TomlErrors& errors,
                   std::vector<WebhookConfig>& webhooks);

// "http://HOST[:PORT][/PATH]" into `out`'s scheme, host, port and path, or what is wrong with
// it. https is refused unless this build has a TLS client (CASESYNC_HTTPS_CLIENT).
std::optional<std::string> parse_webhook_url(std::string_view url, WebhookConfig& out);

}  // namespace casesync
