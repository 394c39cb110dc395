#include "sync/case_view.h"

#include <map>
#include <queue>
#include <tuple>

namespace casesync {

namespace {
using Key = std::tuple<std::uint64_t, std::string, std::uint64_t>;  // (hlc, origin, seq)
Key key_of(const Event& e) { return {e.hlc, e.origin, e.seq}; }
}  // namespace

Result<std::vector<OrderedEvent>> canonical_order(const std::vector<EventRecord>& records) {
  std::vector<OrderedEvent> items;
  items.reserve(records.size());
  std::map<Hash32, std::size_t> by_hash;
  for (const auto& r : records) {
    ASSIGN_OR_RETURN(Event e, decode_event(r.signed_bytes));
    by_hash[r.hash] = items.size();
    items.push_back({r, std::move(e)});
  }
  // Kahn's algorithm with a min-heap on the tie-break key.
  std::vector<std::size_t> waiting(items.size(), 0);
  std::vector<std::vector<std::size_t>> children(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    for (const auto& p : items[i].event.parents) {
      auto it = by_hash.find(p);
      if (it == by_hash.end() || it->second == i) continue;
      waiting[i]++;
      children[it->second].push_back(i);
    }
  }
  auto later = [&](std::size_t a, std::size_t b) {
    return key_of(items[a].event) > key_of(items[b].event);
  };
  std::priority_queue<std::size_t, std::vector<std::size_t>, decltype(later)> ready(later);
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (waiting[i] == 0) ready.push(i);
  }
  std::vector<OrderedEvent> out;
  out.reserve(items.size());
  while (!ready.empty()) {
    std::size_t i = ready.top();
    ready.pop();
    for (std::size_t c : children[i]) {
      if (--waiting[c] == 0) ready.push(c);
    }
    out.push_back(std::move(items[i]));
  }
  if (out.size() != items.size()) {
    // Only a hash collision could make a cycle; refuse rather than guess an order.
    return Status::error(Code::kCorruption, "case events form a cycle");
  }
  return out;
}

Hash32 events_digest(const std::vector<OrderedEvent>& ordered) {
  std::string all;
  all.reserve(ordered.size() * 32);
  for (const auto& o : ordered) all.append(as_view(o.record.hash));
  return crypto::hash(all);
}

}  // namespace casesync
