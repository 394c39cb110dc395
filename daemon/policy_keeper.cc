#include "daemon/policy_keeper.h"

#include <filesystem>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "common/bytes.h"
#include "config/calendar_file.h"
#include "config/toml_errors.h"
#include "daemon/private_files.h"

namespace casesync {

namespace {
using json = nlohmann::json;

std::string retired_file(const std::string& data_dir) { return data_dir + "/matters-retired.json"; }

SignedPolicy signed_policy_of(const SignedDoc& d) { return {d.version, d.text, d.signature}; }

// The matters earlier bundles removed, as saved by save_retired(); a damaged file reads as none
// (the limit of an open case of a removed matter is then unknown, which shows as no deadline).
std::vector<Matter> load_retired(const std::string& data_dir) {
  std::vector<Matter> out;
  auto text = [&]() -> std::string {
    std::ifstream in(retired_file(data_dir));
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  json j = json::parse(text, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& m : j) {
    if (!m.is_object() || !m["code"].is_string() || !m["limit_working_days"].is_number_unsigned()) continue;
    Matter r{m["code"].get<std::string>(), m.value("name", ""),
             m["limit_working_days"].get<std::uint32_t>(), {}, true};
    out.push_back(std::move(r));
  }
  return out;
}
}  // namespace

Result<PolicyKeeper> PolicyKeeper::open(const NodeConfig& config, std::string* warning) {
  PolicyKeeper k;
  k.data_dir_ = config.data_dir;
  k.root_public_key_ = config.root_public_key;
  k.heard_ = PolicyHeard::load(config.data_dir + "/policy-heard.txt");
  std::error_code ec;
  if (std::filesystem::exists(policy_file(config.data_dir), ec)) {
    auto s = read_signed_policy(policy_file(config.data_dir), config.root_public_key);
    auto p = s.is_ok() ? open_policy(config.root_public_key, *s) : Result<Policy>(s.status());
    if (p.is_ok()) {
      k.signed_ = {s->version, s->text, s->signature};
      k.use(std::move(p).value());
      for (auto& m : load_retired(config.data_dir)) {
        if (!k.matters_.find(m.code)) k.matters_.add(std::move(m));
      }
      return k;
    }
    if (warning) *warning = "ignoring the saved policy bundle: " + p.status().message();
  }
  // Version 0: this node's own files, as before the district published anything (needed only
  // then: a node that holds a bundle starts without them).
  Policy own;
  ASSIGN_OR_RETURN(std::string matters, read_text_file(config.matters_file, "matters catalogue"));
  ASSIGN_OR_RETURN(own.matters, parse_matters(matters, config.matters_file));
  ASSIGN_OR_RETURN(own.deadlines, parse_deadline_defaults(matters, config.matters_file));
  ASSIGN_OR_RETURN(own.calendar, calendar_for(config.supervision.calendar));
  k.use(std::move(own));
  return k;
}

void PolicyKeeper::use(Policy p) {
  MattersCatalogue merged = p.matters;
  // A matter the new bundle dropped stays for the cases already open.
  for (const auto& [code, m] : matters_.all()) {
    if (merged.find(code)) continue;
    Matter r = m;
    r.retired = true;
    merged.add(std::move(r));
  }
  matters_ = std::move(merged);
  policy_ = std::move(p);
}

SupervisionConfig PolicyKeeper::supervision(SupervisionConfig own) const {
  policy_.deadlines.apply(own);
  return own;
}

Status PolicyKeeper::check(const SignedDoc& doc) const {
  return open_policy(root_public_key_, signed_policy_of(doc)).status();
}

Status PolicyKeeper::save_retired() const {
  json list = json::array();
  for (const auto& [code, m] : matters_.all()) {
    if (!m.retired) continue;
    list.push_back({{"code", m.code}, {"name", m.name}, {"limit_working_days", m.limit_working_days}});
  }
  return write_private_file(retired_file(data_dir_), list.dump(1) + "\n");
}

Status PolicyKeeper::adopt(const SignedDoc& doc) {
  ASSIGN_OR_RETURN(Policy p, open_policy(root_public_key_, signed_policy_of(doc)));
  signed_ = doc;
  use(std::move(p));
  // The signature first: a crash between the two leaves a text its old signature does not
  // verify, which open() ignores (falling back to the configured files until the next gossip).
  const std::string path = policy_file(data_dir_);
  Status st = write_private_file(path + ".sig", to_hex(doc.signature) + "\n");
  if (st.is_ok()) st = write_private_file(path, doc.text);
  if (st.is_ok()) st = save_retired();
  return st;
}

}  // namespace casesync
