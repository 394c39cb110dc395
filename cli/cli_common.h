// What every casesyncctl command shares: the invocation (global options, the command's own
// arguments), strict flag parsing (a flag the command does not take is a usage error, exit 2),
// calls to the node's API, and how failures are reported — as text on stderr, or with --json as
// {"error": CODE, "message": ..., "field": ...} on stdout. The exit code says which kind:
//   0 ok, 1 the node refused or failed (403, 409, 5xx), 2 bad usage or input (400, 404, 413),
//   3 the node is unreachable.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cli/api_client.h"
#include "common/status.h"

namespace casesync {

constexpr int kExitOk = 0;
constexpr int kExitRefused = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnreachable = 3;

struct Cli {
  std::string config;
  std::string api;
  std::string token_file;  // --token-file (cli/api_client.h: where else the token comes from)
  bool as_json = false;
  std::string topic;  // the help topic ("case show"): a usage error points to its --help
  std::vector<std::string> args;  // the command's arguments, global options removed
  std::set<std::string> flags_known;  // every flag a take_* asked for
  nlohmann::json last_error;          // the node's error answer of the last call, if any

  // "--name VALUE" or "--name=VALUE" (removed from args); "" when absent.
  std::string flag(const std::string& name);
  // Every "--name VALUE", in order (a repeatable flag).
  std::vector<std::string> flags(const std::string& name);
  // A switch: "--name" present (removed).
  bool has(const std::string& name);
  // After the command took its flags: the first leftover that looks like a flag, as a usage
  // problem ("unknown flag --bogus for cases", "--to needs a value").
  std::optional<std::string> leftover_flag(const std::string& command) const;
};

// Usage error (exit 2): the message and `see: casesyncctl CMD --help` on stderr; JSON on stdout
// with --json.
// A whole number in min..max typed for `flag`; the error names the flag, the text and the range.
Result<int> parse_count(const std::string& flag, const std::string& text, int min, int max);
int usage_error(const Cli& cli, const std::string& message);
// Any other failure: the exit code from the status (or the node's HTTP answer of the last call).
// The node's answer: its JSON on success, else a Status with the node's message (the answer
// itself kept in cli.last_error for --json; a 401 says where the token came from). `what` names
// the request ("POST /api/backup").
Result<nlohmann::json> node_answer(Cli& cli, const ApiClient& client, const std::string& what,
                                   Result<ApiResponse> response);
int fail(const Cli& cli, const Status& status);
// Prints JSON (never throws on bad bytes).
void print_json(const nlohmann::json& j);

// Calls the node's API. An error answer becomes a Status with the node's message; the answer
// itself stays in cli.last_error for --json.
Result<nlohmann::json> call(Cli& cli, const std::string& method, const std::string& path,
                            const nlohmann::json& body = nlohmann::json());

// The same with a body of text (JSON lines for /api/import).
Result<nlohmann::json> call_text(Cli& cli, const std::string& path, const std::string& text);

// printf into a string: for translated formats (tr("... %s ...")), whose words may move around
// the values.
std::string format_text(const char* format, ...) __attribute__((format(printf, 1, 2)));

// Percent-encodes a query parameter value (UTF-8 names, spaces, '&').
std::string url_encode(const std::string& text);

}  // namespace casesync
