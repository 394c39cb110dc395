#include "bench/crypto_limits.h"

#include <algorithm>
#include <thread>
#include <vector>

#include "bench/rate.h"
#include "crypto/crypto.h"

namespace casesync::bench {

namespace {
constexpr int kWarmupSteps = 200;

// Every core verifying at once, each on its own thread, for `duration`: the sum of their rates.
double verify_on_every_core(const crypto::KeyPair& pair, const std::string& message,
                            const std::string& signature, std::chrono::milliseconds duration,
                            unsigned cores) {
  std::vector<double> rates(cores, 0);
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < cores; ++i) {
    threads.emplace_back([&, i] {
      rates[i] = measure_rate(duration, 1, kWarmupSteps, [&] {
                   crypto::verify(pair.public_key, crypto::kEventDomain, message, signature);
                 }).per_s();
    });
  }
  for (auto& t : threads) t.join();
  double sum = 0;
  for (double r : rates) sum += r;
  return sum;
}

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
  out.cores = std::max(1u, std::thread::hardware_concurrency());
  out.verify_all_cores_per_s =
      verify_on_every_core(pair, message, signature, duration_each, out.cores);
  return out;
}

}  // namespace casesync::bench
