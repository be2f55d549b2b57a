// Dictionary text encoding against dictionary.json (1.14 Dictionary::add / get / getUI / getB).
#include "engine/wire/dictionary.h"

#include <gtest/gtest.h>

#include "engine/base/hex.h"
#include "tests/support/vectors.h"

namespace {

using ztkit::wire::dictionary;
using ztkit::test::hex_bytes;

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(Dictionary, EncodingVectorsByteExact) {
  ZTKIT_LOAD_VECTORS(v, "dictionary.json");
  for (const auto& c : v["encoding"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const auto expected = hex_bytes(c["encoded_hex"]);
    if (c.contains("entries")) {
      dictionary d;
      for (const auto& e : c["entries"]) {
        ASSERT_TRUE(d.add(e["key"].get<std::string>(), hex_bytes(e["value_hex"])).ok());
      }
      auto out = d.to_bytes();
      ASSERT_TRUE(out.ok());
      EXPECT_EQ(ztkit::to_hex(*out), ztkit::to_hex(expected));
      EXPECT_EQ(d.buffer_len(), expected.size());
      // And back: every entry reads as written.
      auto back = dictionary::parse(expected);
      ASSERT_TRUE(back.ok()) << back.message();
      EXPECT_EQ(*back, d);
      for (const auto& e : c["entries"]) {
        auto got = back->get(e["key"].get<std::string>());
        ASSERT_TRUE(got.has_value());
        EXPECT_EQ(ztkit::to_hex(*got), e["value_hex"].get<std::string>());
      }
    } else {
      // Typed adds.
      dictionary d;
      ASSERT_TRUE(d.add_u64("v", 7).ok());
      ASSERT_TRUE(d.add_u64("nwid", 0x8056c2e21c000001ULL).ok());
      ASSERT_TRUE(d.add_i64("neg", 5).ok());
      ASSERT_TRUE(d.add_bool("t", true).ok());
      ASSERT_TRUE(d.add_bool("f", false).ok());
      ASSERT_TRUE(d.add_address("addr", ztkit::zt_address(0x3d55811c5eULL)).ok());
      auto out = d.to_bytes();
      ASSERT_TRUE(out.ok());
      EXPECT_EQ(ztkit::to_hex(*out), ztkit::to_hex(expected));
      auto back = dictionary::parse(expected);
      ASSERT_TRUE(back.ok());
      EXPECT_EQ(back->get_u64("nwid"), std::stoull(c["getUI_nwid"].get<std::string>(), nullptr, 16));
      EXPECT_EQ(back->get_i64("neg"), c["getI_neg"].get<std::int64_t>());
      EXPECT_EQ(back->get_bool("t"), c["getB_t"].get<bool>());
      EXPECT_EQ(back->get_bool("f"), c["getB_f"].get<bool>());
      EXPECT_EQ(back->get_u64("addr"), std::stoull(c["getUI_addr"].get<std::string>(), nullptr, 16));
    }
  }
}

TEST(Dictionary, DecodingVectors) {
  ZTKIT_LOAD_VECTORS(v, "dictionary.json");
  for (const auto& c : v["decoding"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    auto d = dictionary::parse(hex_bytes(c["text_hex"]));
    ASSERT_TRUE(d.ok()) << d.message();
    for (const auto& l : c["lookups"]) {
      const std::string key = l["key"];
      SCOPED_TRACE(key);
      const int ret = l["get_return"];
      auto got = d->get(key);
      if (ret < 0) {
        EXPECT_FALSE(got.has_value());
      } else {
        ASSERT_TRUE(got.has_value());
        EXPECT_EQ(static_cast<int>(got->size()), ret);
        EXPECT_EQ(ztkit::to_hex(*got), l["value_hex"].get<std::string>());
      }
      EXPECT_EQ(d->get_u64(key, 0xdead), std::stoull(l["getUI_hex"].get<std::string>(), nullptr, 16));
      EXPECT_EQ(d->get_bool(key, false), l["getB_default_false"].get<bool>());
    }
  }
}

TEST(Dictionary, NetconfVectorKeysAndValues) {
  ZTKIT_LOAD_VECTORS(v, "netconf.json");
  const auto text = hex_bytes(v["dictionary_hex"]);
  auto d = dictionary::parse(text);
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->entries().size(), v["dictionary_keys_in_order"].size());
  for (std::size_t i = 0; i < d->entries().size(); ++i) {
    EXPECT_EQ(d->entries()[i].key, v["dictionary_keys_in_order"][i].get<std::string>());
    EXPECT_EQ(ztkit::to_hex(d->entries()[i].value),
              v["dictionary_values"][i]["decoded_value_hex"].get<std::string>());
  }
  auto again = d->to_bytes();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, text);
  // The large config as well.
  const auto large = hex_bytes(v["large_config"]["dictionary_hex"]);
  auto dl = dictionary::parse(large);
  ASSERT_TRUE(dl.ok());
  EXPECT_EQ(*dl->to_bytes(), large);
}

TEST(Dictionary, CapacityLimits) {
  std::string text = "k=" + std::string(dictionary::metadata_capacity - 3, 'x');  // 1023 bytes
  EXPECT_TRUE(dictionary::parse(bytes_of(text), dictionary::metadata_capacity).ok());
  text.push_back('x');  // 1024 bytes: one more than 1.14 can hold
  auto r = dictionary::parse(bytes_of(text), dictionary::metadata_capacity);
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.message().empty());

