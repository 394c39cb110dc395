#include "sync/evidence_book.h"

#include <set>

#include "sync/case_rules.h"
#include "sync/event.h"

namespace casesync {

namespace {
constexpr const char* kMetaIndex = "equivocations";  // "origin seq" per line

std::string meta_key(const std::string& origin, std::uint64_t seq, char which) {
  return std::string("equivocation/") + origin + "/" + std::to_string(seq) + "/" + which;
}

std::string to_meta(const EventRecord& r) { return to_hex(r.signature) + " " + to_hex(r.signed_bytes); }

Result<EventRecord> from_meta(const std::string& text) {
  const auto space = text.find(' ');
  auto sig = space == std::string::npos ? std::nullopt : from_hex(text.substr(0, space));
  auto bytes = space == std::string::npos ? std::nullopt : from_hex(text.substr(space + 1));
  if (!sig || !bytes) return Status::error(Code::kCorruption, "stored equivocation evidence is not hex");
  return record_from_signed(std::move(*bytes), std::move(*sig));
}
}  // namespace

void EvidenceBook::remember(Equivocation e) {
  const auto key = std::make_pair(e.origin, e.seq);
  by_hash_[e.winner.hash] = key;
  by_hash_[e.loser.hash] = key;
  all_[key] = std::move(e);
}

Status EvidenceBook::load(Store& store) {
  ASSIGN_OR_RETURN(auto index, store.get_meta(kMetaIndex));
  if (!index) return Status::ok();
  std::size_t start = 0;
  while (start < index->size()) {
    std::size_t end = index->find('\n', start);
    if (end == std::string::npos) end = index->size();
    const std::string line = index->substr(start, end - start);
    start = end + 1;
    const auto space = line.rfind(' ');
    auto seq = space == std::string::npos ? std::nullopt : parse_u64(line.substr(space + 1));
    if (!seq) return Status::error(Code::kCorruption, "meta.equivocations: bad line \"" + line + "\"");
    const std::string origin = line.substr(0, space);
    ASSIGN_OR_RETURN(auto w, store.get_meta(meta_key(origin, *seq, 'w')));
    ASSIGN_OR_RETURN(auto l, store.get_meta(meta_key(origin, *seq, 'l')));
    if (!w || !l) return Status::error(Code::kCorruption, "equivocation evidence missing for " + line);
    ASSIGN_OR_RETURN(EventRecord winner, from_meta(*w));
    ASSIGN_OR_RETURN(EventRecord loser, from_meta(*l));
    remember({origin, *seq, std::move(winner), std::move(loser)});
  }
  return Status::ok();
}

Result<bool> EvidenceBook::add(Store& store, const EventRecord& x, const EventRecord& y) {
  if (find(x.origin, x.seq)) return false;
  const bool x_wins = wins(x.hash, y.hash);
  Equivocation e{x.origin, x.seq, x_wins ? x : y, x_wins ? y : x};
  if (all_.size() < kKeptMax) {
    RETURN_IF_ERROR(store.put_meta(meta_key(e.origin, e.seq, 'w'), to_meta(e.winner)));
    RETURN_IF_ERROR(store.put_meta(meta_key(e.origin, e.seq, 'l'), to_meta(e.loser)));
    std::string index;
    for (const auto& [key, _] : all_) index += key.first + " " + std::to_string(key.second) + "\n";
    index += e.origin + " " + std::to_string(e.seq) + "\n";
    RETURN_IF_ERROR(store.put_meta(kMetaIndex, index));
  }
  remember(std::move(e));
  return true;
}

const Equivocation* EvidenceBook::find(const std::string& origin, std::uint64_t seq) const {
  auto it = all_.find({origin, seq});
  return it == all_.end() ? nullptr : &it->second;
}

std::optional<std::pair<std::string, std::uint64_t>> EvidenceBook::key_of(const Hash32& hash) const {
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) return std::nullopt;
  return it->second;
}

bool EvidenceBook::stands_in(const Hash32& parent) const {
  const auto key = key_of(parent);
  return key && all_.at(*key).loser.hash == parent;
}

std::optional<EventRecord> EvidenceBook::version(const Hash32& hash) const {
  if (!stands_in(hash)) return std::nullopt;
  return all_.at(*key_of(hash)).loser;
}

std::vector<std::string> EvidenceBook::origins() const {
  std::set<std::string> out;
  for (const auto& [key, _] : all_) out.insert(key.first);
  return {out.begin(), out.end()};
}

EvidenceMsg EvidenceBook::to_message(const Equivocation& e) {
  EvidenceMsg m;
  m.versions.push_back({e.winner.origin, e.winner.signed_bytes, e.winner.signature});
  m.versions.push_back({e.loser.origin, e.loser.signed_bytes, e.loser.signature});
  return m;
}

}  // namespace casesync
