// Armor / dearmor (armor.h). Facts from zerotier-protocol.md §2.2-2.5.
#include "engine/wire/armor.h"

#include <cstring>

#include "engine/crypto/poly1305.h"
#include "engine/crypto/salsa20.h"

namespace ztkit::wire {
namespace {

constexpr std::uint8_t suite_none = static_cast<std::uint8_t>(cipher_suite::poly1305_none);
constexpr std::uint8_t suite_salsa = static_cast<std::uint8_t>(cipher_suite::poly1305_salsa2012);
constexpr std::uint8_t suite_trusted = static_cast<std::uint8_t>(cipher_suite::trusted_path);
constexpr std::uint8_t suite_aes = static_cast<std::uint8_t>(cipher_suite::aes_gmac_siv);

armor_result check_length(std::size_t n) {
  if (n < packet_min_length) return armor_result::too_short;
  if (n > packet_max_length) return armor_result::too_long;
  return armor_result::ok;
}

// Per-packet Salsa20/12 key (Packet::_salsa20MangleKey, §2.2 step 2): the packet ID and both
// addresses, the flags without hops, and the length little-endian select a fresh key space per
// packet, so the MAC binds the header without covering it byte for byte.
//
// Keystream block 0 gives the Poly1305 key (its second half is discarded) and the verb+payload
// use the keystream from block 1 on. Small packets run both through one Salsa call on a stack
// copy ([64 zero bytes][body]), which keeps the SIMD lanes busy instead of paying two
// single-block calls; larger ones compute block 0 alone and XOR the body in place from block 1.
constexpr std::size_t salsa_single_pass_max_body = 448;

struct salsa_packet_key {
  std::uint8_t key[32];
  std::uint8_t poly_key[32];
  // Single pass only: keystream-XORed [zeros][body], i.e. poly key then transformed body.
  std::uint8_t scratch[64 + salsa_single_pass_max_body];
  bool single_pass;

