// Enrollment requests: what a new terminal hands the district admin (no secrets). Written by
// `casesyncctl enroll request`, read by `casesyncctl enroll approve`, which adds the node to the
// roster and signs it with the root key.
//   {"node_id": "s03-c07", "role": "community", "parent": "s03", "name": "...",
//    "sign_public_key": "hex", "curve_public_key": "hex", "endpoint": ""}
#pragma once

#include <string>

#include "common/roster.h"
#include "common/status.h"

namespace casesync {

struct EnrollmentRequest {
  RosterNode node;
  std::string curve_public_key;  // raw; must match the one derived from sign_public_key
};

std::string render_enrollment(const EnrollmentRequest& r);
Result<EnrollmentRequest> parse_enrollment(const std::string& text, const std::string& source_name);
// Adds the requested node to `roster` (new version), refusing duplicates and unknown parents.
Status approve_enrollment(Roster& roster, const EnrollmentRequest& r);

}  // namespace casesync
