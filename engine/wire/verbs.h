// Payload reprs for every ZeroTier verb ztkit speaks, except NETWORK_CONFIG_REQUEST and
// NETWORK_CONFIG (netconf.h). The payload is what follows the verb byte (packet byte 28..),
// after dearmor and LZ4. Field layouts: zerotier-protocol.md §3 (ZeroTierOne 1.14.1
// node/Packet.hpp verb comments, IncomingPacket.cpp handlers).
//
// Every repr has
//   static result<T> parse(reader& r);   // reads the payload's fields; r may hold more bytes
//   void emit(writer& w) const;          // the exact inverse: parse(emit(x)) == x
//   std::size_t buffer_len() const;      // bytes emit() writes
// parse_payload<T>(payload) parses a whole payload and reports how many bytes were left over
// (left_over == 0: exact). Reprs whose last field is "the rest" (frame data, echo data) always
// consume everything. Counts read off the wire never size an allocation beyond what the
// remaining bytes can hold.
//
// Byte fields are `bytes_ref` and lists are `wire_list` (wire_list.h): both point into the
// parsed buffer (buffers are lent, not copied), so a parsed repr must not outlive its buffer,
// and parse() allocates nothing (issue 4). A list parsed off the wire is checked whole by
// parse(), then decoded element by element as it is iterated; to emit, a list refers to
// elements the caller owns (an array, a vector). Credentials (COM, capabilities, tags,
// revocations, certificates of ownership) are kept as raw bytes; com.h interprets COMs.
//
//   files: verbs_hello.cc (HELLO), verbs_ok_error.cc (OK, ERROR), verbs_frame.cc (FRAME,
//   EXT_FRAME), verbs_multicast.cc (MULTICAST_LIKE/GATHER/FRAME), verbs_credentials.cc
//   (NETWORK_CREDENTIALS), verbs_misc.cc (WHOIS, RENDEZVOUS, ECHO, PUSH_DIRECT_PATHS,
//   USER_MESSAGE, REMOTE_TRACE, dispatch).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <type_traits>
#include <variant>
#include <vector>

#include "engine/base/result.h"
#include "engine/base/zt_address.h"
#include "engine/crypto/identity.h"
#include "engine/wire/bytes.h"
#include "engine/wire/com_extent.h"
#include "engine/wire/inet_address.h"
#include "engine/wire/mac.h"
#include "engine/wire/packet.h"
#include "engine/wire/wire_list.h"
#include "engine/wire/world.h"

namespace ztkit::wire {

// Raw bytes inside a parsed payload (borrowed), compared by content.
struct bytes_ref {
  std::span<const std::uint8_t> bytes;

  bytes_ref() = default;
  bytes_ref(std::span<const std::uint8_t> b) : bytes(b) {}  // NOLINT: implicit by design
  // From a contiguous byte container (a vector, an array) that outlives the repr.
  template <typename R>
    requires(std::is_convertible_v<const R&, std::span<const std::uint8_t>> &&
             !std::is_same_v<R, std::span<const std::uint8_t>>)
  bytes_ref(const R& r) : bytes(r) {}  // NOLINT: implicit by design
  std::size_t size() const { return bytes.size(); }
  bool empty() const { return bytes.empty(); }
  bool operator==(const bytes_ref& o) const { return std::ranges::equal(bytes, o.bytes); }
};

// Up to N bytes held in place, compared by content: for small byte fields a repr may build
// itself (a PUSH_DIRECT_PATHS address made from an inet_address), so that needs no buffer.
// Bytes beyond N are dropped (N is the most the field's length byte can say).
template <std::size_t N>
class inline_bytes {
  static_assert(N <= 255, "the length is kept in one byte");

 public:
  inline_bytes() = default;
  inline_bytes(std::span<const std::uint8_t> b) { assign(b); }  // NOLINT: implicit by design
  inline_bytes(std::initializer_list<std::uint8_t> b)
      : inline_bytes(std::span<const std::uint8_t>(b.begin(), b.size())) {}
  template <typename R>
    requires(std::is_convertible_v<const R&, std::span<const std::uint8_t>> &&
             !std::is_same_v<R, std::span<const std::uint8_t>>)
  inline_bytes(const R& r)  // NOLINT: implicit by design
      : inline_bytes(std::span<const std::uint8_t>(r)) {}

