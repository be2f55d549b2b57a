// InetAddress wire form against mac_multicast.json `inet_address_serialization` (1.14.1).
#include "engine/wire/inet_address.h"

#include <gtest/gtest.h>

#include "tests/support/vectors.h"

namespace ztkit::wire {
namespace {

TEST(InetAddress, SerializationMatchesZeroTier) {
  ZTKIT_LOAD_VECTORS(v, "mac_multicast.json");
  ASSERT_GE(v["inet_address_serialization"].size(), 3u);
  for (const auto& c : v["inet_address_serialization"]) {
    const std::string text = c["address"].get<std::string>();
    const auto expected = test::hex_bytes(c["serialized"]);
    // The vector names the nil address "(nil / no address)"; ours prints "nil".
    const auto a = inet_address::from_string(text.starts_with("(nil") ? "nil" : text);
    ASSERT_TRUE(a.has_value()) << text;
    std::vector<std::uint8_t> out(a->buffer_len());
    writer w(out);
    a->emit(w);
    ASSERT_TRUE(w.ok());
    EXPECT_EQ(out, expected) << text;

    reader r(expected);
    const inet_address back = inet_address::parse(r);
    EXPECT_TRUE(r.at_end()) << text;
    EXPECT_EQ(back, *a);
    EXPECT_EQ(back.to_string(), a->is_nil() ? "nil" : text);
  }
}

TEST(InetAddress, SkipsForwardCompatibleTypesAndRejectsUnknownOnes) {
  const std::uint8_t ethernet[] = {1, 1, 2, 3, 4, 5, 6, 0xaa};
  reader r1(ethernet);
  EXPECT_TRUE(inet_address::parse(r1).is_nil());
  EXPECT_EQ(r1.position(), 7u);

  const std::uint8_t other[] = {3, 0, 2, 9, 9, 0xaa};
  reader r3(other);
  EXPECT_TRUE(inet_address::parse(r3).is_nil());
  EXPECT_EQ(r3.position(), 5u);

  const std::uint8_t unknown[] = {5, 0, 0, 0, 0, 0, 0};
  reader r5(unknown);
  inet_address::parse(r5);
  EXPECT_FALSE(r5.ok());
}

TEST(InetAddress, TruncatedAddressesFailTheReaderAtEveryLength) {
  const std::uint8_t v6[] = {6, 0xfd, 0x80, 0x56, 0xc2, 0xe2, 0x1c, 0, 0, 1, 0x99,
                             0x93, 0x3d, 0x55, 0x81, 0x1c, 0x5e, 0x27, 0x09};
  for (std::size_t n = 0; n < sizeof v6; ++n) {
    reader r(std::span(v6, n));
    inet_address::parse(r);
    EXPECT_FALSE(r.ok()) << n;
  }
  const std::uint8_t other_long[] = {3, 0xff, 0xff, 1};
  reader r(other_long);
  inet_address::parse(r);
  EXPECT_FALSE(r.ok());
}

TEST(InetAddress, FromStringRejectsGarbage) {
  EXPECT_FALSE(inet_address::from_string("10.0.0.1/").has_value());
  EXPECT_FALSE(inet_address::from_string("10.0.0.1/70000").has_value());
  EXPECT_FALSE(inet_address::from_string("10.0.0.256/1").has_value());
  EXPECT_FALSE(inet_address::from_string("host/1").has_value());
  EXPECT_TRUE(inet_address::from_string("::1/9993").has_value());
}

}  // namespace
}  // namespace ztkit::wire
