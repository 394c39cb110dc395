// What an event's body may hold, whoever wrote it: text that is UTF-8 and within the limits of
// sync/limits.h. A pure function of the event, so every node gives the same verdict; it is the
// first check of sync/case_rules.h and so runs at the local API, on arrival from a peer and in
// the fold (where an event that slipped past it, its parents missing on arrival, is `invalid`).
//
// | body key             | limit                                                          |
// |----------------------|----------------------------------------------------------------|
// | applicant            | kApplicantCharsMax characters                                  |
// | note, reason         | kTextCharsMax characters                                       |
// | materials            | a list, one name per line: kMaterialsMax names of at most      |
// |                      | kMaterialCharsMax characters each                              |
// | external_ref         | kExternalRefCharsMax characters                                |
// | external_source      | kExternalSourceBytesMax characters                             |
// | actor_name, actor_id | kActorNameCharsMax characters, kActorIdBytesMax (sync/actor.h)  |
// | any other key        | kFieldCharsMax characters                                      |
// | case_created         | at most kCaseFieldsMax free fields beside its named keys       |
//
// Every string of the event (origin, case, kind, each key and value) must be well-formed UTF-8.
// Byte limits (kBodyValueBytesMax, kEventBytesMax) are the decoder's (sync/event.h).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "sync/case_rules.h"
#include "sync/event.h"

namespace casesync {

Verdict check_event_content(const Event& event);

// The character limit of a body value under `key` (for materials: of one name).
std::size_t value_chars_max(std::string_view key);

// Materials travel as one body value (bodies are string maps), one name per line; this is the
// list. Empty lines are skipped.
std::vector<std::string> materials_list(const std::string& text);

// Body keys of a case_created that are not free fields.
bool is_named_case_key(std::string_view key);

}  // namespace casesync