  void assign(std::span<const std::uint8_t> b) {
    n_ = static_cast<std::uint8_t>(std::min(b.size(), N));
    std::copy_n(b.begin(), n_, b_.begin());
  }
  std::size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  const std::uint8_t* data() const { return b_.data(); }
  const std::uint8_t* begin() const { return b_.data(); }
  const std::uint8_t* end() const { return b_.data() + n_; }
  std::uint8_t operator[](std::size_t i) const { return b_[i]; }
  std::span<const std::uint8_t> bytes() const { return {b_.data(), n_}; }
  operator std::span<const std::uint8_t>() const { return bytes(); }  // NOLINT: implicit
  bool operator==(const inline_bytes& o) const { return std::ranges::equal(bytes(), o.bytes()); }

 private:
  std::array<std::uint8_t, N> b_{};
  std::uint8_t n_ = 0;
};

// ---- List element codecs (wire_list.h) shared by several verbs -----------------------------------

// [5 address]
struct zt_address_codec {
  static constexpr std::size_t min_len = 5;
  static constexpr bool fixed = true;
  static void skip(reader& r) { r.skip(min_len); }
  static zt_address read(reader& r) { return zt_address(r.be40()); }
  static void write(writer& w, const zt_address& a) { w.be40(a.value()); }
  static std::size_t wire_len(const zt_address&) { return min_len; }
};
using address_list = wire_list<zt_address, zt_address_codec>;

// A public binary identity: [5 address][1 type 0][64 public key][1 private length 0]. One
// with a private key (or any other malformed one) fails the list.
struct identity_codec {
  static constexpr std::size_t min_len = crypto::identity::public_binary_bytes;
  static constexpr bool fixed = true;  // private keys are refused, so always 71 bytes
  static void skip(reader& r) { (void)read_identity(r); }
  static crypto::identity read(reader& r) { return read_identity(r).value(); }
  static void write(writer& w, const crypto::identity& id) {
    w.be40(id.address().value());
    w.u8(0);
    w.bytes(id.public_key().bytes);
    w.u8(0);
  }
  static std::size_t wire_len(const crypto::identity&) { return min_len; }
};
using identity_list = wire_list<crypto::identity, identity_codec>;

// A credential kept as raw bytes; `Extent` finds where it ends (and fails r if malformed).
template <std::span<const std::uint8_t> (*Extent)(reader&), std::size_t MinLen>
struct credential_codec {
  static constexpr std::size_t min_len = MinLen;  // the smallest encoding, to bound counts
  static constexpr bool fixed = false;
  static void skip(reader& r) { (void)Extent(r); }
  static bytes_ref read(reader& r) { return bytes_ref(Extent(r)); }
  static void write(writer& w, const bytes_ref& b) { w.bytes(b.bytes); }
  static std::size_t wire_len(const bytes_ref& b) { return b.size(); }
};
// [1 = 0x01][2 q][q x 24][5 signer][96 signature if signer != 0] (com_extent.h)
using com_list = wire_list<bytes_ref, credential_codec<read_com_bytes, 1 + 2 + 5>>;

template <typename T>
struct parsed {
  T value;
  std::size_t left_over = 0;  // bytes after the repr's last field
  bool exact() const { return left_over == 0; }
};

template <typename T>
result<parsed<T>> parse_payload(std::span<const std::uint8_t> payload) {
  reader r(payload);
  auto v = T::parse(r);
  if (!v.ok()) return error{v.code(), v.message()};
  return parsed<T>{std::move(v).value(), r.remaining()};
}

// emit() into a fresh buffer of buffer_len() bytes.
template <typename T>
std::vector<std::uint8_t> emit_payload(const T& x) {
  std::vector<std::uint8_t> out(x.buffer_len());
  writer w(out);
  x.emit(w);
  out.resize(w.size());
  return out;
}

// ---- HELLO (0x01) -------------------------------------------------------------------------------

// [1 proto][1 major][1 minor][2 rev][8 timestamp][identity][InetAddress sent to]
// [8 planet id][8 planet timestamp] | masked by cryptField: [2 n][n x (1 type, 8 id, 8 ts)]
// Everything after the identity is optional (older senders stop early); emit() writes up to
// the last present field (a missing earlier field is written as nil / zeros).
// parse() expects the masked part already unmasked (Packet::cryptField, armor.h).
struct hello_payload {
  struct planet_ref {
    std::uint64_t id = 0;
    std::uint64_t timestamp = 0;
    bool operator==(const planet_ref&) const = default;
  };
  struct moon_ref {
    std::uint8_t type = static_cast<std::uint8_t>(world::type::moon);  // 1.14 ignores others
    std::uint64_t id = 0;
    std::uint64_t timestamp = 0;  // 0: a moon we want but do not have yet
    bool operator==(const moon_ref&) const = default;
  };
  // [1 type][8 id][8 timestamp]
  struct moon_codec {
    static constexpr std::size_t min_len = 1 + 8 + 8;
    static constexpr bool fixed = true;
    static void skip(reader& r) { r.skip(min_len); }
    static moon_ref read(reader& r) {
      moon_ref m;
      m.type = r.u8();
      m.id = r.be64();
      m.timestamp = r.be64();
      return m;
    }
    static void write(writer& w, const moon_ref& m) {
      w.u8(m.type);
      w.be64(m.id);
      w.be64(m.timestamp);
    }
    static std::size_t wire_len(const moon_ref&) { return min_len; }
  };
  using moon_list = wire_list<moon_ref, moon_codec>;

