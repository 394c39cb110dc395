#include "sim/clerks.h"

#include <set>

#include "sync/case_kinds.h"
#include "sync/external_ref.h"

namespace casesync::sim {

namespace {

// Most clerk work is on recent cases; an old case is picked now and then.
constexpr std::size_t kRecentCases = 6;
constexpr std::size_t kCasesListMax = 100'000;
constexpr std::uint64_t kBulkImportMax = 4;
constexpr std::uint64_t kRefusalsKept = 5;

// One new case in five comes from the department system; it applies for a reference at a few
// stations at once: each draws from a window of kRefWindow references, which moves on at one
// create in kRefAdvancePpm, so about half the references are created at two stations or more.
constexpr std::uint32_t kExternalPpm = 200'000;
constexpr std::uint64_t kRefWindow = 2;
constexpr std::uint32_t kRefAdvancePpm = 500'000;
constexpr const char* kSource = "portal";

const char* const kEditableFields[] = {"remark", "phone", "address"};
const char* const kMatters[] = {"QY-001", "JY-014", "MZ-203", "GA-077"};

std::string s(std::string_view v) { return std::string(v); }

}  // namespace

Clerks::Clerks(const District* district, const RosterBook* book, Rng rng, bool reopen)
    : district_(district), book_(book), rng_(rng), reopen_(reopen), cases_created_(district->size(), 0) {}

void Clerks::act(SimNode& node, std::uint64_t virtual_ms, Ledger* ledger, TraceHash* trace) {
  author(node, plan(node), virtual_ms, ledger, trace);
}

void Clerks::act_on(SimNode& node, const std::string& case_id, std::uint64_t virtual_ms,
                    Ledger* ledger, TraceHash* trace) {
  std::vector<EventDraft> drafts;
  if (auto d = act_on_case(node, case_id)) drafts.push_back(std::move(*d));
  author(node, std::move(drafts), virtual_ms, ledger, trace);
}

void Clerks::author(SimNode& node, std::vector<EventDraft> drafts, std::uint64_t virtual_ms,
                    Ledger* ledger, TraceHash* trace) {
  stats_.actions++;
  trace->mix_u64(node.index());
  trace->mix_u64(drafts.size());
  if (drafts.empty()) {
    stats_.idle++;
    return;
  }
  for (const auto& d : drafts) {
    trace->mix(d.case_id);
    trace->mix(d.kind);
  }
  auto result = node.core().author_batch(std::move(drafts), node.now(virtual_ms));
  trace->mix_u64(static_cast<std::uint64_t>(result.status().code()));
  record(result, node, virtual_ms, ledger);
}

void Clerks::record(const Result<std::vector<EventRecord>>& result, SimNode& node,
                    std::uint64_t virtual_ms, Ledger* ledger) {
  if (result.is_ok()) {
    for (const auto& r : result.value()) {
      ledger->add(r, virtual_ms);
      stats_.acked_by_kind[r.kind]++;
    }
    stats_.events_acked += result->size();
    return;
  }
  const Code code = result.status().code();
  if (code == Code::kUnauthorized) {
    if (stats_.refused++ < kRefusalsKept)
      stats_.refusals.push_back(node.id() + ": " + result.status().message());
  } else if (code == Code::kDiskFull || code == Code::kIoError) {
    stats_.disk_errors++;
  } else if (code == Code::kUnavailable && node.core().restoring()) {
    stats_.restoring++;  // signs nothing until its neighbours re-synced it (sync/restore.h)
  } else {
    stats_.unexpected.push_back(node.id() + ": " + result.status().to_string());
  }
}

std::vector<EventDraft> Clerks::plan(SimNode& node) {
  auto rows = node.store().list_cases(kCasesListMax);
  if (!rows.is_ok() || rows->empty() || rng_.chance(150'000)) return create_cases(node);
  const std::size_t pool =
      rng_.chance(800'000) ? std::min(kRecentCases, rows->size()) : rows->size();
  auto draft = act_on_case(node, (*rows)[rng_.below(pool)].case_id);
  if (!draft) return {};
  std::vector<EventDraft> out;
  out.push_back(std::move(*draft));
  return out;
}

std::vector<EventDraft> Clerks::create_cases(SimNode& node) {
  const std::uint64_t n = rng_.chance(100'000) ? rng_.range(2, kBulkImportMax) : 1;
  std::vector<EventDraft> out;
  std::set<std::string> external;  // an import names a reference once
  for (std::uint64_t i = 0; i < n; ++i) {
    if (rng_.chance(kExternalPpm)) {
      auto d = external_case(node);
      if (d && external.insert(d->case_id).second) out.push_back(std::move(*d));
      continue;
    }
    const std::uint64_t no = ++cases_created_[node.index()];
    out.push_back({node.id() + "-" + std::to_string(no),
                   s(kinds::kCreated),
                   {{s(kinds::kMatter), kMatters[rng_.below(std::size(kMatters))]},
                    {s(kinds::kApplicant), "applicant " + std::to_string(no)}}});
  }
  return out;
}

// A department system's case, unless the station already holds its reference's case.
std::optional<EventDraft> Clerks::external_case(SimNode& node) {
  if (rng_.chance(kRefAdvancePpm)) ++ref_base_;
  const std::string ref = "R" + std::to_string(ref_base_ + rng_.below(kRefWindow));
  const std::string id = external_case_id(kSource, ref);
  auto held = node.core().case_state(id);
  if (held.is_ok() && held->exists) {
    stats_.external_found++;
    return std::nullopt;
  }
  return EventDraft{id,
                    s(kinds::kCreated),
                    {{s(kinds::kMatter), kMatters[rng_.below(std::size(kMatters))]},
                     {s(kinds::kApplicant), "applicant " + ref},
                     {s(kinds::kExternalSource), kSource},
                     {s(kinds::kExternalRef), ref}}};
}

std::optional<EventDraft> Clerks::act_on_case(SimNode& node, const std::string& case_id) {
  auto view = node.core().case_state(case_id);
  if (!view.is_ok() || !view->exists) return std::nullopt;
  if (is_terminal(view->status)) {
    // Only the district may reopen; it does so for a few closed cases.
    if (district_->role(node.index()) != Role::kDistrict || !rng_.chance(300'000) || !reopen_) {
      return std::nullopt;
    }
    return EventDraft{case_id, s(kinds::kReopened), {}};
  }
  if (auto answer = answer_hop(node.id(), *view)) return answer;
  if (view->holder == node.id()) return holder_action(node.index(), *view);
  if (!view->on_path(node.id())) return std::nullopt;  // an ancestor that only relays the case
  return path_action(*view);
}

std::optional<EventDraft> Clerks::answer_hop(const std::string& self, const CaseState& view) {
  const Hop* hop = view.current_hop();
  if (!hop || hop->to != self) return std::nullopt;
  const std::string& id = view.id;
  if (hop->stage == HopStage::kDelivered) {
    if (rng_.chance(50'000)) {
      return EventDraft{id,
                        s(kinds::kSupplementRequested),
                        {{s(kinds::kHop), hop->id}, {s(kinds::kMaterials), "id card\nlease"}}};
    }
    return EventDraft{id, s(kinds::kAccepted), {{s(kinds::kHop), hop->id}}};
  }
  if (hop->stage != HopStage::kAccepted) return std::nullopt;
  if (rng_.chance(100'000)) {
    return EventDraft{id,
                      s(kinds::kReturned),
                      {{s(kinds::kHop), hop->id}, {s(kinds::kReason), "wrong department"}}};
  }
  return EventDraft{id,
                    s(kinds::kReplied),
                    {{s(kinds::kHop), hop->id},
                     {s(kinds::kOutcome), rng_.chance(800'000) ? "approved" : "denied"}}};
}

EventDraft Clerks::holder_action(std::size_t self, const CaseState& view) {
  const std::uint64_t pick = rng_.below(100);
  if (pick < 60) return {view.id, s(kinds::kForwarded), {{s(kinds::kTo), forward_target(self)}}};
  if (pick < 66) {
    // 办结 is the receiving office's; a district clerk completes another office's case as
    // district admin. A street holding someone else's case does something else.
    EventDraft done{
        view.id, s(kinds::kCompleted), {{s(kinds::kOutcome), pick % 2 ? "approved" : "denied"}}};
    if (view.receiving_node == district_->id(self)) return done;
    if (district_->role(self) != Role::kDistrict) return path_action(view);
    done.body[s(kinds::kAuthority)] = s(kinds::kDistrictAdmin);
    return done;
  }
  return path_action(view);
}

EventDraft Clerks::path_action(const CaseState& view) {
  const std::uint64_t pick = rng_.below(100);
  if (view.status == CaseStatus::kSupplementRequested && pick < 50) {
    return {view.id, s(kinds::kSupplementProvided), {}};
  }
  if (pick < 2) return {view.id, s(kinds::kWithdrawn), {}};
  if (pick < 15) return {view.id, s(kinds::kNote), {{s(kinds::kNoteText), "called the applicant"}}};
  return {view.id,
          s(kinds::kEdited),
          {{s(kinds::kField), kEditableFields[rng_.below(std::size(kEditableFields))]},
           {s(kinds::kValue), "v" + std::to_string(rng_.below(1000))}}};
}

std::string Clerks::forward_target(std::size_t self) {
  for (;;) {
    const std::uint64_t pick = rng_.below(10);
    std::size_t target = 0;  // the district, 3 times in 10
    if (pick >= 3) {
      const Role want = pick < 6 ? Role::kStreet : Role::kCommunity;
      if (want == Role::kCommunity && district_->topology().communities == 0) continue;
      target = rng_.below(district_->size());
      if (district_->role(target) != want) continue;
    }
    if (target != self && !book_->revoked(district_->id(target))) return district_->id(target);
  }
}

}  // namespace casesync::sim
