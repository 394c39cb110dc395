#include "sync/actor.h"

#include <cstdint>

#include "common/utf8.h"
#include "sync/case_kinds.h"
#include "sync/case_rules.h"
#include "sync/limits.h"

namespace casesync {

namespace {

using namespace kinds;

// One bit per role, in kClerkRoles order.
using RoleMask = std::uint8_t;
constexpr RoleMask bit(ClerkRole r) { return static_cast<RoleMask>(1u << static_cast<unsigned>(r)); }
constexpr RoleMask kWindow = bit(ClerkRole::kWindow);
constexpr RoleMask kReviewer = bit(ClerkRole::kReviewer);
constexpr RoleMask kAdmin = bit(ClerkRole::kAdmin);
constexpr RoleMask kSystem = bit(ClerkRole::kSystem);

struct KindRoles {
  std::string_view kind;
  RoleMask roles;
};

// The table of the header, row for row.
constexpr KindRoles kKindRoles[] = {
    {kCreated, kWindow | kAdmin | kSystem},
    {kPrereviewed, kReviewer | kAdmin},
    {kForwarded, kWindow | kReviewer | kAdmin | kSystem},
    {kDelivered, kAdmin},
    {kAccepted, kReviewer | kAdmin},
    {kReplied, kReviewer | kAdmin},
    {kReturned, kReviewer | kAdmin},
    {kSupplementRequested, kWindow | kReviewer | kAdmin},
    {kSupplementProvided, kWindow | kAdmin},
    {kNotified, kWindow | kAdmin},
    {kWithdrawn, kWindow | kAdmin},
    {kCompleted, kWindow | kAdmin},
    {kReopened, kAdmin},
    {kEdited, kWindow | kAdmin | kSystem},
    {kNote, kWindow | kReviewer | kAdmin | kSystem},
    {kViewedFull, kReviewer | kAdmin},
    {kStallSeen, 0},  // the daemon's own observation, never a clerk's
};

RoleMask roles_for(const Event& e) {
  if (e.kind == kCompleted && e.field(std::string(kAuthority)) == kDistrictAdmin) return kAdmin;
  for (const auto& row : kKindRoles) {
    if (row.kind == e.kind) return row.roles;
  }
  return kAdmin;  // a kind this version does not know: the rules refuse it anyway
}

std::string key(std::string_view k) { return std::string(k); }

bool one_line(std::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

const char* clerk_role_name(ClerkRole role) {
  switch (role) {
    case ClerkRole::kWindow: return "window";
    case ClerkRole::kReviewer: return "reviewer";
    case ClerkRole::kAdmin: return "admin";
    case ClerkRole::kSystem: return "system";
  }
  return "?";
}

std::optional<ClerkRole> clerk_role_from_name(std::string_view name) {
  for (ClerkRole r : kClerkRoles) {
    if (name == clerk_role_name(r)) return r;
  }
  return std::nullopt;
}

Actor actor_of(const Event& e) {
  return {e.field(key(kActorId)), e.field(key(kActorName)), e.field(key(kActorRole))};
}

void put_actor(std::map<std::string, std::string>& body, const Actor& a) {
  body[key(kActorId)] = a.id;
  body[key(kActorName)] = a.name;
  body[key(kActorRole)] = a.role;
}

bool is_actor_key(std::string_view k) {
  return k == kActorId || k == kActorName || k == kActorRole;
}

bool valid_clerk_id(std::string_view id) {
  if (id.empty() || id.size() > limits::kActorIdBytesMax) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

bool role_may_author(ClerkRole role, const Event& e) { return (roles_for(e) & bit(role)) != 0; }

std::string roles_allowed(const Event& e) {
  std::string out;
  for (ClerkRole r : kClerkRoles) {
    if (role_may_author(r, e)) out += (out.empty() ? "" : ", ") + std::string(clerk_role_name(r));
  }
  return out;
}

Verdict check_actor(const Event& e) {
  const bool any = e.body.count(key(kActorId)) || e.body.count(key(kActorName)) ||
                   e.body.count(key(kActorRole));
  if (!any) {
    if (e.kind == kViewedFull) {
      return Verdict::malformed(ui_text("a viewed_full record must name the clerk (actor_id)"),
                                key(kActorId));
    }
    return Verdict::allow();
  }
  const Actor a = actor_of(e);
  if (!valid_clerk_id(a.id)) {
    return Verdict::malformed(ui_text("actor_id \"%s\" is not a clerk id (1..%s of a-z 0-9 - .)",
                                      utf8_prefix(a.id, 40), limits::kActorIdBytesMax),
                              key(kActorId));
  }
  if (a.name.empty() || !one_line(a.name)) {
    return Verdict::malformed(ui_text("actor_name must be one line of text"), key(kActorName));
  }
  const auto role = clerk_role_from_name(a.role);
  if (!role) {
    return Verdict::malformed(ui_text("actor_role \"%s\" is not a role (window, reviewer, admin, "
                                      "system)",
                                      utf8_prefix(a.role, 20)),
                              key(kActorRole));
  }
  if (!role_may_author(*role, e)) {
    return Verdict::forbidden(ui_text("unauthorized: clerk %s (%s) may not %s; roles allowed: %s",
                                      a.id, a.role, e.kind, roles_allowed(e)));
  }
  return Verdict::allow();
}

}  // namespace casesync
