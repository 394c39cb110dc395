#include "daemon/api_verdict.h"

#include "daemon/api_commands.h"
#include "sync/actor.h"
#include "sync/case_kinds.h"
#include "sync/event_content.h"

namespace casesync {

ApiError verdict_error(const Verdict& v, const std::string& field) {
  switch (v.refusal) {
    case Refusal::kMalformed: return {400, "invalid", v.reason, field};
    case Refusal::kNotFound: return {404, "not_found", v.reason, field};
    case Refusal::kPermission: return {403, "forbidden", v.reason, field};
    case Refusal::kState: return {409, "conflict", v.reason, field};
  }
  return {400, "invalid", v.reason, field};
}

std::optional<ApiError> sign_as(NodeRuntime& rt, const Requester& who, EventDraft& draft,
                                const std::string& prefix) {
  put_actor(draft.body, who.actor());
  Event e;
  e.origin = rt.config().node_id;
  e.case_id = draft.case_id;
  e.kind = draft.kind;
  e.body = draft.body;
  if (who.clerk && role_may_author(who.clerk->role, e)) return std::nullopt;
  ApiError refused = rt.guard().forbidden_role(
      who, ui_text("record %s on case %s", draft.kind, draft.case_id), roles_allowed(e),
      rt.now_ms());
  if (!prefix.empty()) refused.field = prefix + "kind";
  return refused;
}

std::optional<ApiError> preflight(NodeRuntime& rt, const EventDraft& draft,
                                  const std::string& prefix, const std::string& action) {
  auto state = rt.core().case_state(draft.case_id);
  if (!state.is_ok()) return api_error_from_status(state.status());
  Event e;
  e.origin = rt.config().node_id;
  e.case_id = draft.case_id;
  e.kind = draft.kind;
  e.body = draft.body;
  const Verdict v = check_event(e, *state, rt.core().roster());
  if (v.ok) return std::nullopt;
  std::string field = v.field;
  if (!field.empty() && field != "kind" && field != "case_id") {
    field = action.empty() ? "body." + field : action_request_field(action, field);
  }
  return verdict_error(v, field.empty() ? "" : prefix + field);
}

std::optional<ApiError> unknown_matter(NodeRuntime& rt, const std::string& matter,
                                       const std::string& field) {
  if (const Matter* m = rt.matters().find(matter); m && m->retired) {
    return ApiError::bad("retired_matter",
                         ui_text("matter \"%s\" was removed from the district's catalogue in "
                                 "policy version %s: new cases of it are refused (open ones keep "
                                 "their limit); use the matter that replaces it (`casesyncctl "
                                 "matters` lists them)",
                                 matter, rt.policy().version()),
                         field);
  } else if (m) {
    return std::nullopt;
  }
  return ApiError::not_found(ui_text("unknown matter code \"%s\" (not in %s; `casesyncctl "
                                     "matters` lists them)",
                                     matter, rt.config().matters_file),
                             field);
}

std::optional<ApiError> check_supplied_materials(NodeRuntime& rt, const std::string& matter,
                                                 EventDraft& draft, const std::string& field) {
  const std::string key(kinds::kMaterials);
  auto it = draft.body.find(key);
  if (draft.kind != kinds::kSupplementProvided || it == draft.body.end()) return std::nullopt;
  const Matter* m = rt.matters().find(matter);
  if (!m) {
    return ApiError::not_found(ui_text("matter \"%s\" of case %s is not in this node's catalogue, "
                                       "so its materials cannot be checked (`casesyncctl matters` "
                                       "lists the catalogue)",
                                       matter, draft.case_id),
                               field);
  }
  auto names = catalogue_materials(matter, m->materials, materials_list(it->second), field);
  if (!names.ok()) return names.error();
  std::string joined;
  for (const auto& n : *names) joined += (joined.empty() ? "" : "\n") + n;
  it->second = joined;
  return std::nullopt;
}

Result<bool> held_case(NodeRuntime& rt, const std::string& id) {
  auto s = rt.core().case_state(id);
  if (!s.is_ok()) return s.status();
  return s->exists;
}

}  // namespace casesync
