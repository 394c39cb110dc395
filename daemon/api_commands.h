// The validation layer of the local API, part 2: one parse function per route, from a request
// (daemon/api_request.h) to a typed command or an ApiError. What passes here is well-typed and
// within every limit; what the case rules decide (who may, whether the case's state allows it)
// is checked by the same rules the peers use, in daemon/case_api.cc.
//
// Pure: the fuzz target feeds these functions every route's bodies and parameters. The case
// writes live in api_case_commands.cc, the rest in api_commands.cc.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "daemon/api_request.h"

namespace casesync {

// ---- reads

// GET /api/cases: the clerks' worklist filters (casesyncctl cases).
struct CaseListQuery {
  std::size_t limit = api_limits::kListLimitDefault;
  std::vector<std::string> statuses;  // any of these (case_status_name); empty: all
  bool open = false;                  // not completed or withdrawn
  std::string holder;                 // node id
  std::string applicant;              // a part of the applicant's name
  std::string matter;                 // matter code
  bool waiting_for_me = false;        // a hop addressed to this node, not accepted or answered
  std::string since;                  // YYYY-MM-DD: received on or after (local day)
  std::string external_ref;           // a department system's reference, exactly
  std::string source;                 // the department system's short name
};
Checked<CaseListQuery> parse_case_list(const RequestView& r);

// GET /api/cases/{id}[?full=1] and /api/cases/{id}/trace.
struct CaseQuery {
  std::string case_id;
  bool full = false;  // the unmasked ID number
};
Checked<CaseQuery> parse_case_get(const RequestView& r);
Checked<CaseQuery> parse_case_trace(const RequestView& r);

// GET /api/cases/{id}/receipt and /notice [?lang=en|zh]: a printable paper (daemon/paper.h).
struct PaperQuery {
  std::string case_id;
  bool english = false;  // ?lang=en; Chinese otherwise, as the pages
};
Checked<PaperQuery> parse_paper(const RequestView& r);

// GET /api/events?after=L&limit=N&wait=D (D: "30s", "500ms" or whole seconds), and the same
// route as an event stream (Accept: text/event-stream, resumed after Last-Event-ID);
// GET /api/changes?since=L&limit=N&wait=S.
struct FeedQuery {
  std::uint64_t after = 0;
  std::size_t limit = api_limits::kListLimitDefault;
  std::uint64_t wait_ms = 0;
};
Checked<FeedQuery> parse_events_feed(const RequestView& r);
// The event stream: `after` from the Last-Event-ID header when given (an SSE client's resume),
// else from ?after=; `wait` is refused (a stream waits for ever).
Checked<FeedQuery> parse_event_stream(const RequestView& r, const std::string& last_event_id);
Checked<FeedQuery> parse_changes(const RequestView& r);
Checked<std::size_t> parse_conflicts(const RequestView& r);  // GET /api/conflicts?limit=N

struct StalledQuery {  // GET /api/stalled?node=N&overdue=1&fresh=1
  std::string node;
  bool overdue = false;
  bool fresh = false;
};
Checked<StalledQuery> parse_stalled(const RequestView& r);

struct Date {
  int year = 0;
  unsigned month = 0, day = 0;
};
struct StatsQuery {  // GET /api/stats?from=YYYY-MM-DD&to=YYYY-MM-DD&node=N&by=node|clerk|matter
  std::optional<Date> from, to;
  std::string from_text, to_text;
  std::string node;
  bool by_clerk = false;   // rows per clerk (and node) instead of per node
  bool by_matter = false;  // rows per matter, every node of this one's view together
};
Checked<StatsQuery> parse_stats(const RequestView& r);

// A route that reads nothing from the request (GET /api/status, /api/matters, /api/health):
// any parameter is refused, so a typo never looks like a filter that worked.
Checked<bool> parse_no_input(const RequestView& r);

// ---- writes

// POST /api/cases, and each line of POST /api/import.
struct NewCase {
  std::size_t line = 0;  // of an import
  std::string matter, applicant, id_number, legacy_id;
  // A department system's reference and its short name (sync/external_ref.h): both or neither.
  // With them the case's id is the reference's, and creating it again finds it.
  std::string source, external_ref;
  std::vector<std::string> materials;
  std::map<std::string, std::string> fields;
};
Checked<NewCase> parse_new_case(const RequestView& r);
// The lines of an import (JSON lines); errors name the line ("line 3: ...").
Checked<std::vector<NewCase>> parse_import(const RequestView& r);
// The case_created body of a new case.
std::map<std::string, std::string> new_case_body(const NewCase& c);
// The id a new case with an external reference has (sync/external_ref.h); "" without one (the
// node assigns "<node>-<seq>").
std::string new_case_external_id(const NewCase& c);

// POST /api/cases/{id}/{action}: the event a clerk's action makes. `hop` is empty when the
// request names none (the route picks the open hop addressed to this node).
struct CaseAction {
  std::string case_id;
  std::string action;  // the route's name: forward, accept, ...
  std::string kind;    // the event kind it makes
  std::map<std::string, std::string> body;
  bool needs_hop = false;  // accept, reply, return: the hop is required (given or found)
  bool wants_hop = false;  // supplement: the open hop when there is one, else the window
};
Checked<CaseAction> parse_case_action(const RequestView& r);
// The materials a `supplied` names, checked against the case's matter's catalogue materials:
// each is one of them exactly, or the beginning of exactly one ("身份证" for "身份证 ID card"),
// and comes back spelled as the catalogue spells it (the signed event carries that). Otherwise
// 400 naming the matter and every material it lists. `field` is where the request holds them.
Checked<std::vector<std::string>> catalogue_materials(const std::string& matter,
                                                      const std::vector<std::string>& allowed,
                                                      const std::vector<std::string>& names,
                                                      const std::string& field);
// The request field that carries `body_key` for an action (e.g. note's "text" carries "note").
std::string action_request_field(const std::string& action, const std::string& body_key);

// POST /api/cases/{id}/events and each event of POST /api/events/batch: any kind, any body, as
// the rules allow.
struct RawEvent {
  std::string case_id;
  std::string kind;
  std::map<std::string, std::string> body;
  // A batch's case_created, read and checked as POST /api/cases reads it (its case_id is only the
  // caller's placeholder: the node gives the id).
  std::optional<NewCase> new_case;
};
Checked<RawEvent> parse_case_event(const RequestView& r);
Checked<std::vector<RawEvent>> parse_event_batch(const RequestView& r);

// POST /api/backup {"name": FILE}: a file name in paths.backup_dir, never a path. Empty when the
// request names none (the node picks one).
struct BackupRequest {
  std::string name;
};
Checked<BackupRequest> parse_backup(const RequestView& r);
// GET /api/backups/{name}: the name in the path, checked like the one above.
Checked<BackupRequest> parse_backup_download(const RequestView& r);
// A backup's file name: 1..kBackupNameCharsMax of A-Z a-z 0-9 . _ -, not starting with '.'
// (so no path separator, no "..", no hidden file).
std::optional<ApiError> backup_name_problem(const std::string& name, const std::string& field);

// POST /api/webhooks/{name}/retry: the webhook's name (1..32 of a-z 0-9 - _), an empty object.
Checked<std::string> parse_webhook_retry(const RequestView& r);
struct NewClerk {  // POST /api/clerks
  std::string id;
  std::string name;
  std::string role;  // sync/actor.h: window, reviewer, admin, system
};
Checked<NewClerk> parse_new_clerk(const RequestView& r);
// POST /api/clerks/{id}/disable: the clerk id of the path.
Checked<std::string> parse_clerk_disable(const RequestView& r);

struct RosterPush {  // POST /api/roster
  std::uint64_t version = 0;
  std::string text;
  std::string signature;  // raw bytes
};
Checked<RosterPush> parse_roster_push(const RequestView& r);

// ---- formats

// A case id: "<node id>-<sequence>" as this API assigns them, or one derived from a department
// system's reference ("<source>:<ref>", "<source>::<hash>"): at most 64 bytes of A-Z a-z 0-9
// - _ . :
std::optional<ApiError> case_id_problem(const std::string& id, const std::string& field);
// The case id a route's path names (its first part), checked.
std::optional<ApiError> path_case_id(const RequestView& r, std::string* out);
std::optional<ApiError> node_id_error(const std::string& id, const std::string& field);
// An open hop's id: "<node id>:<seq>".
std::optional<ApiError> hop_id_problem(const std::string& id, const std::string& field);

}  // namespace casesync