  std::uint8_t protocol_version = 0;
  std::uint8_t major = 0, minor = 0;
  std::uint16_t revision = 0;
  std::uint64_t timestamp = 0;
  crypto::identity identity;                   // public only
  std::optional<inet_address> destination;     // physical address sent to; nil via relay
  std::optional<planet_ref> planet;
  std::optional<moon_list> moons;              // the cryptField-masked part

  static result<hello_payload> parse(reader& r);
  void emit(writer& w) const;
  std::size_t buffer_len() const;

  // Payload offset where the masked part (moon count) starts: the end of the planet fields.
  std::size_t masked_offset() const;
  // The same, read from a payload (only the clear part is parsed).
  static result<std::size_t> masked_offset(std::span<const std::uint8_t> payload);

  bool operator==(const hello_payload&) const = default;
};

// ---- OK (0x03) payloads, after [1 in-re verb][8 in-re packet id] ---------------------------------

// OK(HELLO): [8 echoed timestamp][1 proto][1 major][1 minor][2 rev][InetAddress]
// [2 W][W bytes of serialized worlds]. The address and world block are optional.
struct ok_hello {
  std::uint64_t timestamp = 0;
  std::uint8_t protocol_version = 0;
  std::uint8_t major = 0, minor = 0;
  std::uint16_t revision = 0;
  std::optional<inet_address> external_address;  // how the responder saw us
  std::optional<bytes_ref> world_updates;       // W bytes: planet and/or moons

  // Parses the world block (empty if absent); fails if any world in it is malformed.
  result<std::vector<world>> worlds() const;

  static result<ok_hello> parse(reader& r);
  void emit(writer& w) const;
  std::size_t buffer_len() const;
  bool operator==(const ok_hello&) const = default;
};

// OK(WHOIS): one or more binary identities (1.14 reads only the first).
struct ok_whois {
  identity_list identities;

  static result<ok_whois> parse(reader& r);
  void emit(writer& w) const;
  std::size_t buffer_len() const;
  bool operator==(const ok_whois&) const = default;
};

// OK(ECHO): a copy of the ECHO payload (also the in-re verb of NETWORK_CONFIG acks, §5.2).
struct ok_echo {
  bytes_ref data;

  static result<ok_echo> parse(reader& r);
  void emit(writer& w) const { w.bytes(data.bytes); }
  std::size_t buffer_len() const { return data.size(); }
  bool operator==(const ok_echo&) const = default;
};

// OK(EXT_FRAME) (ACK flag): [8 nwid].
struct ok_ext_frame {
  std::uint64_t network_id = 0;

