// The ZeroTier VL1 packet header (ZeroTierOne 1.14 node/Packet.hpp; zerotier-protocol.md §1):
//
//   [0..8)   packet ID = IV (for cipher 3: the first half of the SIV tag on the wire)
//   [8..13)  destination address       [13..18) source address
//   [18]     flags FFCCCHHH: 0x80 legacy "encrypted" (set iff cipher 1), 0x40 fragmented,
//            0x38 cipher suite, 0x07 hop count (the only bits relays change)
//   [19..27) MAC (Poly1305[0..8), second half of the SIV tag, or trusted-path ID)
//   [27]     verb: low 5 bits verb, 0x80 = payload after the verb byte is LZ4-compressed
//   [28..)   verb payload
//
// `packet_view` is a view over the bytes, length-checked once when it is made (>= 28 bytes);
// its accessors cannot read out of bounds. `packet_header` is the plain value of the 28 header
// bytes with parse/emit/buffer_len. Nothing here allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>

#include "engine/base/result.h"
#include "engine/base/zt_address.h"
#include "engine/wire/bytes.h"

namespace ztkit::wire {

// ---- Sizes and versions (§1.2) ----------------------------------------------------------------

inline constexpr std::size_t packet_min_length = 28;             // ZT_PROTO_MIN_PACKET_LENGTH
inline constexpr std::size_t min_fragment_length = 16;           // ZT_PROTO_MIN_FRAGMENT_LENGTH (fragment.h has the rest)
inline constexpr std::size_t packet_max_length = 10024;          // ZT_PROTO_MAX_PACKET_LENGTH
inline constexpr std::size_t default_phys_mtu = 1432;            // ZT_DEFAULT_PHYSMTU
inline constexpr std::size_t max_packet_fragments = 7;           // ZT_MAX_PACKET_FRAGMENTS
inline constexpr std::size_t max_sendable_packet_length = 9928;  // 1432 + 6 * 1416
inline constexpr std::uint8_t protocol_version = 12;             // ZT_PROTO_VERSION
inline constexpr std::uint8_t protocol_version_min = 4;          // ZT_PROTO_VERSION_MIN
// Protocol version from which a peer speaks AES-GMAC-SIV (Peer::aesKeysIfSupported).
inline constexpr std::uint8_t protocol_version_aes = 12;
inline constexpr std::uint8_t max_hops = 7;                      // ZT_PROTO_MAX_HOPS
inline constexpr std::uint8_t relay_max_hops = 3;                // ZT_RELAY_MAX_HOPS
inline constexpr std::uint16_t default_port = 9993;              // ZT_DEFAULT_PORT
inline constexpr std::uint8_t software_major = 1;                // what we announce (version.h)
inline constexpr std::uint8_t software_minor = 14;
inline constexpr std::uint16_t software_revision = 1;

// ---- Byte offsets (ZT_PACKET_IDX_*) -------------------------------------------------------------

inline constexpr std::size_t packet_idx_id = 0;
inline constexpr std::size_t packet_idx_dest = 8;
inline constexpr std::size_t packet_idx_source = 13;
inline constexpr std::size_t packet_idx_flags = 18;
inline constexpr std::size_t packet_idx_mac = 19;
inline constexpr std::size_t packet_idx_verb = 27;
inline constexpr std::size_t packet_idx_payload = 28;

// ---- Flag bits ---------------------------------------------------------------------------------

inline constexpr std::uint8_t flag_encrypted_legacy = 0x80;  // set iff cipher == 1 (setCipher)
inline constexpr std::uint8_t flag_fragmented = 0x40;
inline constexpr std::uint8_t flags_cipher_mask = 0x38;
inline constexpr std::uint8_t flags_hops_mask = 0x07;
inline constexpr std::uint8_t verb_flag_compressed = 0x80;
inline constexpr std::uint8_t verb_mask = 0x1f;

// ---- Cipher suites (§1.5) ----------------------------------------------------------------------

enum class cipher_suite : std::uint8_t {
  poly1305_none = 0,       // clear payload, Poly1305 MAC; HELLO only
  poly1305_salsa2012 = 1,  // Salsa20/12 + Poly1305
  trusted_path = 2,        // no crypto; MAC field = trusted-path ID
  aes_gmac_siv = 3,        // AES-GMAC-SIV
};

std::string_view cipher_suite_name(std::uint8_t suite);  // "NONE", "SALSA2012", ..., "?"

// ---- Verbs (Packet::Verb) ----------------------------------------------------------------------

enum class verb : std::uint8_t {
  nop = 0x00,
  hello = 0x01,
  error = 0x02,
  ok = 0x03,
  whois = 0x04,
  rendezvous = 0x05,
  frame = 0x06,
  ext_frame = 0x07,
  echo = 0x08,
  multicast_like = 0x09,
  network_credentials = 0x0a,
  network_config_request = 0x0b,
  network_config = 0x0c,
  multicast_gather = 0x0d,
  multicast_frame = 0x0e,
  push_direct_paths = 0x10,
  ack = 0x12,
  qos_measurement = 0x13,
  user_message = 0x14,
  remote_trace = 0x15,
  path_negotiation_request = 0x16,
};

// The ZeroTier name ("HELLO", "NETWORK_CONFIG_REQUEST", ...); "UNKNOWN" for unassigned values
// (0x0f, 0x11 and anything above 0x16).
std::string_view verb_name(verb v);
std::string_view verb_name(std::uint8_t v);
// True for the values 1.14 assigns (a packet with another verb is authenticated, then ignored).
bool verb_known(std::uint8_t v);

// ---- ERROR codes (Packet::ErrorCode) -----------------------------------------------------------

enum class error_code : std::uint8_t {
  none = 0x00,
  invalid_request = 0x01,
  bad_protocol_version = 0x02,
  obj_not_found = 0x03,
  identity_collision = 0x04,
  unsupported_operation = 0x05,
  need_membership_certificate = 0x06,
  network_access_denied = 0x07,
  unwanted_multicast = 0x08,
  network_authentication_required = 0x09,
};

std::string_view error_code_name(error_code c);  // "OBJ_NOT_FOUND", ...; "UNKNOWN" otherwise
std::string_view error_code_name(std::uint8_t c);

// ---- The view -----------------------------------------------------------------------------------

// A view over a whole packet (header + verb + payload). Byte is std::uint8_t (mutable: setters
// available) or const std::uint8_t (read-only). Made only through checked(), which verifies the
// one length condition (>= 28 bytes); after that every accessor is in bounds.
template <typename Byte>
class basic_packet_view {
  static_assert(std::is_same_v<std::remove_const_t<Byte>, std::uint8_t>);
  static constexpr bool mutable_bytes = !std::is_const_v<Byte>;

