// Clerks: the workload. At a random station a clerk creates cases (sometimes a bulk import of a
// few in one transaction), forwards cases it holds to the district, a street or a community
// elsewhere, accepts and replies to hops addressed to it (now and then returns one or asks for
// supplementary materials), edits and annotates cases on its path, and once in a while completes
// (the receiving office its own case, a district clerk any case as district admin)
// or withdraws a case, which the district may reopen — so every conflict rule of the fold gets
// concurrent events to decide. Some new cases come from a department system with its reference
// (sync/external_ref.h), drawn from a small window of references that moves on, so that several
// stations create one reference — concurrently when the network is split — and the fold's
// duplicate_create rule decides; a station that already holds the reference's case finds it
// and creates nothing (the API's 200). A clerk
// only acts on a case its node holds (has its case_created) and decides from that node's own view,
// which may be stale — concurrent moves are what the conflict rules of the fold are for.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/ledger.h"
#include "sim/rng.h"
#include "sim/roster_book.h"
#include "sim/sim_node.h"
#include "sim/topology.h"
#include "sim/trace_hash.h"

namespace casesync::sim {

struct ClerkStats {
  std::uint64_t actions = 0;
  std::uint64_t events_acked = 0;
  std::map<std::string, std::uint64_t> acked_by_kind;
  std::uint64_t refused = 0;  // the core's rules said no: counted, the first few kept
  std::vector<std::string> refusals;
  std::uint64_t disk_errors = 0;        // the node's disk was full: nothing acknowledged
  std::uint64_t restoring = 0;          // the node was being restored: nothing signed
  std::uint64_t idle = 0;               // the chosen case offered nothing to do
  std::uint64_t external_found = 0;     // a department system's case the station already held
  std::vector<std::string> unexpected;  // any other error: an invariant failure
};

class Clerks {
 public:
  // "*district" and "*book" must remain live while this workload is in use.
  Clerks(const District* district, const RosterBook* book, Rng rng, bool reopen);

  // One action at `node`. REQUIRES: node.running(). Throws NodeCrashed when the node dies
  // inside the commit (nothing was acknowledged then).
  void act(SimNode& node, std::uint64_t virtual_ms, Ledger* ledger, TraceHash* trace);
  // One action on a given case (a rush: several stations acting on one case at once, so their
  // events are concurrent and the fold's conflict rules must decide). Same contract as act().
  void act_on(SimNode& node, const std::string& case_id, std::uint64_t virtual_ms, Ledger* ledger,
              TraceHash* trace);
  const ClerkStats& stats() const { return stats_; }

 private:
  void author(SimNode& node, std::vector<EventDraft> drafts, std::uint64_t virtual_ms,
              Ledger* ledger, TraceHash* trace);
  std::vector<EventDraft> plan(SimNode& node);
  std::vector<EventDraft> create_cases(SimNode& node);
  std::optional<EventDraft> external_case(SimNode& node);
  std::optional<EventDraft> act_on_case(SimNode& node, const std::string& case_id);
  std::optional<EventDraft> answer_hop(const std::string& self, const CaseState& view);
  EventDraft holder_action(std::size_t self, const CaseState& view);
  EventDraft path_action(const CaseState& view);
  std::string forward_target(std::size_t self);
  void record(const Result<std::vector<EventRecord>>& result, SimNode& node,
              std::uint64_t virtual_ms, Ledger* ledger);

  const District* district_;
  const RosterBook* book_;  // no forward to a revoked node
  Rng rng_;
  bool reopen_;
  std::vector<std::uint64_t> cases_created_;  // per node, for unique case ids
  std::uint64_t ref_base_ = 0;                // the department system's window of references
  ClerkStats stats_;
};

}  // namespace casesync::sim
