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
  const Rate sign = measure_rate(duration_each, 1, kWarmupSteps, [&] {
    signature = crypto::sign(pair.secret, crypto::kEventDomain, message);
  });
  out.sign_per_s = sign.per_s();
  out.sign_per_cpu_s = sign.per_cpu_s();

  bool all_valid = true;
  const Rate verify = measure_rate(duration_each, 1, kWarmupSteps, [&] {
    all_valid &= crypto::verify(pair.public_key, crypto::kEventDomain, message, signature);
  });
  out.verify_per_s = verify.per_s();
  out.verify_per_cpu_s = verify.per_cpu_s();
  if (!all_valid) {
    return Status::error(Code::kInternal, "a signature made by this run did not verify");
  }
  return out;
}

}  // namespace casesync::bench