  static result<ok_ext_frame> parse(reader& r);
  void emit(writer& w) const { w.be64(network_id); }
  std::size_t buffer_len() const { return 8; }
  bool operator==(const ok_ext_frame&) const = default;
};

// OK(MULTICAST_GATHER): [8 nwid][6 MAC][4 ADI][4 total known][2 n][n x 5 address].
struct ok_multicast_gather {
  std::uint64_t network_id = 0;
  multicast_group group;
  std::uint32_t total_known = 0;
  address_list members;

  static result<ok_multicast_gather> parse(reader& r);
  void emit(writer& w) const;
  std::size_t buffer_len() const { return 8 + 10 + 4 + 2 + members.buffer_len(); }
  bool operator==(const ok_multicast_gather&) const = default;
};

// OK(MULTICAST_FRAME): [8 nwid][6 MAC][4 ADI][1 flags][COM if 0x01]
// [4 total known][2 n][n x 5 address] if 0x02. The flags byte drives which parts exist.
struct ok_multicast_frame {
  static constexpr std::uint8_t flag_com = 0x01;
  static constexpr std::uint8_t flag_gather_results = 0x02;

  std::uint64_t network_id = 0;
  multicast_group group;
  std::uint8_t flags = flag_gather_results;
  bytes_ref com;                    // iff flags & 0x01
  std::uint32_t total_known = 0;    // iff flags & 0x02
  address_list members;             // iff flags & 0x02

  static result<ok_multicast_frame> parse(reader& r);
  void emit(writer& w) const;
  std::size_t buffer_len() const;
  bool operator==(const ok_multicast_frame&) const = default;
};

// An OK for another in-re verb (NETWORK_CONFIG_REQUEST chunks belong to netconf.h): raw.
struct ok_other {
  bytes_ref data;

  static result<ok_other> parse(reader& r);
  void emit(writer& w) const { w.bytes(data.bytes); }
  std::size_t buffer_len() const { return data.size(); }
  bool operator==(const ok_other&) const = default;
};

// [1 in-re verb][8 in-re packet id][body]; the body type follows the in-re verb (HELLO,
// WHOIS, ECHO, EXT_FRAME, MULTICAST_GATHER, MULTICAST_FRAME; anything else is ok_other).
struct ok_payload {
  using body_type = std::variant<ok_hello, ok_whois, ok_echo, ok_ext_frame, ok_multicast_gather,
                                 ok_multicast_frame, ok_other>;
  std::uint8_t in_re_verb = 0;
  std::uint64_t in_re_packet_id = 0;
  body_type body;

  static result<ok_payload> parse(reader& r);
  void emit(writer& w) const;
  std::size_t buffer_len() const;
  bool operator==(const ok_payload&) const = default;
};

// ---- ERROR (0x02) -------------------------------------------------------------------------------

// [1 in-re verb][8 in-re packet id][1 code][code-specific payload]:
//   NEED_MEMBERSHIP_CERTIFICATE, NETWORK_ACCESS_DENIED: [8 nwid]
//   OBJ_NOT_FOUND, UNSUPPORTED_OPERATION in-re NETWORK_CONFIG_REQUEST: [8 nwid]
//   UNWANTED_MULTICAST: [8 nwid][6 MAC][4 ADI]
//   NETWORK_AUTHENTICATION_REQUIRED: [8 nwid] then optionally [2 len][dictionary]
// Other codes carry nothing 1.14 reads; any bytes after the defined fields are left over.
struct error_payload {
  std::uint8_t in_re_verb = 0;
  std::uint64_t in_re_packet_id = 0;
  std::uint8_t code = 0;  // error_code; kept raw so unknown codes round-trip
  std::optional<std::uint64_t> network_id;
  std::optional<multicast_group> group;  // UNWANTED_MULTICAST
  std::optional<bytes_ref> auth_info;    // NETWORK_AUTHENTICATION_REQUIRED dictionary

