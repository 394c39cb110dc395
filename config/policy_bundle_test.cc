// Proves the policy bundle: signed and opened round trip with a stable digest, refused when another
// key signed it or its version lies, version 0 is the built-in data, and every kind of bad input
// (overlapping or contradictory days, an unknown year format, a limit of 0, a duplicate code) is
// refused at publish with FILE:LINE and nothing signed.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "config/matters_csv.h"
#include "config/policy_bundle.h"

using namespace casesync;

namespace {
const std::string kData = CASESYNC_TEST_DATA;

std::string write_tmp(const std::string& name, const std::string& text) {
  const auto dir = std::filesystem::temp_directory_path() / "casesync_policy_test";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / name).string();
  std::ofstream(path, std::ios::trunc) << text;
  return path;
}

const char* kMatters = R"(
[[matter]]
code = "QY-001"
name = "Enterprise registration"
limit_working_days = 3
materials = ["Application form"]
)";

std::string calendar_with(const std::string& year_block) {
  return "timezone = \"+08:00\"\nworking_hours = [\"09:00-12:00\", \"13:30-17:30\"]\n" + year_block;
}

Result<SignedPolicy> publish(const std::string& calendar, const std::string& matters,
                             const crypto::SecretKey& root) {
  return make_signed_policy(write_tmp("calendar.toml", calendar), write_tmp("matters.toml", matters),
                            1, 1'800'000'000'000, root);
}
}  // namespace

TEST_CASE("a signed bundle opens with the root key only, with the same digest everywhere") {
  REQUIRE(crypto::init().is_ok());
  const auto root = crypto::generate_keypair();
  const auto other = crypto::generate_keypair();
  auto s = make_signed_policy(kData + "/calendar_2027.toml", write_tmp("m.toml", kMatters), 7,
                              1'800'000'000'000, root.secret);
  REQUIRE(s.is_ok());
  CHECK(s->version == 7);
  auto p = open_policy(root.public_key, *s);
  REQUIRE(p.is_ok());
  CHECK(p->version == 7);
  CHECK(p->signed_at_ms == 1'800'000'000'000);
  CHECK(p->calendar_years() == std::vector<int>{2026, 2027});
  CHECK(p->matters.all().size() == 1);
  CHECK(p->digest.size() == 64);
  CHECK(open_policy(root.public_key, *s)->digest == p->digest);  // a pure function of the text

  auto forged = open_policy(other.public_key, *s);
  CHECK(forged.status().code() == Code::kPermission);
  SignedPolicy lying = *s;
  lying.version = 8;  // the signature covers the text, which still says 7
  CHECK_FALSE(open_policy(root.public_key, lying).is_ok());
  SignedPolicy tampered = *s;
  tampered.text[tampered.text.size() / 2] ^= 1;
  CHECK(open_policy(root.public_key, tampered).status().code() == Code::kPermission);
}

TEST_CASE("the made-up 2027 Spring Festival moves a 3-working-day deadline") {
  REQUIRE(crypto::init().is_ok());
  const auto root = crypto::generate_keypair();
  auto s = make_signed_policy(kData + "/calendar_2027.toml", write_tmp("m.toml", kMatters), 1, 1,
                              root.secret);
  REQUIRE(s.is_ok());
  auto p = open_policy(root.public_key, *s);
  REQUIRE(p.is_ok());
  const WorkCalendar& cal = p->calendar;
  // 2027-02-05 09:00 CST; the holiday runs to the 13th: due the 17th, not the 10th.
  const std::uint64_t from = cal.day_start_utc(WorkCalendar::day_from_civil(2027, 2, 5)) + 9 * 3600000ull;
  const std::uint64_t due = cal.add_working_days(from, 3);
  CHECK(cal.local_day(due) == WorkCalendar::day_from_civil(2027, 2, 17));
  const Policy builtin = builtin_policy();
  // Without a published 2027 schedule the statutory fallback applies (common/statutory_holidays.h):
  // the Spring Festival eve (the 5th) to day 3 (the 8th) are off, so due the 11th.
  CHECK(builtin.calendar.local_day(builtin.calendar.add_working_days(from, 3)) ==
        WorkCalendar::day_from_civil(2027, 2, 11));
}

