// The case rules' verdict on an event this node is about to sign, as the API's answer. The
// same function that judges every peer's event (sync/case_rules.h) judges the clerk's request
// against the case as it stands here, so a refusal comes back as what it is: 400 malformed,
// 404 unknown (case, hop, node, kind), 403 not this node's to do, 409 the case's state forbids
// it now — before anything is signed.
#pragma once

#include <optional>
#include <string>

#include "daemon/api_error.h"
#include "daemon/api_guard.h"
#include "daemon/node_runtime.h"
#include "sync/case_rules.h"

namespace casesync {

// `field_of` turns the body key at fault into the request's name for it ("note" -> "text").
ApiError verdict_error(const Verdict& verdict, const std::string& field);

// Names the requesting clerk in `draft` (sync/actor.h: the actor travels in the signed body)
// and checks that the clerk's role may author it: nullopt, or a counted 403 forbidden_role
// naming the roles allowed. `prefix` goes before the field at fault ("events[3].").
std::optional<ApiError> sign_as(NodeRuntime& rt, const Requester& who, EventDraft& draft,
                                const std::string& prefix = "");

// nullopt: the rules allow `draft` by this node now. `prefix` goes before the field at fault
// ("events[3]."); `action` names the request's fields for an action route ("" for raw events).
std::optional<ApiError> preflight(NodeRuntime& rt, const EventDraft& draft,
                                  const std::string& prefix = "", const std::string& action = "");

// nullopt when the matters catalogue knows `matter`, else 404 not_found at `field`. Every route
// that creates a case asks this (a single create, an import line, a batch's case_created).
std::optional<ApiError> unknown_matter(NodeRuntime& rt, const std::string& matter,
                                       const std::string& field);
// A supplement_provided's materials (the draft's `materials`, one per line) checked against the
// catalogue materials of `matter` (the case's) and rewritten as the catalogue spells them
// (catalogue_materials in daemon/api_commands.h). Other kinds pass untouched. `field` is where
// the request holds them ("materials", "events[2].body.materials").
std::optional<ApiError> check_supplied_materials(NodeRuntime& rt, const std::string& matter,
                                                 EventDraft& draft, const std::string& field);
// Whether this node holds the case `id`.
Result<bool> held_case(NodeRuntime& rt, const std::string& id);

}  // namespace casesync
