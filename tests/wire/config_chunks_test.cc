// NETWORK_CONFIG_REQUEST payloads, config chunks and their reassembly against netconf.json
// (`chunks_ok`, `chunks_push`, `large_config`) and armor.json (the request case).
#include "engine/wire/config_chunks.h"

#include <algorithm>
#include <random>

#include <gtest/gtest.h>

#include "engine/base/hex.h"
#include "engine/wire/network_config.h"
#include "tests/support/vectors.h"

namespace {

using namespace ztkit::wire;
using ztkit::crypto::identity;
using ztkit::test::hex_bytes;

identity id_from(const nlohmann::json& j) {
  auto id = identity::from_string(j.get<std::string>());
  EXPECT_TRUE(id.ok());
  return id.ok() ? *id : identity{};
}

struct vector_chunk {
  std::vector<std::uint8_t> body;  // chunk body (after OK's in-re fields or the verb)
  const nlohmann::json* j;
};

std::vector<vector_chunk> chunks_of(const nlohmann::json& list) {
  std::vector<vector_chunk> out;
  for (const auto& c : list) {
    const auto pkt = hex_bytes(c["packet_before_compress_and_armor"]);
    const std::size_t off = c["signed_portion_offset_in_packet"];
    out.push_back({std::vector<std::uint8_t>(pkt.begin() + static_cast<std::ptrdiff_t>(off), pkt.end()), &c});
  }
  return out;
}

constexpr std::uint64_t nwid = 0xc7c3aa49cb000042ULL;

TEST(ConfigChunks, VectorChunksParseVerifyAndReemit) {
  ZTKIT_LOAD_VECTORS(v, "netconf.json");
  const identity controller = id_from(v["controller_secret"]);
  const identity member = id_from(v["member_secret"]);
  for (const auto* list : {&v["chunks_ok"], &v["chunks_push"], &v["large_config"]["chunks_ok"]}) {
    for (const auto& vc : chunks_of(*list)) {
      const auto& j = *vc.j;
      auto c = config_chunk::parse(vc.body);
      ASSERT_TRUE(c.ok()) << c.message();
      EXPECT_FALSE(c->legacy);
      EXPECT_EQ(c->network_id, nwid);
      EXPECT_EQ(c->data.size(), j["chunk_length"].get<std::size_t>());
      EXPECT_EQ(c->offset, j["chunk_index"].get<std::uint32_t>());
      EXPECT_EQ(c->total_length, j["total_length"].get<std::uint32_t>());
      EXPECT_EQ(c->update_id, std::stoull(j["config_update_id"].get<std::string>(), nullptr, 16));
      EXPECT_EQ(c->signing_bytes().size(), j["signed_portion_length"].get<std::size_t>());
      EXPECT_EQ(c->verify(controller), j["signature_verifies_with_controller_key"].get<bool>());
      EXPECT_FALSE(c->verify(member));
      EXPECT_EQ(c->to_bytes(), vc.body);
    }
  }
}

TEST(ConfigChunks, SplitReproducesControllerChunks) {
  ZTKIT_LOAD_VECTORS(v, "netconf.json");
  const identity controller = id_from(v["controller_secret"]);
  struct { const nlohmann::json* dict; const nlohmann::json* chunks; } cases[] = {
      {&v["dictionary_hex"], &v["chunks_ok"]},
      {&v["dictionary_hex"], &v["chunks_push"]},
      {&v["large_config"]["dictionary_hex"], &v["large_config"]["chunks_ok"]},
  };
  for (const auto& k : cases) {
    const auto vcs = chunks_of(*k.chunks);
    const auto upd = std::stoull((*k.chunks)[0]["config_update_id"].get<std::string>(), nullptr, 16);
    auto split = config_chunk::split(hex_bytes(*k.dict), nwid, upd, controller);
    ASSERT_TRUE(split.ok());
    ASSERT_EQ(split->size(), vcs.size());
    for (std::size_t i = 0; i < vcs.size(); ++i) EXPECT_EQ((*split)[i].to_bytes(), vcs[i].body) << i;
  }
}

TEST(ConfigChunks, ReassemblyInAnyOrderWithDuplicates) {
  ZTKIT_LOAD_VECTORS(v, "netconf.json");
  const identity controller = id_from(v["controller_secret"]);
  const auto dict = hex_bytes(v["large_config"]["dictionary_hex"]);
  std::vector<config_chunk> chunks;
  for (const auto& vc : chunks_of(v["large_config"]["chunks_ok"]))
    chunks.push_back(config_chunk::parse(vc.body).value());
  std::vector<std::size_t> order = {0, 1, 2};
  do {
    config_assembler a(nwid, controller);
    std::optional<config_assembler::completed> done;
    for (std::size_t k = 0; k < order.size(); ++k) {
      auto r = a.add(chunks[order[k]], controller.address(), 1);
      ASSERT_TRUE(r.ok()) << r.message();
      if (k + 1 < order.size()) {
        EXPECT_FALSE(r->has_value());
        auto dup = a.add(chunks[order[k]], controller.address(), 1);  // duplicate: ignored
        ASSERT_TRUE(dup.ok());
        EXPECT_FALSE(dup->has_value());
      } else {
        done = *r;
      }
    }
    ASSERT_TRUE(done.has_value());
    EXPECT_EQ(done->dictionary, dict);
    EXPECT_EQ(done->update_id, 0x0fedcba987654321ULL);
    auto nc = network_config::parse(done->dictionary);
    ASSERT_TRUE(nc.ok());
    EXPECT_EQ(nc->rules.size(), 1004u);
  } while (std::next_permutation(order.begin(), order.end()));
}

TEST(ConfigChunks, SingleChunkOkAndPush) {
  ZTKIT_LOAD_VECTORS(v, "netconf.json");
  const identity controller = id_from(v["controller_secret"]);
  const auto dict = hex_bytes(v["dictionary_hex"]);
  for (const auto* list : {&v["chunks_ok"], &v["chunks_push"]}) {
    config_assembler a(nwid, controller);
    // Relayed pushes come from any member: the signature is what counts.
    auto r = a.add(config_chunk::parse(chunks_of(*list)[0].body).value(), ztkit::zt_address(0x1111111111), 5);
    ASSERT_TRUE(r.ok()) << r.message();
    ASSERT_TRUE(r->has_value());
    EXPECT_EQ((*r)->dictionary, dict);
  }
}

TEST(ConfigChunks, TamperedAndForeignChunksRejected) {
  ZTKIT_LOAD_VECTORS(v, "netconf.json");
  const identity controller = id_from(v["controller_secret"]);
  const identity member = id_from(v["member_secret"]);
  const auto body = chunks_of(v["chunks_ok"])[0].body;
  // Any flipped byte in the signed part or the signature: parse error or verification failure.
  for (std::size_t i = 0; i < body.size(); i += 7) {
    auto t = body;
    t[i] ^= 0x20;
    auto c = config_chunk::parse(t);
    if (!c.ok()) continue;
    config_assembler a(nwid, controller);
    auto r = a.add(*c, controller.address(), 1);
    EXPECT_TRUE(!r.ok() || !r->has_value()) << i;
  }
  // Signed by someone else.
  auto c = config_chunk::parse(body).value();
  ASSERT_TRUE(c.sign(member).ok());
  config_assembler a(nwid, controller);
  EXPECT_FALSE(a.add(c, controller.address(), 1).ok());
  // Another network.
  config_assembler b(nwid + 1, controller);
  EXPECT_FALSE(b.add(config_chunk::parse(body).value(), controller.address(), 1).ok());
}

TEST(ConfigChunks, TruncationAndBounds) {
  ZTKIT_LOAD_VECTORS(v, "netconf.json");
  const auto body = chunks_of(v["chunks_ok"])[0].body;
  const std::size_t n = v["chunks_ok"][0]["chunk_length"];
  for (std::size_t len = 0; len < body.size(); ++len) {
    auto c = config_chunk::parse(std::span<const std::uint8_t>(body.data(), len));
    if (len == 10 + n) {
      ASSERT_TRUE(c.ok());  // legacy form: ends right after the data
      EXPECT_TRUE(c->legacy);
    } else {
      EXPECT_FALSE(c.ok()) << len;
    }
  }
  // offset + n > total.
  auto bad = body;
  store_be32(bad.data() + 10 + n + 1 + 8 + 4, 1);
  EXPECT_FALSE(config_chunk::parse(bad).ok());
  // total >= capacity.
  bad = body;
  store_be32(bad.data() + 10 + n + 1 + 8, static_cast<std::uint32_t>(dictionary::netconf_capacity));
  EXPECT_FALSE(config_chunk::parse(bad).ok());
  // Signature type / length.
  bad = body;
  bad[10 + n + 17] = 2;
  EXPECT_FALSE(config_chunk::parse(bad).ok());
  bad = body;
  store_be16(bad.data() + 10 + n + 18, 95);
  EXPECT_FALSE(config_chunk::parse(bad).ok());
}

TEST(ConfigChunks, LegacyOnlyFromController) {
  ZTKIT_LOAD_VECTORS(v, "netconf.json");
  const identity controller = id_from(v["controller_secret"]);
  const auto dict = hex_bytes(v["dictionary_hex"]);
  config_chunk c;
  c.network_id = nwid;
  c.data = dict;
  c.legacy = true;
  auto parsed = config_chunk::parse(c.to_bytes());
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->legacy);
  config_assembler a(nwid, controller);
  EXPECT_FALSE(a.add(*parsed, ztkit::zt_address(0x1111111111), 9).ok());
  auto r = a.add(*parsed, controller.address(), 9);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->dictionary, dict);
}