TEST_CASE("the matters file's [deadlines] travel in the bundle and override a node's own") {
  REQUIRE(crypto::init().is_ok());
  const auto root = crypto::generate_keypair();
  const std::string matters =
      std::string("[deadlines]\naccept = \"2h\"\nanswer = \"5d\"\nwarn_fraction = 0.5\n") +
      kMatters;
  auto s = make_signed_policy(kData + "/calendar_2027.toml", write_tmp("m.toml", matters), 1, 1,
                              root.secret);
  REQUIRE(s.is_ok());
  auto p = open_policy(root.public_key, *s);
  REQUIRE(p.is_ok());
  using Fields = std::vector<std::pair<std::string, std::string>>;
  CHECK(p->deadlines.fields() == Fields{{"accept", "2h"}, {"answer", "5d"}, {"warn_fraction", "0.5"}});
  SupervisionConfig own;
  own.delivery_ms = 20 * 60 * 1000;
  own.accept_street_ms = 3600 * 1000;
  p->deadlines.apply(own);
  CHECK(own.accept_ms == 2 * 3600 * 1000);             // the district's
  CHECK(own.answer_ms == 5ull * 24 * 3600 * 1000);
  CHECK(own.warn_fraction == 0.5);
  CHECK(own.delivery_ms == 20 * 60 * 1000);            // left to the node
  CHECK(own.accept_street_ms == 3600 * 1000);
  // Without the table: no defaults, the node's own hold.
  auto plain = make_signed_policy(kData + "/calendar_2027.toml", write_tmp("m.toml", kMatters), 2,
                                  1, root.secret);
  REQUIRE(plain.is_ok());
  CHECK(open_policy(root.public_key, *plain)->deadlines.empty());
}

TEST_CASE("version 0 is the built-in calendar and sample catalogue") {
  const Policy p = builtin_policy();
  CHECK(p.version == 0);
  CHECK(p.digest.empty());
  CHECK_FALSE(p.matters.all().empty());
  CHECK(p.calendar_years() == std::vector<int>{2026});
  std::string warning;
  const Policy none = installed_policy("/nonexistent/casesync", "key", &warning);
  CHECK(none.version == 0);
  CHECK(warning.empty());
}

TEST_CASE("bad bundles are refused at publish with FILE:LINE, nothing signed") {
  REQUIRE(crypto::init().is_ok());
  const auto root = crypto::generate_keypair();
  auto refused = [&](const std::string& calendar, const std::string& matters) {
    auto s = publish(calendar, matters, root.secret);
    REQUIRE_FALSE(s.is_ok());
    return s.status().message();
  };
  SUBCASE("overlapping holiday ranges") {
    auto m = refused(calendar_with("[[year]]\nyear = 2027\nsource = \"x\"\n"
                                   "holidays = [\"2027-02-06..2027-02-13\", \"2027-02-12..2027-02-14\"]\n"),
                     kMatters);
    CHECK(m.find("calendar.toml:6: year[0].holidays[1]") != std::string::npos);
    CHECK(m.find("overlaps") != std::string::npos);
  }
  SUBCASE("a day both a holiday and a make-up working day") {
    auto m = refused(calendar_with("[[year]]\nyear = 2027\nsource = \"x\"\n"
                                   "holidays = [\"2027-02-06..2027-02-13\"]\n"
                                   "workdays = [\"2027-02-13\"]\n"),
                     kMatters);
    CHECK(m.find("calendar.toml:7: year[0].workdays[0]") != std::string::npos);
    CHECK(m.find("contradicts") != std::string::npos);
  }
  SUBCASE("a make-up working day on a weekday") {
    auto m = refused(calendar_with("[[year]]\nyear = 2027\nsource = \"x\"\nworkdays = [\"2027-02-17\"]\n"),
                     kMatters);
    CHECK(m.find("calendar.toml:6: year[0].workdays[0]") != std::string::npos);
  }
  SUBCASE("unknown year formats") {
    CHECK(refused(calendar_with("[[year]]\nyear = 27\nsource = \"x\"\n"), kMatters)
              .find("calendar.toml:4: year[0].year: 27 is not a four-digit year") != std::string::npos);
    CHECK(refused(calendar_with("[[year]]\nyear = \"2027年\"\nsource = \"x\"\n"), kMatters)
              .find("calendar.toml:4: year[0].year") != std::string::npos);
    CHECK(refused(calendar_with("[[year]]\nyear = 2027\nsource = \"x\"\nholidays = [\"2028-05-01\"]\n"),
                  kMatters)
              .find("is not in year 2027") != std::string::npos);
    CHECK(refused(calendar_with("[[year]]\nyear = 2027\nsource = \"x\"\n[[year]]\nyear = 2027\nsource = \"y\"\n"),
                  kMatters)
              .find("two [[year]] blocks") != std::string::npos);
  }
  SUBCASE("a matter with limit 0 and a duplicate code, each at its line") {
    std::string matters = std::string(kMatters) +
                          "\n[[matter]]\ncode = \"SP-014\"\nname = \"Food\"\nlimit_working_days = 0\n"
                          "\n[[matter]]\ncode = \"QY-001\"\nname = \"Again\"\nlimit_working_days = 5\n";
    auto m = refused(calendar_with(""), matters);
    CHECK(m.find("matters.toml:11: matter[1].limit_working_days: 0 is out of range") != std::string::npos);
    CHECK(m.find("matters.toml:14: matter[2].code: duplicate matter code") != std::string::npos);
  }
  SUBCASE("deadline defaults out of range or unknown, each at its line") {
    auto m = refused(calendar_with(""), std::string("[deadlines]\naccept = \"0s\"\n"
                                                    "warn_fraction = 2.0\nreply = \"1h\"\n") +
                                            kMatters);
    CHECK(m.find("matters.toml:2: deadlines.accept: \"0s\" is out of range") != std::string::npos);
    CHECK(m.find("matters.toml:3: deadlines.warn_fraction") != std::string::npos);
    CHECK(m.find("deadlines.reply") != std::string::npos);
  }
}

