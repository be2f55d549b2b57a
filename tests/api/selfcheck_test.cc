// The start-up self-check passes on this machine and covers every supported variant.
#include "ztkit/selfcheck.h"

#include <gtest/gtest.h>

#include "engine/crypto/aes_gmac_siv.h"
#include "engine/crypto/poly1305.h"
#include "engine/crypto/salsa20.h"

namespace ztkit {
namespace {

bool has_item(const selfcheck_report& r, const std::string& name) {
  for (const auto& i : r.items) {
    if (i.name == name) return true;
  }
  return false;
}

TEST(Selfcheck, PassesAndCoversEverySupportedVariant) {
  const selfcheck_report r = run_crypto_selfcheck();
  for (const auto& i : r.items) EXPECT_TRUE(i.passed) << i.name << ": " << i.detail;
  EXPECT_TRUE(r.ok());
  for (auto v : {crypto::salsa_variant::portable, crypto::salsa_variant::sse2,
                 crypto::salsa_variant::avx2, crypto::salsa_variant::avx512}) {
    const std::string name = "salsa20/12 " + std::string(crypto::to_string(v));
    EXPECT_EQ(has_item(r, name), crypto::salsa_variant_supported(v)) << name;
  }
  for (auto v : {crypto::aes_variant::portable, crypto::aes_variant::aesni,
                 crypto::aes_variant::vaes}) {
    const std::string name = "aes-gmac-siv " + std::string(crypto::to_string(v));
    EXPECT_EQ(has_item(r, name), crypto::aes_variant_supported(v)) << name;
  }
  for (auto v : {crypto::poly1305_variant::libsodium, crypto::poly1305_variant::ifma}) {
    const std::string name = "poly1305 " + std::string(crypto::to_string(v));
    EXPECT_EQ(has_item(r, name), crypto::poly1305_variant_supported(v)) << name;
  }
  EXPECT_TRUE(has_item(r, "c25519 signature"));
  EXPECT_TRUE(has_item(r, "identity memory-hard hash"));
  EXPECT_EQ(r.salsa_variant, crypto::to_string(crypto::active_salsa_variant()));
}

TEST(Selfcheck, EmptyReportIsNotOk) { EXPECT_FALSE(selfcheck_report{}.ok()); }

TEST(Selfcheck, SpeedSummaryMeasuresBothSidesOfEachComparison) {
  const auto samples = measure_crypto_speed(1400, std::chrono::milliseconds(100));
  ASSERT_EQ(samples.size(), 3u);
  for (const auto& s : samples) {
    EXPECT_GT(s.gbytes_per_s, 0) << s.name;
    EXPECT_GT(s.baseline_gbytes_per_s, 0) << s.baseline;
    EXPECT_GT(s.ratio(), 0);
  }
}

}  // namespace
}  // namespace ztkit
