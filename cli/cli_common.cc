#include "cli/cli_common.h"

#include <cstdarg>
#include <charconv>
#include <cstdio>

#include "cli/api_client.h"
#include "cli/command_help.h"
#include "common/translate.h"

namespace casesync {

using nlohmann::json;

namespace {

// Exit code and error token for a node's HTTP status.
int exit_for_http(int status) {
  if (status == 400 || status == 404 || status == 413 || status == 414) return kExitUsage;
  return kExitRefused;
}

int exit_for(const Status& st) {
  if (st.code() == Code::kUnavailable) return kExitUnreachable;
  if (st.code() == Code::kInvalidArgument || st.code() == Code::kNotFound) return kExitUsage;
  return kExitRefused;
}

const char* token_for(const Status& st) {
  switch (st.code()) {
    case Code::kUnavailable: return "unreachable";
    case Code::kInvalidArgument: return "invalid";
    case Code::kNotFound: return "not_found";
    default: return "failed";
  }
}

}  // namespace

std::string Cli::flag(const std::string& name) {
  flags_known.insert(name);
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i].rfind(name + "=", 0) == 0) {
      std::string v = args[i].substr(name.size() + 1);
      args.erase(args.begin() + static_cast<long>(i));
      return v;
    }
    if (args[i] == name && i + 1 < args.size()) {
      std::string v = args[i + 1];
      args.erase(args.begin() + static_cast<long>(i), args.begin() + static_cast<long>(i) + 2);
      return v;
    }
  }
  return "";
}

std::vector<std::string> Cli::flags(const std::string& name) {
  std::vector<std::string> out;
  for (std::string v = flag(name); !v.empty(); v = flag(name)) out.push_back(v);
  return out;
}

bool Cli::has(const std::string& name) {
  flags_known.insert(name);
  for (auto it = args.begin(); it != args.end(); ++it) {
    if (*it == name) {
      args.erase(it);
      return true;
    }
  }
  return false;
}

std::optional<std::string> Cli::leftover_flag(const std::string& command) const {
  for (const auto& a : args) {
    if (a.size() < 2 || a[0] != '-') continue;
    const std::string name = a.substr(0, a.find('='));
    if (flags_known.count(name)) {
      return format_text(tr("%s needs a value (%s)"), name.c_str(), command.c_str());
    }
    std::string known;
    for (const auto& f : flags_known) known += " " + f;
    if (known.empty()) {
      return format_text(tr("unknown flag %s for %s (it takes no flags)"), a.c_str(), command.c_str());
    }
    return format_text(tr("unknown flag %s for %s (flags:%s)"), a.c_str(), command.c_str(),
                       known.c_str());
  }
  return std::nullopt;
}

void print_json(const json& j) {
  std::printf("%s\n", j.dump(2, ' ', false, json::error_handler_t::replace).c_str());
}

Result<int> parse_count(const std::string& flag, const std::string& text, int min, int max) {
  int value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return Status::error(Code::kInvalidArgument, flag + " \"" + text + "\": expected a whole number in " +
                                                     std::to_string(min) + ".." + std::to_string(max));
  }
  return value;
}

int usage_error(const Cli& cli, const std::string& message) {
  if (cli.as_json) {
    print_json({{"error", "usage"}, {"message", message}, {"field", ""}});
  } else {
    print_usage_error(cli.topic, message);
  }
  return kExitUsage;
}

int fail(const Cli& cli, const Status& st) {
  const bool from_node = cli.last_error.is_object();
  const int code = from_node ? exit_for_http(cli.last_error.value("status", 500)) : exit_for(st);
  if (cli.as_json) {
    print_json(from_node ? cli.last_error
                         : json{{"error", token_for(st)}, {"message", st.message()}, {"field", ""}});
  } else {
    // In the CLI's language where the message is a Text (common/text.h), as is the node's answer.
    std::fprintf(stderr, "casesyncctl: %s\n", st.text().render(current_language()).c_str());
  }
  return code;
}

Result<json> node_answer(Cli& cli, const ApiClient& client, const std::string& what,
                         Result<ApiResponse> response) {
  if (!response.is_ok()) return response.status();
  const ApiResponse& r = *response;
  if (r.status < 400) return r.body;
  json err = r.body.is_object() ? r.body : json::object();
  if (!err.contains("message")) {
    err["error"] = err.value("error", "failed");
    err["message"] = "the node answered HTTP " + std::to_string(r.status) + " to " + what +
                     (r.body.is_null() ? " with no explanation" : ": " + r.body.dump());
  }
  err["status"] = r.status;
  cli.last_error = err;
  std::string msg = err.value("message", "");
  const std::string field = err.value("field", "");
  if (!field.empty() && msg.find(field) == std::string::npos) msg += " (" + field + ")";
  if (r.status == 401) msg += " [" + client.token_note() + "]";
  const Code code = r.status == 404                         ? Code::kNotFound
                    : exit_for_http(r.status) == kExitUsage ? Code::kInvalidArgument
                                                            : Code::kInternal;
  return Status::error(code, msg);
}

Result<json> call(Cli& cli, const std::string& method, const std::string& path, const json& body) {
  cli.last_error = json();
  ASSIGN_OR_RETURN(ApiClient client, ApiClient::from_options(cli.api, cli.config, cli.token_file));
  return node_answer(cli, client, method + " " + path,
                     method == "GET" ? client.get(path) : client.post(path, body));
}

Result<json> call_text(Cli& cli, const std::string& path, const std::string& text) {
  cli.last_error = json();
  ASSIGN_OR_RETURN(ApiClient client, ApiClient::from_options(cli.api, cli.config, cli.token_file));
  return node_answer(cli, client, "POST " + path, client.post_text(path, text));
}

std::string format_text(const char* format, ...) {
  std::va_list args;
  va_start(args, format);
  std::va_list again;
  va_copy(again, args);
  const int n = std::vsnprintf(nullptr, 0, format, args);
  va_end(args);
  std::string out(n > 0 ? static_cast<std::size_t>(n) : 0, '\0');
  if (n > 0) std::vsnprintf(out.data(), out.size() + 1, format, again);
  va_end(again);
  return out;
}

std::string url_encode(const std::string& text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '_' || c == '.' || c == '~';
    if (plain) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace casesync