  error_code error() const { return static_cast<error_code>(code); }
  // Whether `code` (in reply to `in_re`) carries a network id.
  static bool has_network_id(std::uint8_t code, std::uint8_t in_re);

  static result<error_payload> parse(reader& r);
  void emit(writer& w) const;
  std::size_t buffer_len() const;
  bool operator==(const error_payload&) const = default;
};

// ---- WHOIS (0x04), RENDEZVOUS (0x05) ------------------------------------------------------------

// [5 address]... (1.14 sends one). At least one; a partial trailing address is left over.
struct whois_payload {
  address_list addresses;

  static result<whois_payload> parse(reader& r);
  void emit(writer& w) const { addresses.emit(w); }
  std::size_t buffer_len() const { return addresses.buffer_len(); }
  bool operator==(const whois_payload&) const = default;
};

// [1 flags][5 address][2 port][1 addr len 4|16][addr]
struct rendezvous_payload {
  std::uint8_t flags = 0;
  zt_address with;
  inet_address address;  // IPv4 or IPv6 with the port

  static result<rendezvous_payload> parse(reader& r);
  void emit(writer& w) const;
  std::size_t buffer_len() const;
  bool operator==(const rendezvous_payload&) const = default;
};

// ---- FRAME (0x06), EXT_FRAME (0x07) -------------------------------------------------------------

// [8 nwid][2 ethertype][Ethernet payload]; MACs are implicit (MAC(sender), MAC(receiver)).
struct frame_payload {
  std::uint64_t network_id = 0;
  std::uint16_t ethertype = 0;
  bytes_ref data;

  static result<frame_payload> parse(reader& r);
  void emit(writer& w) const;
  std::size_t buffer_len() const { return 10 + data.size(); }
  bool operator==(const frame_payload&) const = default;
};

// [8 nwid][1 flags][COM if 0x01][6 dest MAC][6 source MAC][2 ethertype][payload]
struct ext_frame_payload {
  static constexpr std::uint8_t flag_com = 0x01;
  static constexpr std::uint8_t flag_ack = 0x10;
  enum class subtype : std::uint8_t {  // (flags >> 1) & 7
    normal = 0, tee_outbound, redirect_outbound, watch_outbound, tee_inbound, redirect_inbound,
    watch_inbound,
  };

  std::uint64_t network_id = 0;
  std::uint8_t flags = 0;
  bytes_ref com;  // iff flags & 0x01
  mac_address dest;
  mac_address source;
  std::uint16_t ethertype = 0;
  bytes_ref data;

  subtype kind() const { return static_cast<subtype>((flags >> 1) & 7); }
  bool ack_requested() const { return (flags & flag_ack) != 0; }

  static result<ext_frame_payload> parse(reader& r);
  void emit(writer& w) const;
  std::size_t buffer_len() const;
  bool operator==(const ext_frame_payload&) const = default;
};

// ---- ECHO (0x08) --------------------------------------------------------------------------------

struct echo_payload {
  bytes_ref data;  // anything; 1.14 sends none

  static result<echo_payload> parse(reader& r);
  void emit(writer& w) const { w.bytes(data.bytes); }
  std::size_t buffer_len() const { return data.size(); }
  bool operator==(const echo_payload&) const = default;
};

// ---- MULTICAST_LIKE (0x09), MULTICAST_GATHER (0x0d), MULTICAST_FRAME (0x0e) ----------------------

// Repeated [8 nwid][6 MAC][4 ADI]; a partial trailing tuple is left over.
struct multicast_like_payload {
  struct entry {
    std::uint64_t network_id = 0;
    multicast_group group;
    bool operator==(const entry&) const = default;
  };
  // [8 nwid][6 MAC][4 ADI]
  struct entry_codec {
    static constexpr std::size_t min_len = 8 + multicast_group::wire_bytes;
    static constexpr bool fixed = true;
    static void skip(reader& r) { r.skip(min_len); }
    static entry read(reader& r) {
      entry e;
      e.network_id = r.be64();
      e.group = multicast_group::parse(r);
      return e;
    }
    static void write(writer& w, const entry& e) {
      w.be64(e.network_id);
      e.group.emit(w);
    }
    static std::size_t wire_len(const entry&) { return min_len; }
  };
  using entry_list = wire_list<entry, entry_codec>;
  entry_list entries;

