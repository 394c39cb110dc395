// Who did it: the clerk named in every event the local API signs. The actor travels inside the
// signed body (keys actor_id, actor_name, actor_role), so it is identical at every node and no
// relay can change it. Events written before clerks existed, and the receipts a daemon signs by
// itself (delivered), name none and show as their node.
//
// What each role may author — the table the local API enforces for its clerks (403 naming the
// roles allowed) and the case rules apply to every event that names an actor, wherever it came
// from, so that every node reaches the same verdict:
//
// | kind                          | window | reviewer | admin | system |
// |-------------------------------|--------|----------|-------|--------|
// | case_created                  |   x    |          |   x   |   x    |
// | prereviewed                   |        |    x     |   x   |        |
// | forwarded                     |   x    |    x     |   x   |   x    |
// | delivered (the daemon's own)  |        |          |   x   |        |
// | accepted, replied, returned   |        |    x     |   x   |        |
// | supplement_requested          |   x    |    x     |   x   |        |
// | supplement_provided, notified |   x    |          |   x   |        |
// | withdrawn                     |   x    |          |   x   |        |
// | completed                     |   x    |          |   x   |        |
// | completed as district_admin   |        |          |   x   |        |
// | reopened                      |        |          |   x   |        |
// | edited                        |   x    |          |   x   |   x    |
// | note                          |   x    |    x     |   x   |   x    |
// | viewed_full (an audit record) |        |    x     |   x   |        |
//
// `system` is an integrated department system (the existing approval system) using the API.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "sync/event.h"

namespace casesync {

struct Verdict;  // sync/case_rules.h, which needs this header for CaseState

enum class ClerkRole { kWindow, kReviewer, kAdmin, kSystem };
inline constexpr ClerkRole kClerkRoles[] = {ClerkRole::kWindow, ClerkRole::kReviewer,
                                            ClerkRole::kAdmin, ClerkRole::kSystem};
const char* clerk_role_name(ClerkRole role);
std::optional<ClerkRole> clerk_role_from_name(std::string_view name);

// As the body carries it. An event without an actor has an empty one.
struct Actor {
  std::string id;
  std::string name;
  std::string role;  // clerk_role_name()
  bool empty() const { return id.empty(); }
  bool operator==(const Actor&) const = default;
};

Actor actor_of(const Event& event);
void put_actor(std::map<std::string, std::string>& body, const Actor& actor);
bool is_actor_key(std::string_view key);

// A clerk id: 1..kActorIdBytesMax of a-z, 0-9, '-' and '.'. No '_': an API token is
// "csk_<clerk id>_<secret>" and must split at its underscores.
bool valid_clerk_id(std::string_view id);

// May a clerk of `role` author `event` (its kind, and for a completion its authority)?
bool role_may_author(ClerkRole role, const Event& event);
// "reviewer, admin": the roles that may author `event`, for a refusal.
std::string roles_allowed(const Event& event);

// The actor's part of the case rules (sync/case_rules.h): an actor that is malformed, or whose
// role may not author the event, is refused; a viewed_full must name one. An event without an
// actor passes (written before clerks existed).
Verdict check_actor(const Event& event);

}  // namespace casesync
