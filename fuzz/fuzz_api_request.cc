// Fuzzes the local API's validation layer (daemon/api_commands.h): every route's parse function
// on arbitrary bodies, query strings and path parts. Input: "ROUTE TARGET\nBODY", where ROUTE
// names the parse function (fuzz/corpus/api_request/ has one seed per route) and TARGET is
// "path0/path1?query". Beyond "no crash", it checks what the API promises:
//  - a refusal is a 400, 404 or 413 whose JSON body prints strictly (every message is UTF-8);
//  - what the layer lets through, the case rules' content check lets through too, so a request
//    the API accepts never becomes an event the peers would refuse.
#include <cassert>
#include <functional>
#include <map>
#include <string>

#include "daemon/api_commands.h"
#include "fuzz/fuzz_target.h"
#include "sync/case_kinds.h"
#include "sync/event_content.h"

namespace {

using namespace casesync;

void check_error(const ApiError& e) {
  assert(e.status == 400 || e.status == 404 || e.status == 413);
  assert(!e.code.empty() && !e.message.empty());
  // strict: throws (and so crashes here) on a message that is not UTF-8, in either language
  (void)e.to_json(UiLanguage::kEnglish).dump();
  (void)e.to_json(UiLanguage::kChinese).dump();
}

void check_content(const std::string& kind, const std::map<std::string, std::string>& body) {
  Event e;
  e.origin = "s01";
  e.case_id = "s01-000001";
  e.kind = kind;
  e.body = body;
  [[maybe_unused]] const Verdict v = check_event_content(e);
  assert(v.ok);
}

template <class T>
void check(const Checked<T>& c, const std::function<void(const T&)>& on_ok = nullptr) {
  if (!c.ok()) return check_error(c.error());
  if (on_ok) on_ok(*c);
}

RequestView view_of(std::string_view target, std::string_view body) {
  RequestView r;
  r.body = body;
  r.query = parse_query_string(target);
  const std::string_view path = target.substr(0, target.find('?'));
  std::size_t start = 0;
  while (start <= path.size() && !path.empty()) {
    const std::size_t slash = path.find('/', start);
    r.path.emplace_back(path.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return r;
}

void run(const std::string& route, const RequestView& r) {
  const std::string created(kinds::kCreated);
  if (route == "case_list") return check(parse_case_list(r));
  if (route == "case_get") return check(parse_case_get(r));
  if (route == "case_trace") return check(parse_case_trace(r));
  if (route == "events_feed") return check(parse_events_feed(r));
  if (route == "changes") return check(parse_changes(r));
  if (route == "conflicts") return check(parse_conflicts(r));
  if (route == "stalled") return check(parse_stalled(r));
  if (route == "stats") return check(parse_stats(r));
  if (route == "no_input") return check(parse_no_input(r));
  if (route == "backup") return check(parse_backup(r));
  if (route == "roster_push") return check(parse_roster_push(r));
  if (route == "new_clerk") return check(parse_new_clerk(r));
  if (route == "clerk_disable") return check(parse_clerk_disable(r));
  if (route == "new_case") {
    return check<NewCase>(parse_new_case(r), [&](const NewCase& c) {
      check_content(created, new_case_body(c));
      // A department system's reference always gives an id the API and the rules accept.
      const std::string id = new_case_external_id(c);
      assert(id.empty() || !case_id_problem(id, "case_id"));
    });
  }
  // The body's first line stands for the Last-Event-ID header.
  if (route == "event_stream") {
    const std::string_view b = r.body;
    return check(parse_event_stream(r, std::string(b.substr(0, b.find('\n')))));
  }
  if (route == "webhook_retry") return check(parse_webhook_retry(r));
  if (route == "import") {
    return check<std::vector<NewCase>>(parse_import(r), [&](const std::vector<NewCase>& cs) {
      for (const auto& c : cs) check_content(created, new_case_body(c));
    });
  }
  if (route == "case_action") {
    return check<CaseAction>(parse_case_action(r),
                             [](const CaseAction& a) { check_content(a.kind, a.body); });
  }
  // A raw case_created may name more free fields than a case may hold: the rules refuse that one
  // before signing (daemon/api_verdict.h). Every other raw event passes their content check.
  const auto check_raw = [&](const RawEvent& e) {
    if (e.kind != created) check_content(e.kind, e.body);
  };
  if (route == "case_event") return check<RawEvent>(parse_case_event(r), check_raw);
  if (route == "event_batch") {
    return check<std::vector<RawEvent>>(parse_event_batch(r), [&](const std::vector<RawEvent>& es) {
      for (const auto& e : es) check_raw(e);
    });
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = casesync::fuzz::as_text(data, size);
  const std::size_t eol = input.find('\n');
  const std::string_view head = input.substr(0, eol);
  const std::string_view body = eol == std::string_view::npos ? std::string_view() : input.substr(eol + 1);
  const std::size_t space = head.find(' ');
  const std::string route(head.substr(0, space));
  const std::string_view target = space == std::string_view::npos ? std::string_view() : head.substr(space + 1);
  run(route, view_of(target, body));
  return 0;
}
