// Cases that a department system creates carry its reference for them (external_ref, e.g. the
// province's unified receipt number) and the system's short name (source). The pair names the
// case: its id is derived from them, the same at every node, so
//  - a second create of one reference at a node that holds the case finds it (the API answers
//    200 with it instead of making another), and
//  - two nodes that create one reference without having seen each other's create write two
//    `case_created` events of ONE case: the fold keeps the first in canonical order and marks the
//    other a duplicate of it (rule duplicate_create, sync/case_fold.h), identically everywhere,
//    and replication brings every event of the case to both creators (both are its origins).
//
// The id is "<source>:<ref>" when the reference is plain (A-Z a-z 0-9 . _ -) and short enough,
// so clerks can read it; otherwise "<source>::" and 24 hex digits of BLAKE2b(source, ref). A plain
// reference has no ':', so the two forms never meet; a case created without a reference has no
// ':' in its id (sync/case_rules.h), so derived ids never meet node-assigned ones either.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace casesync {

// REQUIRES: external_source_problem(source) and external_ref_problem(ref) are nullopt.
std::string external_case_id(std::string_view source, std::string_view ref);

// What is wrong with a system's name (1..kExternalSourceBytesMax of a-z 0-9 - _), or nullopt.
std::optional<std::string> external_source_problem(std::string_view source);
// What is wrong with a reference (1..kExternalRefCharsMax characters of UTF-8, one line), or
// nullopt.
std::optional<std::string> external_ref_problem(std::string_view ref);

}  // namespace casesync
