// What a new roster version may change. The case rules and the fold read a few roster facts —
// that a node exists, its role, its place in the tree (its level) — so that the fold never
// depends on which roster version a node holds, those never change for a node once rostered: a
// new version keeps every node with its role and parent (a node moves by getting a new id) and
// keeps every retired key (they verify history). It may add nodes, revoke them (their history
// stays valid: a revocation never rewrites it), rotate keys (the old one retired with the last
// seq it signed), and change names, endpoints and fallback parents.
#pragma once

#include "common/roster.h"
#include "common/status.h"

namespace casesync {

Status roster_change_allowed(const Roster& held, const Roster& next);

}  // namespace casesync
