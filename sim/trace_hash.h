// TraceHash: a running FNV-1a 64 over everything a run did — every frame delivered (all its
// bytes, signatures and event hashes included), fault episodes, clerk actions and their outcomes,
// alerts, and at the end every node's stored events. Keys come from the seed, so two runs of one
// seed must end with the same value in any process on any machine (same commit, same libzstd);
// a difference pinpoints nondeterminism.
#pragma once

#include <cstdint>
#include <string_view>

namespace casesync::sim {

class TraceHash {
 public:
  void mix(std::string_view bytes) {
    for (unsigned char c : bytes) {
      value_ ^= c;
      value_ *= kPrime;
    }
    mix_u64(bytes.size());  // so ("ab","c") and ("a","bc") differ
  }
  void mix_u64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      value_ ^= (v >> (8 * i)) & 0xff;
      value_ *= kPrime;
    }
  }
  std::uint64_t value() const { return value_; }

 private:
  static constexpr std::uint64_t kPrime = 0x100000001b3ull;
  std::uint64_t value_ = 0xcbf29ce484222325ull;
};

}  // namespace casesync::sim