TEST_CASE("a real-looking catalogue export converts: BOM, quoted commas, CRLF, materials") {
  const std::string csv =
      "\xEF\xBB\xBF" "code,name,limit_working_days,materials\r\n"
      "QY-001,\"企业设立登记, Enterprise registration\",3,申请书;身份证明; 住所证明\r\n"
      "SP-014,\"食品经营许可 \"\"Food\"\"\",14,\r\n"
      "\r\n";
  auto toml = matters_csv_to_toml(csv, "export.csv");
  REQUIRE(toml.is_ok());
  auto m = parse_matters(*toml, "out.toml");
  REQUIRE(m.is_ok());
  REQUIRE(m->find("QY-001"));
  CHECK(m->find("QY-001")->name == "企业设立登记, Enterprise registration");
  CHECK(m->find("QY-001")->materials == std::vector<std::string>{"申请书", "身份证明", "住所证明"});
  CHECK(m->find("SP-014")->name == "食品经营许可 \"Food\"");
  CHECK(m->find("SP-014")->limit_working_days == 14);
}

TEST_CASE("bad catalogue rows are each refused at FILE:LINE, nothing converted") {
  const std::string csv =
      "code,name,limit_working_days,materials\n"
      "QY-001,Registration,3,form\n"
      "QY-002,Licence,0,form\n"            // line 3: limit 0
      "QY-003,Permit, 5 days,form\n"       // line 4: not a number
      "QY-001,Again,4,form\n"              // line 5: duplicate
      "QY-004,Quoted, with comma,2,x\n"    // line 6: unquoted comma
      ",No code,2,x\n";                    // line 7
  auto r = matters_csv_to_toml(csv, "export.csv");
  REQUIRE_FALSE(r.is_ok());
  const std::string m = r.status().message();
  CHECK(m.find("export.csv:3: limit_working_days: \"0\"") != std::string::npos);
  CHECK(m.find("export.csv:4: limit_working_days") != std::string::npos);
  CHECK(m.find("export.csv:5: duplicate code \"QY-001\"") != std::string::npos);
  CHECK(m.find("export.csv:6: 5 fields") != std::string::npos);
  CHECK(m.find("export.csv:7: code is empty") != std::string::npos);
  CHECK(matters_csv_to_toml("id,name\n1,x\n", "e.csv").status().message() ==
        "e.csv:1: the header must be code,name,limit_working_days,materials");
  CHECK(matters_csv_to_toml("code,name,limit_working_days,materials\n\"QY,1,x,1,y\n", "e.csv")
            .status().message() == "e.csv:2: a quoted field is never closed");
  CHECK_FALSE(matters_csv_to_toml("code,name,limit_working_days,materials\nA,\xff,1,x\n", "e.csv").is_ok());
}
