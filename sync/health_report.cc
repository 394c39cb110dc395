#include "sync/health_report.h"

#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>

#include "sync/limits.h"
#include "sync/wire_archive.h"

namespace casesync {

template <class Archive>
void serialize(Archive& ar, LinkHealth& l) {
  ar(l.peer, l.is_parent, l.up, l.backlog, l.backlog_oldest_ms, l.sent_acked_pos,
     l.recv_applied_pos, l.rtt_ms, l.clock_offset_ms, l.last_heard_ago_ms);
}

template <class Archive>
void serialize(Archive& ar, HealthReport& r) {
  ar(r.version, r.node, r.software_version, r.generated_ms, r.hlc, r.uptime_s, r.links,
     r.db_bytes, r.wal_bytes, r.events, r.counters, r.rejects, r.stalled_hops, r.disk_trouble,
     r.warnings, r.restoring, r.events_behind, r.held, r.equivocating_origins, r.policy_version);
}

namespace {
constexpr std::size_t kHealthBytesMax = 64 * 1024;
constexpr std::size_t kLinksMax = 1024;
}  // namespace

const LinkHealth* HealthReport::parent_link() const {
  for (const auto& l : links) {
    if (l.is_parent) return &l;
  }
  return nullptr;
}

bool HealthReport::upward_in_step() const {
  const LinkHealth* p = parent_link();
  return p == nullptr || (p->up && p->backlog == 0);
}

std::string encode_health(const HealthReport& r) {
  std::string out;
  wire::WireOutputArchive ar(&out);
  ar(const_cast<HealthReport&>(r));
  return out;
}

Result<HealthReport> decode_health(std::string_view bytes) {
  if (bytes.size() > kHealthBytesMax) {
    return Status::error(Code::kCorruption, "health report of " + std::to_string(bytes.size()) + " bytes");
  }
  HealthReport r;
  try {
    wire::BoundedInputArchive ar(bytes);
    ar(r);
    if (ar.remaining() != 0) return Status::error(Code::kCorruption, "trailing bytes after health report");
  } catch (const cereal::Exception& e) {
    return Status::error(Code::kCorruption, std::string("health report does not decode: ") + e.what());
  }
  if (r.version != HealthReport{}.version || r.node.empty() || r.node.size() > limits::kNodeIdBytesMax ||
      r.links.size() > kLinksMax) {
    return Status::error(Code::kCorruption, "malformed health report");
  }
  return r;
}

SignedHealth sign_health(const HealthReport& r, const crypto::SecretKey& secret) {
  SignedHealth s{r.node, encode_health(r), {}};
  s.signature = crypto::sign(secret, crypto::kHealthDomain, s.report);
  return s;
}

Result<HealthReport> open_health(const SignedHealth& s, std::string_view key) {
  if (!crypto::verify(key, crypto::kHealthDomain, s.report, s.signature)) {
    return Status::error(Code::kCorruption, "bad signature on a health report claiming " + s.origin);
  }
  ASSIGN_OR_RETURN(HealthReport r, decode_health(s.report));
  if (r.node != s.origin) {
    return Status::error(Code::kUnauthorized, "health report signed by " + s.origin + " describes " + r.node);
  }
  return r;
}

}  // namespace casesync