  // `encrypting`: suite 1 (the body goes through the keystream too), not suite 0.
  salsa_packet_key(const std::uint8_t* pkt, std::size_t len, const std::uint8_t* k,
                   bool encrypting) {
    for (std::size_t i = 0; i < 18; ++i) key[i] = k[i] ^ pkt[i];
    key[18] = k[18] ^ (pkt[packet_idx_flags] & static_cast<std::uint8_t>(~flags_hops_mask));
    key[19] = k[19] ^ static_cast<std::uint8_t>(len & 0xff);
    key[20] = k[20] ^ static_cast<std::uint8_t>((len >> 8) & 0xff);
    std::memcpy(key + 21, k + 21, 11);
    const std::size_t body_len = len - packet_idx_verb;
    single_pass = encrypting && body_len <= salsa_single_pass_max_body;
    if (single_pass) {
      std::memset(scratch, 0, 64);
      std::memcpy(scratch + 64, pkt + packet_idx_verb, body_len);
      crypto::salsa2012_xor(scratch, scratch, 64 + body_len, key, pkt + packet_idx_id, 0);
      std::memcpy(poly_key, scratch, 32);
    } else {
      std::memset(poly_key, 0, sizeof(poly_key));
      crypto::salsa2012_xor(poly_key, poly_key, sizeof(poly_key), key, pkt + packet_idx_id, 0);
    }
  }
  // Suite 1: body ^= keystream[64..).
  void crypt_body(const std::uint8_t* pkt, std::uint8_t* body, std::size_t body_len) const {
    if (single_pass) std::memcpy(body, scratch + 64, body_len);
    else crypto::salsa2012_xor(body, body, body_len, key, pkt + packet_idx_id, 1);
  }
  ~salsa_packet_key() {
    crypto::secure_wipe(key, sizeof(key));
    crypto::secure_wipe(poly_key, sizeof(poly_key));
    // The rest of scratch is the body, plain or encrypted, as the packet itself holds it.
    if (single_pass) crypto::secure_wipe(scratch, 64);
  }
  salsa_packet_key(const salsa_packet_key&) = delete;
  salsa_packet_key& operator=(const salsa_packet_key&) = delete;
};

// AES-GMAC-SIV additional data (§2.3 step 2): destination, source, flags with hops cleared,
// zero-padded to one block.
void make_aad(const std::uint8_t* pkt, std::uint8_t aad[16]) {
  std::memcpy(aad, pkt + packet_idx_dest, 11);
  aad[10] &= static_cast<std::uint8_t>(~flags_hops_mask);
  std::memset(aad + 11, 0, 5);
}

}  // namespace

peer_keys::peer_keys(const std::uint8_t key48[48])
    : aes(crypto::aes_gmac_siv_key::from_key48(key48)) {
  std::memcpy(salsa_key.data(), key48, 32);
}

std::string_view to_string(armor_result r) {
  switch (r) {
    case armor_result::ok: return "ok";
    case armor_result::too_short: return "packet too short";
    case armor_result::too_long: return "packet too long";
    case armor_result::bad_mac: return "MAC check failed";
    case armor_result::unknown_cipher: return "unknown cipher suite";
    case armor_result::untrusted_path: return "trusted-path packet on an untrusted path";
  }
  return "?";
}

armor_result armor(std::span<std::uint8_t> packet, const peer_keys& keys, cipher_suite suite) {
  if (const armor_result r = check_length(packet.size()); r != armor_result::ok) return r;
  const std::uint8_t s = static_cast<std::uint8_t>(suite);
  if (s != suite_none && s != suite_salsa && s != suite_aes) return armor_result::unknown_cipher;

  const packet_view v = *packet_view::checked(packet);
  v.set_cipher(s);  // first: the flags byte (minus hops) is part of the key / AAD
  std::uint8_t* const pkt = packet.data();
  std::uint8_t* const body = pkt + packet_idx_verb;
  const std::size_t body_len = packet.size() - packet_idx_verb;

  if (s == suite_aes) {
    std::uint8_t iv[8], aad[16], tag[16];
    std::memcpy(iv, pkt + packet_idx_id, 8);
    make_aad(pkt, aad);
    crypto::gmac_siv_encrypt(keys.aes, iv, aad, body, body_len, tag);
    std::memcpy(pkt + packet_idx_id, tag, 8);
    std::memcpy(pkt + packet_idx_mac, tag + 8, 8);
    return armor_result::ok;
  }

  const salsa_packet_key pk(pkt, packet.size(), keys.salsa_key.data(), s == suite_salsa);
  // Suite 1: the payload is encrypted from keystream block 1 (offset 64).
  if (s == suite_salsa) pk.crypt_body(pkt, body, body_len);
  crypto::poly1305_mac8(pkt + packet_idx_mac, body, body_len, pk.poly_key);
  return armor_result::ok;
}

armor_result armor_trusted_path(std::span<std::uint8_t> packet, std::uint64_t trusted_path_id) {
  if (const armor_result r = check_length(packet.size()); r != armor_result::ok) return r;
  const packet_view v = *packet_view::checked(packet);
  v.set_cipher(suite_trusted);
  v.set_mac_be64(trusted_path_id);
  return armor_result::ok;
}

armor_result dearmor(std::span<std::uint8_t> packet, const peer_keys& keys,
                     std::uint64_t trusted_path_id) {
  if (const armor_result r = check_length(packet.size()); r != armor_result::ok) return r;
  const packet_view v = *packet_view::checked(packet);
  std::uint8_t* const pkt = packet.data();
  std::uint8_t* const body = pkt + packet_idx_verb;
  const std::size_t body_len = packet.size() - packet_idx_verb;

  switch (v.cipher()) {
    case suite_none:
    case suite_salsa: {
      const salsa_packet_key pk(pkt, packet.size(), keys.salsa_key.data(),
                                v.cipher() == suite_salsa);
      // The MAC is over what was sent (ciphertext for suite 1): check it before decrypting.
      if (!crypto::poly1305_verify_mac8(pkt + packet_idx_mac, body, body_len, pk.poly_key)) {
        return armor_result::bad_mac;
      }
      if (v.cipher() == suite_salsa) pk.crypt_body(pkt, body, body_len);
      return armor_result::ok;
    }
    case suite_aes: {
      std::uint8_t tag[16], aad[16];
      std::memcpy(tag, pkt + packet_idx_id, 8);
      std::memcpy(tag + 8, pkt + packet_idx_mac, 8);
      make_aad(pkt, aad);
      return crypto::gmac_siv_decrypt(keys.aes, tag, aad, body, body_len) ? armor_result::ok
                                                                         : armor_result::bad_mac;
    }
    case suite_trusted:
      // Topology::shouldInboundPathBeTrusted: the receiving path must be configured with the
      // same nonzero ID the sender put in the MAC field.
      if (trusted_path_id != 0 && v.mac_be64() == trusted_path_id) return armor_result::ok;
      return armor_result::untrusted_path;
    default:
      return armor_result::unknown_cipher;
  }
}

bool crypt_field(std::span<std::uint8_t> packet, const peer_keys& keys, std::size_t start,
                 std::size_t len) {
  if (packet.size() < 8 || start > packet.size() || len > packet.size() - start) return false;
  std::uint8_t iv[8];
  std::memcpy(iv, packet.data(), 8);
  iv[7] &= 0xf8;  // these bits were still unset when 1.14 called cryptField
  crypto::salsa2012_xor(packet.data() + start, packet.data() + start, len, keys.salsa_key.data(),
                        iv, 0);
  return true;
}

}  // namespace ztkit::wire
