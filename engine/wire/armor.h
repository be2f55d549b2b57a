// Armor and dearmor of a whole ZeroTier packet, in place (ZeroTierOne 1.14 Packet::armor,
// Packet::dearmor, Packet::cryptField; zerotier-protocol.md §1.5, §2).
//
//   suite 0  clear payload, 8-byte Poly1305 MAC (HELLO only)
//   suite 1  Salsa20/12 + Poly1305: per-packet key = K48[0..32) mangled with bytes 0..17, the
//            flags byte without hops and the packet length (little-endian); keystream block 0
//            gives the Poly1305 key, the verb+payload are XORed from keystream offset 64; the
//            MAC covers the ciphertext
//   suite 2  trusted path: no crypto, MAC field = the trusted-path ID (big-endian)
//   suite 3  AES-GMAC-SIV (engine/crypto/aes_gmac_siv.h); AAD = bytes 8..18 with hops cleared
//            + 5 zero bytes; the 16-byte tag replaces bytes 0..7 and 19..26
//
// The hop bits (flags & 7) are excluded everywhere, so relayed packets verify. armor() and
// dearmor() allocate nothing and make no system calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "engine/crypto/aes_gmac_siv.h"
#include "engine/crypto/c25519.h"
#include "engine/crypto/secure.h"
#include "engine/wire/packet.h"

namespace ztkit::wire {

// A peer's symmetric key material, derived once when the peer's key is agreed (Peer::Peer) and
// then used read-only, from any thread. Neither copyable nor movable (key material stays put;
// hold it by pointer or in place). Wiped on destruction.
struct peer_keys {
  explicit peer_keys(const std::uint8_t key48[48]);
  explicit peer_keys(const crypto::agreed_key& key48) : peer_keys(key48.data()) {}
  peer_keys(const peer_keys&) = delete;
  peer_keys& operator=(const peer_keys&) = delete;

  crypto::secret_bytes<32> salsa_key;  // K48[0..32): Salsa20/12 + Poly1305 (suites 0, 1, cryptField)
  crypto::aes_gmac_siv_key aes;        // K0/K1 by KBKDF from K48 (suite 3)
};

enum class armor_result : std::uint8_t {
  ok,
  too_short,       // fewer than 28 bytes
  too_long,        // more than packet_max_length (10024) bytes
  bad_mac,         // MAC / tag does not verify (tampered, wrong key)
  unknown_cipher,  // suites 4..7, or suite 2 asked of armor()
  untrusted_path,  // suite 2 received on a path not trusted with the packet's ID
};

std::string_view to_string(armor_result r);

// Which suite 1.14 sends with (Peer::aesKeysIfSupported + Packet::armor): AES-GMAC-SIV to a
// peer whose last announced protocol version is >= 12 when encrypting, Salsa20/12 + Poly1305
// when encrypting to an older or not yet known (0) peer, suite 0 when not encrypting (HELLO).
constexpr cipher_suite choose_cipher(std::uint8_t peer_protocol_version, bool encrypt) {
  if (!encrypt) return cipher_suite::poly1305_none;
  return peer_protocol_version >= protocol_version_aes ? cipher_suite::aes_gmac_siv
                                                       : cipher_suite::poly1305_salsa2012;
}

// Armors the whole packet (header + verb + payload, compressed already if at all) in place
// with suite 0, 1 or 3: sets the cipher bits (and the legacy 0x80 flag as setCipher does),
// then encrypts and writes the MAC/tag. The fragmented flag must be set before. For suite 3
// bytes 0..7 (the packet ID, used as the IV) are replaced by the first half of the tag.
// Suite 2 is armor_trusted_path(). Errors: too_short, too_long, unknown_cipher.
[[nodiscard]] armor_result armor(std::span<std::uint8_t> packet, const peer_keys& keys,
                                 cipher_suite suite);

// Marks the packet as sent over a trusted path (Packet::setTrusted): cipher 2, MAC field =
// `trusted_path_id` big-endian, payload left clear.
[[nodiscard]] armor_result armor_trusted_path(std::span<std::uint8_t> packet,
                                              std::uint64_t trusted_path_id);

// Verifies and decrypts the packet in place according to its cipher bits. Suite 2 is accepted
// only if `trusted_path_id` is nonzero (the caller found the packet's source physical address in
// a locally configured trusted network with that ID) and equals the packet's MAC field; pass 0
// when the path is not trusted. On any error except ok the packet must be dropped; its bytes
// are then unspecified (suite 3 decrypts before it can check).
//
// Whether a suite is acceptable for a verb is the caller's rule (IncomingPacket::tryDecode:
// suite 0 only for HELLO); dearmor checks only the cryptography.
[[nodiscard]] armor_result dearmor(std::span<std::uint8_t> packet, const peer_keys& keys,
                                   std::uint64_t trusted_path_id);

// HELLO's cryptField (Packet::cryptField, §2.5): XORs packet[start, start+len) with Salsa20/12
// keystream from offset 0, key = K48[0..32) unmangled, nonce = packet bytes 0..7 with the low 3
// bits of byte 7 cleared. Its own inverse. False (nothing changed) if the range is not inside
// the packet or the packet is shorter than 8 bytes.
[[nodiscard]] bool crypt_field(std::span<std::uint8_t> packet, const peer_keys& keys,
                               std::size_t start, std::size_t len);

}  // namespace ztkit::wire
