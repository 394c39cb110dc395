// The district's policy bundle: the working-day calendar (holidays and make-up working days per
// year) and the matters catalogue (code, name, limit in working days, materials), versioned and
// signed by the district root key, so one publish at the district reaches every node
// (sync/doc_gossip.h carries it as the document kind "policy"; docs/POLICY.md). The matters file
// may hold a [deadlines] table, the district's deadline defaults (config/deadline_defaults.h).
//
// Canonical encoding: compact JSON with sorted keys
//   {"calendar":"<calendar.toml bytes>","matters":"<matters.toml bytes>","signed_at_ms":N,"version":N}
// signed with Ed25519 over kPolicyDomain || text. The files travel as published, so every node
// parses the same bytes and computes the same deadlines; the digest (BLAKE2b-256 of the text, hex)
// names a bundle in `policy show` and in health.
//
// Version 0 is the built-in national calendar and the sample catalogue: what a node uses until
// the district publishes one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/work_calendar.h"
#include "config/deadline_defaults.h"
#include "config/matters_file.h"
#include "crypto/crypto.h"

namespace casesync {

struct SignedPolicy {
  std::uint64_t version = 0;
  std::string text;       // the canonical encoding above
  std::string signature;  // raw 64 bytes
};

struct Policy {
  std::uint64_t version = 0;
  std::uint64_t signed_at_ms = 0;
  std::string digest;  // hex; "" for version 0
  std::string calendar_toml;
  std::string matters_toml;
  WorkCalendar calendar;
  MattersCatalogue matters;
  // The matters file's [deadlines] table: each key set overrides the node's own (empty at
  // version 0, where the node's matters file may still set some).
  DeadlineDefaults deadlines;

  std::vector<int> calendar_years() const;
};

// Version 0: the built-in national calendar and the sample matters catalogue.
Policy builtin_policy();

// Checks both files, the matters file's [deadlines] table too (every problem as FILE:LINE: KEY: problem, nothing signed when one fails),
// then encodes and signs them as `version`.
Result<SignedPolicy> make_signed_policy(const std::string& calendar_path,
                                        const std::string& matters_path, std::uint64_t version,
                                        std::uint64_t signed_at_ms, const crypto::SecretKey& root);

// Verifies the root's signature, parses, checks the signed version matches the text's. kPermission
// when another key signed it.
Result<Policy> open_policy(std::string_view root_public_key, const SignedPolicy& s);

// Reads PATH and PATH.sig (hex), as saved by save_signed_policy, and opens it.
Result<SignedPolicy> read_signed_policy(const std::string& path, std::string_view root_public_key);
// The policy a node uses: the one saved under `data_dir` when there is one the pinned root signed,
// else version 0. Never fails: a damaged file is reported in `warning` and version 0 used.
Policy installed_policy(const std::string& data_dir, std::string_view root_public_key,
                        std::string* warning);
// The file a node keeps its installed policy in.
std::string policy_file(const std::string& data_dir);

}  // namespace casesync
