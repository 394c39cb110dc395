// Proves the content rules of events (sync/event_content.h): UTF-8 everywhere, each length limit
// at its boundary, counted in characters, and that check_event applies them before anything else.
#include "sync/event_content.h"

#include <doctest/doctest.h>

#include <string>

#include "sync/case_kinds.h"
#include "sync/limits.h"

using namespace casesync;

namespace {

namespace k = casesync::kinds;

std::string str(std::string_view s) { return std::string(s); }

Event created(std::map<std::string, std::string> extra = {}) {
  Event e;
  e.origin = "c11";
  e.seq = 1;
  e.case_id = "c11-000001";
  e.kind = str(k::kCreated);
  e.body = {{str(k::kMatter), "QY-001"}, {str(k::kApplicant), "王芳"}};
  for (auto& [key, v] : extra) e.body[key] = v;
  return e;
}

std::string repeat(const std::string& unit, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += unit;
  return out;
}

void check_malformed(const Verdict& v, const std::string& field, const std::string& names) {
  CHECK_FALSE(v.ok);
  CHECK(v.refusal == Refusal::kMalformed);
  CHECK(v.field == field);
  CHECK_MESSAGE(v.reason.english().find(names) != std::string::npos, v.reason.english());
}

}  // namespace

TEST_CASE("content: a plain case passes") { CHECK(check_event_content(created()).ok); }

TEST_CASE("content: every string must be UTF-8") {
  check_malformed(check_event_content(created({{str(k::kApplicant), "bad\xff\xfe"}})),
                  str(k::kApplicant), "offset 3");
  Event e = created();
  e.body["\xff"] = "x";
  CHECK_FALSE(check_event_content(e).ok);
  e = created();
  e.case_id = "c11-\xc0\xaf";
  CHECK_FALSE(check_event_content(e).ok);
}

TEST_CASE("content: applicant, text and fields are limited in characters, not bytes") {
  // 200 Chinese characters are 600 bytes and allowed; 201 are not.
  CHECK(check_event_content(created({{str(k::kApplicant), repeat("王", 200)}})).ok);
  check_malformed(check_event_content(created({{str(k::kApplicant), repeat("王", 201)}})),
                  str(k::kApplicant), "201 characters; the limit is 200");
  Event note;
  note.origin = "c11";
  note.case_id = "c11-000001";
  note.kind = str(k::kNote);
  note.body[str(k::kNoteText)] = repeat("备", limits::kTextCharsMax);
  CHECK(check_event_content(note).ok);
  note.body[str(k::kNoteText)] += "x";
  check_malformed(check_event_content(note), str(k::kNoteText), "the limit is 4000");
  note.body = {{"phone", repeat("1", limits::kFieldCharsMax + 1)}};
  check_malformed(check_event_content(note), "phone", "the limit is 1000");
}

TEST_CASE("content: materials are a list of at most 50 names of at most 80 characters") {
  std::string fifty;
  for (int i = 0; i < 50; ++i) fifty += (i ? "\n" : "") + std::string("材料") + std::to_string(i);
  CHECK(check_event_content(created({{str(k::kMaterials), fifty}})).ok);
  CHECK(materials_list(fifty).size() == 50);
  check_malformed(check_event_content(created({{str(k::kMaterials), fifty + "\nmore"}})),
                  str(k::kMaterials), "51 names; the limit is 50");
  check_malformed(check_event_content(created({{str(k::kMaterials), repeat("证", 81)}})),
                  str(k::kMaterials), "81 characters; the limit is 80");
  CHECK(materials_list("a\n\nb\n") == std::vector<std::string>{"a", "b"});
}

TEST_CASE("content: a case has at most 64 free fields beside its named keys") {
  std::map<std::string, std::string> fields;
  for (std::size_t i = 0; i < limits::kCaseFieldsMax; ++i) fields["f" + std::to_string(i)] = "v";
  fields[str(k::kLegacyId)] = "L-1";  // a named key, not a free field
  CHECK(check_event_content(created(fields)).ok);
  fields["one_more"] = "v";
  check_malformed(check_event_content(created(fields)), "fields", "65 fields; the limit is 64");
}

TEST_CASE("content: check_event refuses an oversized event before judging its author") {
  // The empty roster would refuse the author too; the content verdict comes first.
  const Verdict v = check_event(created({{str(k::kApplicant), repeat("a", 201)}}), CaseState{}, Roster{});
  check_malformed(v, str(k::kApplicant), "the limit is 200");
}
