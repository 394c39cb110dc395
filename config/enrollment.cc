#include "config/enrollment.h"

#include <nlohmann/json.hpp>

#include "common/bytes.h"
#include "config/toml_errors.h"
#include "crypto/crypto.h"

namespace casesync {

using nlohmann::json;

std::string render_enrollment(const EnrollmentRequest& r) {
  return json{{"node_id", r.node.id},
              {"role", role_name(r.node.role)},
              {"parent", r.node.parent},
              {"name", r.node.name},
              {"sign_public_key", to_hex(r.node.sign_public_key)},
              {"curve_public_key", to_hex(r.curve_public_key)},
              {"endpoint", r.node.endpoint}}
             .dump(2) + "\n";
}

Result<EnrollmentRequest> parse_enrollment(const std::string& text, const std::string& source) {
  auto bad = [&](const std::string& why) {
    return Status::error(Code::kInvalidArgument, source + ": " + why);
  };
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    return bad(std::string("not an enrollment request (JSON): ") + e.what());
  }
  if (!j.is_object()) return bad("not an enrollment request (expected a JSON object)");
  auto str = [&](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string(); };
  EnrollmentRequest r;
  r.node.id = str("node_id");
  if (auto problem = node_id_problem(r.node.id)) return bad("node_id: " + *problem);
  auto role = role_from_name(str("role"));
  if (!role || *role == Role::kDistrict) return bad("role: must be street or community");
  r.node.role = *role;
  r.node.parent = str("parent");
  if (r.node.parent.empty()) return bad("parent: required");
  r.node.name = str("name").substr(0, 200);
  r.node.endpoint = str("endpoint");
  if (!r.node.endpoint.empty()) {
    if (auto problem = endpoint_problem(r.node.endpoint)) return bad("endpoint: " + *problem);
  }
  auto sign = from_hex(str("sign_public_key"));
  auto curve = from_hex(str("curve_public_key"));
  if (!sign || sign->size() != 32) return bad("sign_public_key: 64 hex characters required");
  if (!curve || *curve != crypto::curve_public_from_sign_public(*sign)) {
    return bad("curve_public_key does not belong to sign_public_key");
  }
  r.node.sign_public_key = *sign;
  r.curve_public_key = *curve;
  return r;
}

Status approve_enrollment(Roster& roster, const EnrollmentRequest& r) {
  if (roster.find(r.node.id)) {
    return Status::error(Code::kInvalidArgument, "node " + r.node.id + " is already in the roster");
  }
  const RosterNode* parent = roster.find(r.node.parent);
  if (!parent || parent->revoked) {
    return Status::error(Code::kInvalidArgument,
                         "parent " + r.node.parent + " is not an active node of the roster");
  }
  for (const auto& [id, n] : roster.nodes()) {
    if (n.sign_public_key == r.node.sign_public_key) {
      return Status::error(Code::kInvalidArgument, "that key is already enrolled as " + id);
    }
  }
  roster.add(r.node);
  roster.version++;
  return Status::ok();
}

}  // namespace casesync
