#include "sync/evidence_book.h"

#include <set>

#include "sync/case_rules.h"
#include "sync/event.h"

namespace casesync {

namespace {
constexpr const char* kMetaIndex = "equivocations";  // "origin seq" per line

// "w": the winner; "l", "l1", "l2", ...: the losers (stores written before a third version
// could be kept hold "w" and "l" only).
std::string meta_key(const std::string& origin, std::uint64_t seq, const std::string& which) {
  return std::string("equivocation/") + origin + "/" + std::to_string(seq) + "/" + which;
}

std::string loser_key(std::size_t i) { return i == 0 ? "l" : "l" + std::to_string(i); }

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
  for (const auto& l : e.losers) by_hash_[l.hash] = key;
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
    ASSIGN_OR_RETURN(auto w, store.get_meta(meta_key(origin, *seq, "w")));
    ASSIGN_OR_RETURN(auto l, store.get_meta(meta_key(origin, *seq, "l")));
    if (!w || !l) return Status::error(Code::kCorruption, "equivocation evidence missing for " + line);
    Equivocation e{origin, *seq, {}, {}};
    ASSIGN_OR_RETURN(e.winner, from_meta(*w));
    for (std::size_t i = 1; l; ++i) {
      ASSIGN_OR_RETURN(EventRecord loser, from_meta(*l));
      e.losers.push_back(std::move(loser));
      ASSIGN_OR_RETURN(l, store.get_meta(meta_key(origin, *seq, loser_key(i))));
    }
    ASSIGN_OR_RETURN(auto u, store.get_meta(meta_key(origin, *seq, "u")));
    if (u && *u == "1") unrouted_.insert({origin, *seq});
    remember(std::move(e));
  }
  return Status::ok();
}

Status EvidenceBook::set_unrouted(Store& store, const std::string& origin, std::uint64_t seq,
                                  bool unrouted) {
  if (this->unrouted(origin, seq) == unrouted) return Status::ok();
  RETURN_IF_ERROR(store.put_meta(meta_key(origin, seq, "u"), unrouted ? "1" : ""));
  if (unrouted) {
    unrouted_.insert({origin, seq});
  } else {
    unrouted_.erase({origin, seq});
  }
  return Status::ok();
}

Result<bool> EvidenceBook::add(Store& store, const EventRecord& x, const EventRecord& y) {
  auto it = all_.find({x.origin, x.seq});
  const bool new_key = it == all_.end();
  Equivocation e = new_key ? Equivocation{x.origin, x.seq, x, {}} : it->second;
  bool changed = new_key;
  for (const EventRecord* v : {&x, &y}) {
    if (v->hash == e.winner.hash) continue;
    bool known = false;
    for (const auto& l : e.losers) known = known || l.hash == v->hash;
    if (known) continue;
    changed = true;
    EventRecord loser = *v;
    if (wins(v->hash, e.winner.hash)) std::swap(loser, e.winner);
    if (e.losers.size() < kLosersPerSeqMax) e.losers.push_back(std::move(loser));
  }
  if (!changed) return false;
  if (all_.size() < kKeptMax || !new_key) RETURN_IF_ERROR(persist(store, e, new_key));
  remember(std::move(e));
  return true;
}

Status EvidenceBook::persist(Store& store, const Equivocation& e, bool new_key) {
  RETURN_IF_ERROR(store.put_meta(meta_key(e.origin, e.seq, "w"), to_meta(e.winner)));
  for (std::size_t i = 0; i < e.losers.size(); ++i) {
    RETURN_IF_ERROR(store.put_meta(meta_key(e.origin, e.seq, loser_key(i)), to_meta(e.losers[i])));
  }
  if (!new_key) return Status::ok();
  std::string index;
  for (const auto& [key, _] : all_) index += key.first + " " + std::to_string(key.second) + "\n";
  index += e.origin + " " + std::to_string(e.seq) + "\n";
  return store.put_meta(kMetaIndex, index);
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
  return key && all_.at(*key).winner.hash != parent;
}

std::optional<EventRecord> EvidenceBook::version(const Hash32& hash) const {
  if (!stands_in(hash)) return std::nullopt;
  for (const auto& l : all_.at(*key_of(hash)).losers) {
    if (l.hash == hash) return l;
  }
  return std::nullopt;
}

std::vector<std::string> EvidenceBook::origins() const {
  std::set<std::string> out;
  for (const auto& [key, _] : all_) out.insert(key.first);
  return {out.begin(), out.end()};
}

std::vector<EvidenceMsg> EvidenceBook::to_messages(const Equivocation& e) {
  std::vector<EvidenceMsg> out;
  for (const auto& l : e.losers) {
    EvidenceMsg m;
    m.versions.push_back({e.winner.origin, e.winner.signed_bytes, e.winner.signature});
    m.versions.push_back({l.origin, l.signed_bytes, l.signature});
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace casesync