 public:
  static std::optional<basic_packet_view> checked(std::span<Byte> bytes) {
    if (bytes.size() < packet_min_length) return std::nullopt;
    return basic_packet_view(bytes);
  }

  std::span<Byte> bytes() const { return b_; }
  std::size_t size() const { return b_.size(); }

  std::uint64_t packet_id() const { return load_be64(b_.data() + packet_idx_id); }
  zt_address destination() const { return zt_address(load_be_n(b_.data() + packet_idx_dest, 5)); }
  zt_address source() const { return zt_address(load_be_n(b_.data() + packet_idx_source, 5)); }
  std::uint8_t flags() const { return b_[packet_idx_flags]; }
  bool fragmented() const { return (flags() & flag_fragmented) != 0; }
  std::uint8_t cipher() const { return static_cast<std::uint8_t>((flags() & flags_cipher_mask) >> 3); }
  std::uint8_t hops() const { return flags() & flags_hops_mask; }
  // The 8 MAC bytes as they are on the wire; as a number (trusted-path ID) big-endian.
  std::span<Byte, 8> mac() const { return b_.subspan(packet_idx_mac).template first<8>(); }
  std::uint64_t mac_be64() const { return load_be64(b_.data() + packet_idx_mac); }
  std::uint8_t verb_byte() const { return b_[packet_idx_verb]; }
  std::uint8_t verb_value() const { return verb_byte() & verb_mask; }
  wire::verb verb() const { return static_cast<wire::verb>(verb_value()); }
  bool compressed() const { return (verb_byte() & verb_flag_compressed) != 0; }
  // Bytes after the verb byte (may be empty).
  std::span<Byte> payload() const { return b_.subspan(packet_idx_payload); }
  // The verb byte and payload: the part armor encrypts and authenticates.
  std::span<Byte> armored_part() const { return b_.subspan(packet_idx_verb); }

