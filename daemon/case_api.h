// The case routes of the local API: a clerk's every action on a case, the case's folded view,
// its trace, conflicts, the matters catalogue, the changes feed for the existing approval system
// and the bulk import of existing cases. Requests are parsed by daemon/api_commands.h and judged
// by the case rules (daemon/api_verdict.h) before anything is signed; docs/API.md is the contract.
//
//   GET  /api/matters
//   POST /api/cases                       {"matter","applicant","id_number"?,"materials"?:[..],"fields"?:{..}}
//   GET  /api/cases?status=S&open=1&holder=N&applicant=T&matter=C&waiting_for_me=1&since=D&limit=N
//                                         summaries, most recently active first, with due times
//   GET  /api/cases/{id}[?full=1]         the folded case with events (ID number masked unless full)
//   GET  /api/cases/{id}/trace            the hop chain, receipts, due times, pauses, dwell times
//   POST /api/cases/{id}/{action}         forward|accept|reply|return|supplement|supplement_provided|
//                                         notify|withdraw|complete|reopen|edit|note|prereview
//   POST /api/cases/{id}/events           {"kind","body"}: any event kind (checked by the same rules)
//   GET  /api/conflicts?limit=N           every recorded conflict resolution
//   GET  /api/changes?since=L&wait=S      changes after local position L; waits up to S s for one
//   POST /api/import                      JSON lines of existing cases, all or nothing
#pragma once

namespace httplib {
class Server;
}

namespace casesync {

class NodeRuntime;

// "*runtime" must remain live while `server` serves.
void register_case_routes(httplib::Server& server, NodeRuntime& runtime);

}  // namespace casesync
