#include "bench/crypto_limits.h"

#include "bench/rate.h"
#include "crypto/crypto.h"

namespace casesync::bench {

namespace {
constexpr int kWarmupSteps = 200;
}  // namespace

Result<CryptoLimits> measure_crypto(const std::string& message,
                                    std::chrono::milliseconds duration_each) {
  RETURN_IF_ERROR(crypto::init());
  const crypto::KeyPair pair = crypto::generate_keypair();
  CryptoLimits out;
  out.message_bytes = message.size();

  std::string signature;
  out.sign_per_s = measure_rate(duration_each, 1, kWarmupSteps, [&] {
                     signature = crypto::sign(pair.secret, crypto::kEventDomain, message);
                   }).per_s();

  bool all_valid = true;
  out.verify_per_s =
      measure_rate(duration_each, 1, kWarmupSteps, [&] {
        all_valid &= crypto::verify(pair.public_key, crypto::kEventDomain, message, signature);
      }).per_s();
  if (!all_valid) {
    return Status::error(Code::kInternal, "a signature made by this run did not verify");
  }
  return out;
}

}  // namespace casesync::bench
