#include "config/start_checks.h"

#include <filesystem>

#include "config/calendar_file.h"
#include "config/toml_errors.h"

namespace casesync {

namespace {
// The status with the config's FILE:LINE: KEY in front, keeping the code.
Status at_key(const NodeConfig& config, std::string_view key, const Status& st) {
  return Status::error(st.code(), config_where(config, key) + ": " + st.message());
}

// The roster a node starts from: the configured file, or the copy it saved when a newer signed
// roster arrived from a peer (the configured file may still be the older one).
Result<SignedRoster> roster_for_start(const NodeConfig& config, std::vector<std::string>& warnings) {
  auto configured = read_signed_roster(config.roster_file, config.root_public_key);
  if (!configured.is_ok()) {
    return at_key(config, "paths.roster",
                  configured.status().with_context(
                      "cannot trust the roster (sign it with `casesyncctl roster sign` using the "
                      "district root key whose public half trust.root_public_key pins, " +
                      config_where(config, "trust.root_public_key") + ")"));
  }
  const std::string saved = config.data_dir + "/roster-current.toml";
  std::error_code ec;
  if (!std::filesystem::exists(saved, ec)) return configured;
  auto received = read_signed_roster(saved, config.root_public_key);
  if (!received.is_ok()) {
    warnings.push_back("ignoring " + saved + ": " + received.status().message());
    return configured;
  }
  return received->version > configured->version ? received : configured;
}

Result<WorkCalendar> calendar_of(const NodeConfig& config) {
  const std::string& setting = config.supervision.calendar;
  auto cal = calendar_for(setting);
  if (cal.is_ok()) return cal;
  return Status::error(cal.status().code(),
                       config_where(config, "calendar") + ": " + in_quotes(setting) +
                           " is neither \"always\", \"\" (the built-in national calendar) nor a "
                           "usable calendar file: " + cal.status().message());
}
}  // namespace

std::string config_where(const NodeConfig& config, std::string_view dotted_key) {
  auto text = read_text_file(config.source_path, "config");
  if (text.is_ok()) {
    auto root = parse_toml(*text, config.source_path);
    if (root.is_ok()) {
      const toml::node_view<const toml::node> node = std::as_const(*root).at_path(dotted_key);
      if (node && node.node()->source().begin.line > 0) {
        return config.source_path + ":" + std::to_string(node.node()->source().begin.line) + ": " +
               std::string(dotted_key);
      }
    }
  }
  return config.source_path + ": " + std::string(dotted_key);
}

Result<StartInputs> check_start_inputs(const NodeConfig& config) {
  RETURN_IF_ERROR(require_trust(config));
  StartInputs in;
  ASSIGN_OR_RETURN(in.signed_roster, roster_for_start(config, in.warnings));
  auto roster = open_roster(config.root_public_key, in.signed_roster, config.roster_file);
  if (!roster.is_ok()) return at_key(config, "paths.roster", roster.status());
  in.roster = std::move(*roster);
  const RosterNode* me = in.roster.find(config.node_id);
  if (!me) {
    return Status::error(Code::kInvalidArgument,
                         config_where(config, "node.id") + ": node " + config.node_id +
                             " is not in the roster " + config.roster_file +
                             "; enroll it before starting it");
  }
  auto matters = load_matters(config.matters_file);
  if (!matters.is_ok()) return at_key(config, "paths.matters", matters.status());
  in.matters = std::move(*matters);
  auto keys = crypto::load_keypair(config.key_file);
  if (!keys.is_ok()) return at_key(config, "paths.key_file", keys.status());
  in.keys = std::move(*keys);
  if (in.keys.public_key != me->sign_public_key) {
    return Status::error(Code::kPermission,
                         config_where(config, "paths.key_file") + ": " + config.key_file +
                             ": this key is not the one the roster lists for " + config.node_id +
                             " (" + config.roster_file + ")");
  }
  ASSIGN_OR_RETURN(in.calendar, calendar_of(config));
  return in;
}

}  // namespace casesync