  void set_packet_id(std::uint64_t id) const requires mutable_bytes {
    store_be64(b_.data() + packet_idx_id, id);
  }
  void set_destination(zt_address a) const requires mutable_bytes {
    store_be_n(b_.data() + packet_idx_dest, a.value(), 5);
  }
  void set_source(zt_address a) const requires mutable_bytes {
    store_be_n(b_.data() + packet_idx_source, a.value(), 5);
  }
  void set_flags(std::uint8_t f) const requires mutable_bytes { b_[packet_idx_flags] = f; }
  void set_fragmented(bool on) const requires mutable_bytes {
    set_flags(on ? (flags() | flag_fragmented) : (flags() & ~flag_fragmented));
  }
  // As Packet::setCipher: also sets the legacy 0x80 bit iff suite == 1, clears it otherwise.
  void set_cipher(std::uint8_t suite) const requires mutable_bytes {
    std::uint8_t f = (flags() & 0xc7) | static_cast<std::uint8_t>((suite << 3) & flags_cipher_mask);
    if (suite == static_cast<std::uint8_t>(cipher_suite::poly1305_salsa2012)) f |= flag_encrypted_legacy;
    else f &= static_cast<std::uint8_t>(~flag_encrypted_legacy);
    set_flags(f);
  }
  void set_hops(std::uint8_t h) const requires mutable_bytes {
    set_flags((flags() & ~flags_hops_mask) | (h & flags_hops_mask));
  }
  // As Packet::incrementHops: wraps 7 -> 0 (callers check hops() < relay_max_hops first).
  void increment_hops() const requires mutable_bytes {
    set_flags((flags() & ~flags_hops_mask) | ((flags() + 1) & flags_hops_mask));
  }
  void set_mac_be64(std::uint64_t m) const requires mutable_bytes {
    store_be64(b_.data() + packet_idx_mac, m);
  }
  void set_verb(wire::verb v, bool is_compressed = false) const requires mutable_bytes {
    b_[packet_idx_verb] = static_cast<std::uint8_t>((static_cast<std::uint8_t>(v) & verb_mask) |
                                                    (is_compressed ? verb_flag_compressed : 0));
  }
  void set_compressed(bool on) const requires mutable_bytes {
    b_[packet_idx_verb] = on ? (verb_byte() | verb_flag_compressed)
                             : (verb_byte() & static_cast<std::uint8_t>(~verb_flag_compressed));
  }

 private:
  explicit basic_packet_view(std::span<Byte> b) : b_(b) {}
  std::span<Byte> b_;
};

using packet_view = basic_packet_view<std::uint8_t>;
using const_packet_view = basic_packet_view<const std::uint8_t>;

// ---- The repr ------------------------------------------------------------------------------------

// The 28 header bytes (through the verb byte) as plain values. The legacy 0x80 flag is not a
// field: emit() derives it from `cipher` as Packet::setCipher does, and receivers ignore it.
// The unused verb bits 0x40/0x20 are dropped on parse and sent as 0.
struct packet_header {
  std::uint64_t packet_id = 0;
  zt_address destination;
  zt_address source;
  bool fragmented = false;
  std::uint8_t cipher = 0;  // 0..7
  std::uint8_t hops = 0;    // 0..7
  std::uint64_t mac = 0;    // bytes 19..26 big-endian
  std::uint8_t verb = 0;    // 0..31
  bool compressed = false;

  // Reads the header from a packet of at least 28 bytes (anything shorter is an error).
  static result<packet_header> parse(std::span<const std::uint8_t> packet);
  static packet_header parse(const_packet_view v);
  // Writes buffer_len() bytes; fails the writer if out of room.
  void emit(writer& w) const;
  // Writes into the first 28 bytes of a packet view.
  void emit(packet_view v) const;
  static constexpr std::size_t buffer_len() { return packet_min_length; }

  bool operator==(const packet_header&) const = default;
};

}  // namespace ztkit::wire
