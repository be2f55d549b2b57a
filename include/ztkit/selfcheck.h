// ztkit's crypto self-check and speed summary: what `zt selfcheck` prints, and what an
// embedding server can run at start-up to refuse to come up on a broken build or CPU.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace ztkit {

struct selfcheck_item {
  std::string name;    // e.g. "salsa20/12 avx512", "c25519 signature"
  bool passed = false;
  std::string detail;  // why it failed (empty when it passed)
};

struct selfcheck_report {
  std::string salsa_variant;  // the Salsa20 variant the data path uses
  std::string aes_variant;    // the AES-GMAC-SIV variant the data path uses
  std::string poly1305_variant;  // the Poly1305 variant the data path uses
  std::vector<selfcheck_item> items;
  bool ok() const;
};

// Runs known-answer tests (values made by ZeroTierOne 1.14.1) on every SIMD variant this CPU
// supports, and on C25519, Poly1305, identity validation and AES-GMAC-SIV. Takes ~0.1 s.
selfcheck_report run_crypto_selfcheck();

struct speed_sample {
  std::string name;          // what was measured
  std::string baseline;      // what it is compared with, measured in the same run
  double gbytes_per_s = 0;   // 1e9 bytes per second
  double baseline_gbytes_per_s = 0;
  double ratio() const { return baseline_gbytes_per_s > 0 ? gbytes_per_s / baseline_gbytes_per_s : 0; }
};

// Measures the packet ciphers at `packet_bytes` for about `budget` in total, interleaving each
// candidate with its baseline and keeping the best of several rounds (machines are noisy).
// Not a substitute for bench/ (Google Benchmark); a quick summary for people and logs.
std::vector<speed_sample> measure_crypto_speed(std::size_t packet_bytes,
                                               std::chrono::milliseconds budget);

}  // namespace ztkit