  static result<multicast_like_payload> parse(reader& r);
  void emit(writer& w) const { entries.emit(w); }
  std::size_t buffer_len() const { return entries.buffer_len(); }
  bool operator==(const multicast_like_payload&) const = default;
};

// [8 nwid][1 flags: 0x01 COM][6 MAC][4 ADI][4 gather limit][COM if 0x01]
struct multicast_gather_payload {
  static constexpr std::uint8_t flag_com = 0x01;

  std::uint64_t network_id = 0;
  std::uint8_t flags = 0;
  multicast_group group;
  std::uint32_t gather_limit = 0;
  bytes_ref com;  // iff flags & 0x01

  static result<multicast_gather_payload> parse(reader& r);
  void emit(writer& w) const;
  std::size_t buffer_len() const { return 8 + 1 + 10 + 4 + com.size(); }
  bool operator==(const multicast_gather_payload&) const = default;
};

// [8 nwid][1 flags][COM if 0x01][4 gather limit if 0x02][6 source MAC if 0x04]
// [6 dest MAC][4 ADI][2 ethertype][payload]   (the receive order of 1.14; §3)
struct multicast_frame_payload {
  static constexpr std::uint8_t flag_com = 0x01;
  static constexpr std::uint8_t flag_gather_limit = 0x02;
  static constexpr std::uint8_t flag_source_mac = 0x04;
  static constexpr std::uint8_t flag_replicate = 0x08;

  std::uint64_t network_id = 0;
  std::uint8_t flags = 0;
  bytes_ref com;                  // iff flags & 0x01
  std::uint32_t gather_limit = 0;  // iff flags & 0x02
  mac_address source;             // iff flags & 0x04 (else MAC(sender))
  multicast_group dest;
  std::uint16_t ethertype = 0;
  bytes_ref data;

  static result<multicast_frame_payload> parse(reader& r);
  void emit(writer& w) const;
  std::size_t buffer_len() const;
  bool operator==(const multicast_frame_payload&) const = default;
};

// ---- NETWORK_CREDENTIALS (0x0a) -----------------------------------------------------------------

// [COM]...[0x00][2 n][n Capability][2 n][n Tag][2 n][n Revocation][2 n][n CertificateOfOwnership]
// Each credential is kept as raw bytes; its extent is computed from the 1.14 layouts
// (Capability/Tag/Revocation/CertificateOfOwnership::deserialize). Trailing sections may be
// absent (older senders): a section is present iff bytes remained when it was due.
// Credential extents (bytes) at the reader; fail `r` and return an empty span if malformed.
std::span<const std::uint8_t> read_capability_bytes(reader& r);
std::span<const std::uint8_t> read_tag_bytes(reader& r);
std::span<const std::uint8_t> read_revocation_bytes(reader& r);
std::span<const std::uint8_t> read_coo_bytes(reader& r);

struct network_credentials_payload {
  // The smallest encodings, which bound a count before anything is read.
  using capability_list =
      wire_list<bytes_ref, credential_codec<read_capability_bytes, 8 + 8 + 4 + 2 + 1 + 5 + 2>>;
  using tag_list = wire_list<bytes_ref, credential_codec<read_tag_bytes, 34 + 1 + 2 + 2>>;
  using revocation_list =
      wire_list<bytes_ref, credential_codec<read_revocation_bytes, 51 + 1 + 2 + 2>>;
  using coo_list = wire_list<bytes_ref, credential_codec<read_coo_bytes, 30 + 10 + 1 + 2 + 2>>;

  com_list coms;
  bool com_list_terminated = true;  // the 0x00 after the COMs was present
  std::optional<capability_list> capabilities;
  std::optional<tag_list> tags;
  std::optional<revocation_list> revocations;
  std::optional<coo_list> certificates_of_ownership;

