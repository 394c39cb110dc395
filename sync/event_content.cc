#include "sync/event_content.h"

#include "common/utf8.h"
#include "sync/actor.h"
#include "sync/case_kinds.h"
#include "sync/limits.h"

namespace casesync {

namespace {

using namespace kinds;

Verdict not_utf8(const Text& what, std::string_view text, const std::string& field) {
  return Verdict::malformed(ui_text("%s is not UTF-8 text (bad byte at offset %s)", what,
                                    utf8_error_offset(text)),
                            field);
}

Verdict check_materials(const std::string& value) {
  const auto names = materials_list(value);
  if (names.size() > limits::kMaterialsMax) {
    return Verdict::malformed(ui_text("materials lists %s names; the limit is %s", names.size(),
                                      limits::kMaterialsMax),
                              std::string(kMaterials));
  }
  for (const auto& n : names) {
    if (utf8_chars(n) > limits::kMaterialCharsMax) {
      return Verdict::malformed(ui_text("material \"%s...\" has %s characters; the limit is %s",
                                        utf8_prefix(n, 20), utf8_chars(n),
                                        limits::kMaterialCharsMax),
                                std::string(kMaterials));
    }
  }
  return Verdict::allow();
}

Verdict check_value(const std::string& key, const std::string& value) {
  if (!valid_utf8(key)) return not_utf8(ui_text("a body key"), key, "");
  if (!valid_utf8(value)) return not_utf8(key, value, key);
  if (key == kMaterials) return check_materials(value);
  const std::size_t chars = utf8_chars(value);
  const std::size_t max = value_chars_max(key);
  if (chars > max) {
    return Verdict::malformed(ui_text("%s has %s characters; the limit is %s", key, chars, max),
                              key);
  }
  return Verdict::allow();
}

}  // namespace

bool is_named_case_key(std::string_view key) {
  return key == kMatter || key == kApplicant || key == kIdNumber || key == kMaterials ||
         key == kLegacyId || key == kExternalRef || key == kExternalSource || is_actor_key(key);
}

std::size_t value_chars_max(std::string_view key) {
  if (key == kApplicant) return limits::kApplicantCharsMax;
  if (key == kNoteText || key == kReason) return limits::kTextCharsMax;
  if (key == kMaterials) return limits::kMaterialCharsMax;
  if (key == kExternalRef) return limits::kExternalRefCharsMax;
  if (key == kExternalSource) return limits::kExternalSourceBytesMax;
  if (key == kActorName) return limits::kActorNameCharsMax;
  if (key == kActorId) return limits::kActorIdBytesMax;
  return limits::kFieldCharsMax;
}

std::vector<std::string> materials_list(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

Verdict check_event_content(const Event& e) {
  if (!valid_utf8(e.origin)) return not_utf8("origin", e.origin, "");
  if (!valid_utf8(e.case_id)) return not_utf8(ui_text("case id"), e.case_id, "");
  if (!valid_utf8(e.kind)) return not_utf8("kind", e.kind, "");
  std::size_t free_fields = 0;
  for (const auto& [key, value] : e.body) {
    if (Verdict v = check_value(key, value); !v.ok) return v;
    free_fields += !is_named_case_key(key);
  }
  if (e.kind == kCreated && free_fields > limits::kCaseFieldsMax) {
    return Verdict::malformed(ui_text("a case has %s fields; the limit is %s", free_fields,
                                      limits::kCaseFieldsMax),
                              "fields");
  }
  return Verdict::allow();
}

}  // namespace casesync
