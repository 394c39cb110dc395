// The machine's Ed25519 limits: signatures and verifications per second over a message the size
// of a real event, through crypto/crypto.h exactly as the daemon calls it, on one core, and
// verifications with every core verifying on its own (the ceiling for ParallelVerifier).
#pragma once

#include <chrono>
#include <string>

#include "common/status.h"

namespace casesync::bench {

struct CryptoLimits {
  double sign_per_s = 0;
  double verify_per_s = 0;
  double sign_per_cpu_s = 0;  // per second of this thread's CPU time (see bench/rate.h)
  double verify_per_cpu_s = 0;
  std::size_t message_bytes = 0;
  double verify_all_cores_per_s = 0;  // the sum over one thread per core
  unsigned cores = 0;
};

// One core on the calling thread, then one thread per core. `message` is the encoded event to
// sign and verify.
Result<CryptoLimits> measure_crypto(const std::string& message,
                                    std::chrono::milliseconds duration_each);

}  // namespace casesync::bench