  static result<network_credentials_payload> parse(reader& r);
  void emit(writer& w) const;
  std::size_t buffer_len() const;
  bool operator==(const network_credentials_payload&) const = default;
};

// ---- PUSH_DIRECT_PATHS (0x10) -------------------------------------------------------------------

// [2 n] then n x [1 flags][2 ext len][ext][1 addr type][1 addr len][addr]
struct push_direct_paths_payload {
  static constexpr std::uint8_t flag_forget = 0x01;
  static constexpr std::uint8_t flag_cluster_redirect = 0x02;

  struct path {
    std::uint8_t flags = 0;
    bytes_ref extension;              // borrowed, like every byte field
    std::uint8_t address_type = 4;    // 4 or 6 (others are skipped by receivers)
    inline_bytes<255> address;        // 1.14: IP + 2-byte port (6 or 18 bytes); held in place

    // Type 4 with 6 bytes or type 6 with 18 bytes, decoded; nullopt otherwise.
    std::optional<inet_address> endpoint() const;
    static path from_endpoint(const inet_address& a, std::uint8_t flags = 0);
    bool operator==(const path&) const = default;
  };
  // [1 flags][2 ext len][ext][1 addr type][1 addr len][addr]
  struct path_codec {
    static constexpr std::size_t min_len = 1 + 2 + 1 + 1;
    static constexpr bool fixed = false;
    static void skip(reader& r) {
      r.skip(1);
      r.skip(r.be16());
      r.skip(1);
      r.skip(r.u8());
    }
    static path read(reader& r) {
      path x;
      x.flags = r.u8();
      x.extension = r.bytes(r.be16());
      x.address_type = r.u8();
      x.address = r.bytes(r.u8());
      return x;
    }
    static void write(writer& w, const path& x) {
      w.u8(x.flags);
      w.be16(static_cast<std::uint16_t>(x.extension.size()));
      w.bytes(x.extension.bytes);
      w.u8(x.address_type);
      w.u8(static_cast<std::uint8_t>(x.address.size()));
      w.bytes(x.address);
    }
    static std::size_t wire_len(const path& x) {
      return min_len + x.extension.size() + x.address.size();
    }
  };
  using path_list = wire_list<path, path_codec>;
  path_list paths;

  static result<push_direct_paths_payload> parse(reader& r);
  void emit(writer& w) const;
  std::size_t buffer_len() const;
  bool operator==(const push_direct_paths_payload&) const = default;
};

// ---- USER_MESSAGE (0x14), REMOTE_TRACE (0x15) ---------------------------------------------------

struct user_message_payload {
  std::uint64_t type_id = 0;  // <= 65535 reserved for ZeroTier
  bytes_ref data;

  static result<user_message_payload> parse(reader& r);
  void emit(writer& w) const;
  std::size_t buffer_len() const { return 8 + data.size(); }
  bool operator==(const user_message_payload&) const = default;
};

// One or more NUL-terminated dictionaries, kept raw (dictionary.h reads them).
struct remote_trace_payload {
  bytes_ref dictionaries;

  static result<remote_trace_payload> parse(reader& r);
  void emit(writer& w) const { w.bytes(dictionaries.bytes); }
  std::size_t buffer_len() const { return dictionaries.size(); }
  bool operator==(const remote_trace_payload&) const = default;
};

// ---- Dispatch -------------------------------------------------------------------------------------

using any_payload =
    std::variant<hello_payload, error_payload, ok_payload, whois_payload, rendezvous_payload,
                 frame_payload, ext_frame_payload, echo_payload, multicast_like_payload,
                 network_credentials_payload, multicast_gather_payload, multicast_frame_payload,
                 push_direct_paths_payload, user_message_payload, remote_trace_payload>;

// Parses the payload of `v` (HELLO: already unmasked). Fails with errc::unsupported for verbs
// without a repr here (NOP, NETWORK_CONFIG*, multipath verbs, unknown values).
result<parsed<any_payload>> parse_verb_payload(std::uint8_t v, std::span<const std::uint8_t> payload);
std::vector<std::uint8_t> emit_any_payload(const any_payload& p);

}  // namespace ztkit::wire
