#include "crypto/batch_verifier.h"

#include "crypto/crypto.h"

namespace casesync::crypto {

std::vector<bool> SequentialVerifier::verify_all(std::string_view domain,
                                                 std::span<const SignedMessage> items) {
  std::vector<bool> verdicts;
  verdicts.reserve(items.size());
  for (const auto& it : items) {
    verdicts.push_back(verify(it.public_key, domain, it.message, it.signature));
  }
  return verdicts;
}

}  // namespace casesync::crypto
