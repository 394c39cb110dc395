#include "sync/local_identity.h"

#include <string>

#include "sync/case_rules.h"

namespace casesync {

namespace {
Result<std::uint64_t> number(Store& store, const char* key, std::uint64_t absent) {
  ASSIGN_OR_RETURN(auto text, store.get_meta(key));
  if (!text) return absent;
  auto v = parse_u64(*text);
  if (!v) return Status::error(Code::kCorruption, std::string("meta.") + key + " is not a number");
  return *v;
}
}  // namespace

Status LocalIdentity::load(Store& store) {
  ASSIGN_OR_RETURN(next_seq, number(store, kMetaNextSeq, 1));
  ASSIGN_OR_RETURN(epoch, number(store, kMetaRestoreEpoch, 0));
  ASSIGN_OR_RETURN(std::uint64_t hlc, number(store, kMetaHlc, 0));
  clock = HybridClock(hlc);
  ASSIGN_OR_RETURN(auto last, store.get_meta(kMetaLastHash));
  if (last) {
    auto h = hash_from_hex(*last);
    if (!h) return Status::error(Code::kCorruption, "meta.last_hash is not a hash");
    last_hash = *h;
  }
  if (next_seq == 0) return Status::error(Code::kCorruption, "meta.next_seq is 0");
  return Status::ok();
}

Status LocalIdentity::persist(Store& store) const {
  RETURN_IF_ERROR(store.put_meta(kMetaNextSeq, std::to_string(next_seq)));
  RETURN_IF_ERROR(store.put_meta(kMetaHlc, std::to_string(clock.last())));
  return store.put_meta(kMetaLastHash, to_hex(last_hash));
}

Status LocalIdentity::persist_epoch(Store& store) const {
  return store.put_meta(kMetaRestoreEpoch, std::to_string(epoch));
}

}  // namespace casesync
