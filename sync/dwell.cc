#include "sync/dwell.h"

#include <map>

namespace casesync {

namespace {

// One stretch of holding: the holder, and its own first and last event in it.
struct Stretch {
  std::string node;
  bool seen = false;
  std::uint64_t first_ms = 0, last_ms = 0;

  void own(std::uint64_t ms) {
    if (!seen) first_ms = ms;
    last_ms = seen ? std::max(last_ms, ms) : ms;
    seen = true;
  }
  std::uint64_t ms() const { return seen ? last_ms - std::min(last_ms, first_ms) : 0; }
};

}  // namespace

std::vector<Dwell> dwell_of(const CaseState& s) {
  std::vector<Dwell> out;
  std::map<std::string, std::size_t> index;
  Stretch cur;
  auto close = [&] {
    if (cur.node.empty()) return;
    auto [it, fresh] = index.try_emplace(cur.node, out.size());
    if (fresh) out.push_back({cur.node, 0});
    out[it->second].ms += cur.ms();
  };
  for (const auto& t : s.timeline) {
    if (!t.applied) continue;
    // The event that moves the case away is the holder's own last act in its stretch.
    if (t.origin == cur.node) cur.own(t.ms);
    if (t.holder_after.empty() || t.holder_after == cur.node) continue;
    close();
    cur = Stretch{t.holder_after};
    if (t.origin == cur.node) cur.own(t.ms);  // created here, or reopened by the district
  }
  close();
  return out;
}

}  // namespace casesync