TEST(ConfigChunks, ThreeUpdatesAtATimeOldestEvicted) {
  ZTKIT_LOAD_VECTORS(v, "netconf.json");
  const identity controller = id_from(v["controller_secret"]);
  const auto dict = hex_bytes(v["large_config"]["dictionary_hex"]);
  config_assembler a(nwid, controller);
  // Start 4 updates with their first chunk; the first one's slot is reused by the fourth.
  std::vector<std::vector<config_chunk>> ups;
  for (std::uint64_t u = 1; u <= 4; ++u) {
    ups.push_back(config_chunk::split(dict, nwid, u, controller).value());
    ASSERT_TRUE(a.add(ups.back()[0], controller.address(), 0).ok());
  }
  // Update 1 lost its first chunk: finishing it never completes.
  for (std::size_t i = 1; i < ups[0].size(); ++i) {
    auto r = a.add(ups[0][i], controller.address(), 0);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->has_value());
  }
  // Update 4 completes.
  std::optional<config_assembler::completed> done;
  for (std::size_t i = 1; i < ups[3].size(); ++i) done = a.add(ups[3][i], controller.address(), 0).value();
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->dictionary, dict);
}

std::vector<std::uint8_t> request_payload_from_armor(const nlohmann::json& armor) {
  for (const auto& c : armor["cases"]) {
    const std::string note = c.value("note", "");
    const auto at = note.find("uncompressed form: ");
    if (c["name"].get<std::string>().find("NETWORK_CONFIG_REQUEST") == std::string::npos || at == std::string::npos) continue;
    std::string hex;
    for (std::size_t i = at + 19; i < note.size() && std::isxdigit(static_cast<unsigned char>(note[i])); ++i) hex.push_back(note[i]);
    auto b = ztkit::from_hex(hex);
    if (b && b->size() > 28) return std::vector<std::uint8_t>(b->begin() + 28, b->end());
  }
  return {};
}

TEST(ConfigRequest, ArmorVectorPayload) {
  ZTKIT_LOAD_VECTORS(armor, "armor.json");
  const auto payload = request_payload_from_armor(armor);
  ASSERT_FALSE(payload.empty());
  auto q = config_request::parse(payload);
  ASSERT_TRUE(q.ok()) << q.message();
  EXPECT_EQ(q->network_id, 0xa35cc3ba44000001ULL);
  EXPECT_EQ(q->metadata, config_request::default_metadata("linux/x86_64"));
  EXPECT_EQ(q->metadata.get_u64("v"), 7u);
  EXPECT_EQ(q->revision, 0u);
  EXPECT_EQ(q->timestamp, 0u);
  EXPECT_EQ(q->to_bytes(), payload);
  for (std::size_t n = 0; n < 10; ++n)
    EXPECT_FALSE(config_request::parse(std::span<const std::uint8_t>(payload.data(), n)).ok());
  // Without revision/timestamp (older senders) it still parses.
  auto short_q = config_request::parse(std::span<const std::uint8_t>(payload.data(), payload.size() - 16));
  ASSERT_TRUE(short_q.ok());
  EXPECT_EQ(short_q->metadata, q->metadata);
}

}  // namespace
