#include "sim/frame_digest.h"

#include <cassert>
#include <variant>

#include "sim/trace_hash.h"
#include "sync/messages.h"

namespace casesync::sim {

namespace {

// Signatures are the only key-dependent bytes of a message. Any message type with a `signature`
// member (signed reports relayed as they are) is covered without being named here.
void strip_signatures(BatchMsg& batch) {
  for (auto& e : batch.events) e.signature.clear();
}
template <class Msg>
void strip_signatures(Msg& m) {
  if constexpr (requires { m.signature.clear(); }) m.signature.clear();
}

}  // namespace

std::uint64_t frame_digest(std::string_view frame) {
  auto decoded = decode_message(frame);
  assert(decoded.is_ok() && "the core only sends frames it can decode");
  Message& m = decoded.value();
  std::visit([](auto& msg) { strip_signatures(msg); }, m);
  TraceHash h;
  h.mix(encode_message(m));
  return h.value();
}

}  // namespace casesync::sim
