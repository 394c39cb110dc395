// BatchVerifier: checks many Ed25519 signatures at once. The protocol core verifies every event
// of a batch through this interface, so the daemon can spread the work over its cores while the
// core stays deterministic: an implementation must return exactly what crypto::verify returns
// for each item, in order, whatever its threads do.
#pragma once

#include <span>
#include <string_view>
#include <vector>

namespace casesync::crypto {

// One signature to check. The views must stay live during the verify_all() call.
struct SignedMessage {
  std::string_view public_key;  // a wrong size simply fails, as in crypto::verify
  std::string_view message;
  std::string_view signature;
};

class BatchVerifier {
 public:
  virtual ~BatchVerifier() = default;
  // verdicts[i] == crypto::verify(items[i].public_key, domain, items[i].message,
  // items[i].signature).
  virtual std::vector<bool> verify_all(std::string_view domain,
                                       std::span<const SignedMessage> items) = 0;
};

// One item after the other on the calling thread: the default of SyncNode, the simulator and
// the unit tests.
class SequentialVerifier final : public BatchVerifier {
 public:
  std::vector<bool> verify_all(std::string_view domain,
                               std::span<const SignedMessage> items) override;
};

}  // namespace casesync::crypto