  dictionary d;
  ASSERT_TRUE(d.add("k", std::string(dictionary::metadata_capacity - 3, 'x')).ok());
  EXPECT_TRUE(d.to_bytes(dictionary::metadata_capacity).ok());
  ASSERT_TRUE(d.add("z", "").ok());
  EXPECT_FALSE(d.to_bytes(dictionary::metadata_capacity).ok());
  // Escapes count twice.
  dictionary e;
  ASSERT_TRUE(e.add("k", std::string(600, '=')).ok());
  EXPECT_FALSE(e.to_bytes(dictionary::metadata_capacity).ok());
}

TEST(Dictionary, BadKeysRejected) {
  dictionary d;
  EXPECT_FALSE(d.add("", "v").ok());
  EXPECT_FALSE(d.add("a=b", "v").ok());
  EXPECT_FALSE(d.add("a\nb", "v").ok());
  EXPECT_FALSE(d.add("a\rb", "v").ok());
  EXPECT_FALSE(d.add(std::string_view("a\0b", 3), "v").ok());
  EXPECT_TRUE(d.empty());
}

TEST(Dictionary, QuirksOf114) {
  // A '\' at the end of a line is dropped; lines without '=' are ignored; empty lines too.
  auto d = dictionary::parse(bytes_of("a=x\\\n\n\nnoequals\nb=\\q\n"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->entries().size(), 2u);
  EXPECT_EQ(ztkit::to_hex(*d->get("a")), "78");
  EXPECT_EQ(ztkit::to_hex(*d->get("b")), "71");
  // Negative int64 writes '-' + 16 digits; getI reads it back.
  dictionary n;
  ASSERT_TRUE(n.add_i64("x", -5).ok());
  auto nb = dictionary::parse(*n.to_bytes());
  ASSERT_TRUE(nb.ok());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(nb->get("x")->data()), nb->get("x")->size()),
            "-0000000000000005");
  EXPECT_EQ(nb->get_i64("x"), -5);
  // get_string stops at max_len-1 and at an embedded NUL.
  auto s = dictionary::parse(bytes_of("n=abc\\0def"));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s->get_string("n", 128), "abc");
  EXPECT_EQ(*s->get_string("n", 3), "ab");
}

TEST(Dictionary, EveryByteValueRoundTrips) {
  std::vector<std::uint8_t> all(256);
  for (int i = 0; i < 256; ++i) all[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i);
  dictionary d;
  ASSERT_TRUE(d.add("B", all).ok());
  ASSERT_TRUE(d.add("C", all).ok());
  auto bytes = d.to_bytes();
  ASSERT_TRUE(bytes.ok());
  auto back = dictionary::parse(*bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, d);
}

}  // namespace
