// Proves the printable papers say what the case holds and nothing else can get in: every value
// HTML-escaped (a <script> in a name comes out as text), no slot or translation opened by a
// value, the missing materials the catalogue's minus every one received (at the window or
// supplied later), and the receipt's and the notice's own office, clerk and date.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <string>

#include "common/work_calendar.h"
#include "daemon/paper.h"
#include "sync/case_kinds.h"

using namespace casesync;

namespace {

// 2026-12-01 02:00 UTC = 10:00 in Beijing, a Tuesday.
constexpr std::uint64_t kReceivedMs = 1796090400000ull;
constexpr std::uint64_t kHourMs = 3600000ull;

struct Fixture {
  WorkCalendar calendar = WorkCalendar::weekdays(8 * 60);
  Roster roster;
  Matter matter{"QY-001", "企业设立 <script>alert(1)</script>", 3, {"申请书", "身份证 ID card", "章程"}};
  CaseState s;
  DeadlineInputs in;

  Fixture() {
    roster.add({.id = "d", .name = "区审批中心", .role = Role::kDistrict});
    roster.add({.id = "c1", .name = "一社区 & <b>", .role = Role::kCommunity, .parent = "d"});
    s.exists = true;
    s.id = "c1-7";
    s.matter = matter.code;
    s.applicant = "<script>x</script>";
    s.receiving_node = s.holder = "c1";
    s.received_ms = kReceivedMs;
    s.materials = {"申请书"};
    TimelineEntry created{kReceivedMs, "c1", 7, std::string(kinds::kCreated)};
    created.actor = {"w01", "王芳", "window"};
    s.timeline.push_back(created);
    in.roster = &roster;
    in.calendar = &calendar;
    in.matter_limit_days = [](const std::string&) { return 3u; };
  }
  std::string render(PaperKind kind) {
    return render_paper(paper_view(kind, s, &matter, roster, in), UiLanguage::kEnglish,
                        MessageCatalog{});
  }
};

}  // namespace

TEST_CASE("every value is escaped: a <script> in a name is text") {
  Fixture f;
  for (PaperKind kind : {PaperKind::kReceipt, PaperKind::kNotice}) {
    const std::string html = f.render(kind);
    CHECK(html.find("<script") == std::string::npos);
    CHECK(html.find("<b>") == std::string::npos);
    CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
    CHECK(html.find("一社区 &amp; &lt;b&gt;") != std::string::npos);
    // The applicant is masked, and what is left of it escaped too.
    CHECK(html.find("&lt;sc") != std::string::npos);
    CHECK(html.find("x&lt;/script") == std::string::npos);
  }
}

TEST_CASE("a value cannot open a slot or a translation") {
  Fixture f;
  f.matter.name = "{{date}} {{ t(\"Date\") }} {{#receipt}}";
  const std::string html = f.render(PaperKind::kReceipt);
  CHECK(html.find("{{date}} {{ t(&quot;Date&quot;) }} {{#receipt}}") != std::string::npos);
}

TEST_CASE("missing: the catalogue's materials less those received at the window or supplied") {
  Fixture f;
  CHECK(materials_missing(f.s, f.matter.materials) ==
        std::vector<std::string>{"身份证 ID card", "章程"});
  f.s.materials_supplied = {"章程", "照片"};  // 照片 is not the catalogue's: received, not missing
  CHECK(materials_received(f.s) == std::vector<std::string>{"申请书", "章程", "照片"});
  CHECK(materials_missing(f.s, f.matter.materials) == std::vector<std::string>{"身份证 ID card"});
  const PaperView v = paper_view(PaperKind::kNotice, f.s, &f.matter, f.roster, f.in);
  CHECK(v.missing == std::vector<std::string>{"身份证 ID card"});
  const std::string html = f.render(PaperKind::kNotice);
  const auto missing = html.find("id=\"missing\"");
  const auto received = html.find("id=\"received\"");
  REQUIRE(missing != std::string::npos);
  REQUIRE(received != std::string::npos);
  CHECK(html.find("<li>身份证 ID card</li>", missing) < received);  // the notice lists it first
  f.s.materials_supplied.push_back("身份证 ID card");
  CHECK(materials_missing(f.s, f.matter.materials).empty());
  CHECK(f.render(PaperKind::kReceipt).find("class=\"none\">None") != std::string::npos);
}

TEST_CASE("the receipt is the create's; the notice the latest supplement request's") {
  Fixture f;
  TimelineEntry request{kReceivedMs + 30 * kHourMs, "d", 3,
                        std::string(kinds::kSupplementRequested)};
  request.actor = {"r02", "李四", "reviewer"};
  f.s.timeline.push_back(request);
  const PaperView receipt = paper_view(PaperKind::kReceipt, f.s, &f.matter, f.roster, f.in);
  CHECK(receipt.node == "c1");
  CHECK(receipt.clerk == "王芳 (w01)");
  CHECK(receipt.date == "2026-12-01");
  CHECK(receipt.received_at == "2026-12-01 10:00");
  CHECK(receipt.limit_working_days == 3);
  CHECK(receipt.due == "2026-12-04 17:00");  // three working days after the day of receipt
  const PaperView notice = paper_view(PaperKind::kNotice, f.s, &f.matter, f.roster, f.in);
  CHECK(notice.node == "d");
  CHECK(notice.node_name == "区审批中心");
  CHECK(notice.clerk == "李四 (r02)");
  CHECK(notice.date == "2026-12-02");
  f.s.status = CaseStatus::kSupplementRequested;
  f.s.pause_started_ms = request.ms;  // waiting for the applicant: no due date, says paused
  const PaperView paused = paper_view(PaperKind::kNotice, f.s, &f.matter, f.roster, f.in);
  CHECK(paused.due.empty());
  CHECK(paused.due_paused);
  CHECK(f.render(PaperKind::kNotice).find("paused until the missing materials arrive") !=
        std::string::npos);
}

TEST_CASE("a matter missing from the catalogue: no limit, nothing known missing") {
  Fixture f;
  f.in.matter_limit_days = [](const std::string&) { return 0u; };
  const PaperView v = paper_view(PaperKind::kReceipt, f.s, nullptr, f.roster, f.in);
  CHECK(v.limit_working_days == 0);
  CHECK(v.missing.empty());
  const std::string html = render_paper(v, UiLanguage::kEnglish, MessageCatalog{});
  CHECK(html.find("not in this office&#39;s catalogue") != std::string::npos);
  CHECK(html.find("A4") != std::string::npos);
  CHECK(html.find("http") == std::string::npos);  // nothing from elsewhere
}
