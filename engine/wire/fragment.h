// ZeroTier packet fragments (zerotier-protocol.md §1.4; ZeroTierOne 1.14 Packet::Fragment,
// Switch::_sendViaSpecificPath, Switch::onRemotePacket).
//
// A packet longer than the path's physical MTU travels as a head datagram (its first `mtu`
// bytes, with flag 0x40 set in the header flags byte before armor) followed by fragment
// datagrams:
//
//   [0..8)  packet id, exactly as on the wire (for AES-GMAC-SIV the first half of the tag)
//   [8..13) destination address
//   [13]    0xff, the fragment indicator (no address starts with 0xff, so no head does)
//   [14]    (total << 4) | number; the head is number 0 and counts in total
//   [15]    hops (incremented by relays)
//   [16..)  at most mtu - 16 bytes of the armored packet, in order
//
// This file offers:
//   - fragment_view   : a checked view over one fragment datagram (lengths and the 1.14 accept
//                       rule checked once; accessors cannot overrun).
//   - fragment_header : the 16-byte header as a plain repr (parse / emit / buffer_len).
//   - the send-side split rule: fragment_count, needs_fragmenting, max_sendable_length,
//     fragment_datagram_length, write_fragment_datagram, split_packet and
//     for_each_fragment_datagram. None of them allocates.
// Reassembly lives in reassembly.h.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "engine/base/result.h"
#include "engine/base/zt_address.h"

namespace ztkit::wire {

// Offsets and limits, named after their ZeroTierOne 1.14 constants. Prefixed `fragment_` so
// they cannot clash with the packet header's own names.
inline constexpr std::size_t fragment_header_length = 16;      // ZT_PROTO_MIN_FRAGMENT_LENGTH
inline constexpr std::size_t fragment_indicator_index = 13;    // ..._IDX_FRAGMENT_INDICATOR
inline constexpr std::uint8_t fragment_indicator = 0xff;       // ZT_PACKET_FRAGMENT_INDICATOR
inline constexpr std::size_t fragment_max_pieces = 7;          // ZT_MAX_PACKET_FRAGMENTS (head incl.)
inline constexpr std::size_t fragment_default_physical_mtu = 1432;  // ZT_DEFAULT_PHYSMTU
// ZT_PROTO_MAX_PACKET_LENGTH = 7 x 1432: the largest reassembled packet a receiver buffers.
inline constexpr std::size_t fragment_max_packet_length = 10024;
// The packet header fields the splitter and the reassembler need (§1.1): a head is a whole
// packet header (28 bytes) whose flags byte (offset 18) has the fragmented bit 0x40.
inline constexpr std::size_t fragment_head_min_length = 28;    // ZT_PROTO_MIN_PACKET_LENGTH
inline constexpr std::size_t fragment_head_flags_index = 18;   // ZT_PACKET_IDX_FLAGS
inline constexpr std::uint8_t fragment_head_flag = 0x40;       // ZT_PROTO_FLAG_FRAGMENTED
// Physical MTUs the splitter accepts: a head must hold a packet header, and no datagram may be
// longer than a receiver's packet buffer.
inline constexpr std::size_t fragment_min_physical_mtu = fragment_head_min_length;
inline constexpr std::size_t fragment_max_physical_mtu = fragment_max_packet_length;

// Why a datagram is not an acceptable fragment (no allocation; see fragment_view::check).
enum class fragment_error : std::uint8_t {
  none = 0,
  not_fragment,  // length <= 16 or byte 13 != 0xff: a packet (or a beacon), not a fragment
  bad_total,     // total < 2 or total > 7
  bad_number,    // number == 0 or number >= 7
};
const char* to_string(fragment_error e);

// True iff 1.14 treats the datagram as a fragment: length > 16 and byte 13 == 0xff.
inline bool is_fragment(std::span<const std::uint8_t> datagram) {
  return datagram.size() > fragment_header_length &&
         datagram[fragment_indicator_index] == fragment_indicator;
}

// A fragment datagram whose length and indicator were checked once. The accept rule is exactly
// Switch::onRemotePacket's: total <= 7, 1 <= number < 7, total > 1. Note that 1.14 does NOT
// require number < total here; the reassembly table does (a number >= total can never complete).
class fragment_view {
 public:
  // Checks without building a view (for hot paths that only need the verdict).
  static fragment_error check(std::span<const std::uint8_t> datagram);
  // A view, or an error naming what is wrong.
  static result<fragment_view> parse(std::span<const std::uint8_t> datagram);
  // For callers that already ran check() == none.
  static fragment_view unchecked(std::span<const std::uint8_t> datagram) {
    return fragment_view(datagram);
  }

  std::uint64_t packet_id() const;
  zt_address destination() const { return zt_address::from_bytes(data_.data() + 8); }
  unsigned total() const { return data_[14] >> 4; }
  unsigned number() const { return data_[14] & 0x0f; }
  std::uint8_t hops() const { return data_[15]; }
  // The piece of the armored packet this fragment carries (never empty).
  std::span<const std::uint8_t> payload() const { return data_.subspan(fragment_header_length); }
  // The whole datagram.
  std::span<const std::uint8_t> bytes() const { return data_; }

 private:
  explicit fragment_view(std::span<const std::uint8_t> d) : data_(d) {}
  std::span<const std::uint8_t> data_;
};

// The 16-byte fragment header as values.
struct fragment_header {
  std::uint64_t packet_id = 0;
  zt_address destination;
  std::uint8_t total = 0;   // 2..7 on a valid fragment (4 bits on the wire)
  std::uint8_t number = 0;  // 1..6 on a valid fragment (4 bits on the wire)
  std::uint8_t hops = 0;

  static constexpr std::size_t buffer_len() { return fragment_header_length; }
  // Parses the header of an acceptable fragment (the rules of fragment_view).
  static result<fragment_header> parse(const fragment_view& v);
  static result<fragment_header> parse(std::span<const std::uint8_t> datagram);
  // Writes the 16 header bytes to out[0..16); out must hold 16 bytes (false otherwise).
  // total and number are masked to 4 bits as 1.14 does.
  bool emit(std::span<std::uint8_t> out) const;

  bool operator==(const fragment_header&) const = default;
};

// ---- Send side (Switch::_sendViaSpecificPath) --------------------------------------------

// True if an armored packet of `packet_length` bytes does not fit one datagram at `mtu`.
constexpr bool needs_fragmenting(std::size_t packet_length, std::size_t mtu) {
  return packet_length > mtu;
}

// Number of datagrams (head included) 1.14 sends for `packet_length` bytes at `mtu`:
// 1 if it fits, else 1 + ceil((length - mtu) / (mtu - 16)). Requires mtu > 16.
constexpr std::size_t fragment_count(std::size_t packet_length, std::size_t mtu) {
  if (packet_length <= mtu) return 1;
  const std::size_t chunk = mtu - fragment_header_length;
  return 1 + (packet_length - mtu + chunk - 1) / chunk;
}

// A split point at most `mtu` that sends a `packet_length`-byte packet in the same number of
// datagrams as `mtu` does, with the datagrams as equal as they can be: the head and every
// fragment but the last are exactly the returned length, the last up to (pieces - 1) bytes
// shorter. A receiver cannot tell (1.14 reassembles by packet ID and fragment number, whatever
// the sizes: Switch::onRemotePacket / IncomingPacket); a sender gains equal-sized runs of
// datagrams to one peer, which UDP GSO sends as one (UDP_SEGMENT requires every segment but
// the last to be of one size). A 2838-byte packet (a full 2800-byte frame) leaves as 1427 +
// 1427 instead of 1432 + 1422. Returns `mtu` when the packet fits one datagram.
constexpr std::size_t balanced_split_mtu(std::size_t packet_length, std::size_t mtu) {
  const std::size_t n = fragment_count(packet_length, mtu);
  if (n <= 1) return mtu;
  return (packet_length + (n - 1) * fragment_header_length + n - 1) / n;
}

// The longest armored packet that a 1.14 receiver can reassemble when sent at `mtu`: a head
// and 6 fragments, capped by the receiver's 10024-byte packet buffer. 9928 at 1432.
constexpr std::size_t max_sendable_length(std::size_t mtu) {
  const std::size_t n = mtu + (fragment_max_pieces - 1) * (mtu - fragment_header_length);
  return n < fragment_max_packet_length ? n : fragment_max_packet_length;
}

// Checks that `armored` can be split at `mtu`: mtu within [28, 10024], packet at least a
// header, no longer than max_sendable_length(mtu), and its fragmented flag (0x40 at offset 18,
// set before armor) set iff it needs fragmenting, as 1.14's setFragmented(chunk < size) does.
status check_split(std::span<const std::uint8_t> armored, std::size_t mtu);

// Length of datagram `index` (0 = head) of the split of a `packet_length`-byte packet.
// 0 if index >= fragment_count(packet_length, mtu).
std::size_t fragment_datagram_length(std::size_t packet_length, std::size_t mtu, unsigned index);

// Writes datagram `index` (0 = head, a plain copy of the first min(mtu, size) bytes) of the
// split of `armored` into `out`; returns its length, or 0 if the index is out of range or `out`
// is too short. Does not re-run check_split (call it once per packet).
std::size_t write_fragment_datagram(std::span<const std::uint8_t> armored, std::size_t mtu,
                                    unsigned index, std::span<std::uint8_t> out);

// Bytes of scratch split_packet needs for the fragment datagrams (the head is not copied):
// (packet_length - mtu) + 16 per fragment; 0 if the packet fits one datagram.
constexpr std::size_t split_scratch_length(std::size_t packet_length, std::size_t mtu) {
  if (packet_length <= mtu) return 0;
  return (packet_length - mtu) + (fragment_count(packet_length, mtu) - 1) * fragment_header_length;
}

// The datagrams of one packet in send order. datagrams[0] (the head) points into the armored
// packet itself; the others point into the caller's scratch buffer. Valid while both live.
struct fragment_split {
  std::array<std::span<const std::uint8_t>, fragment_max_pieces> datagrams{};
  std::size_t count = 0;
  std::span<const std::span<const std::uint8_t>> all() const {
    return std::span<const std::span<const std::uint8_t>>(datagrams.data(), count);
  }
};

// Splits `armored` exactly as 1.14 does (fragments.json is byte-exact). `scratch` must hold
// split_scratch_length(size, mtu) bytes. Errors: those of check_split, or scratch too short.
result<fragment_split> split_packet(std::span<const std::uint8_t> armored, std::size_t mtu,
                                    std::span<std::uint8_t> scratch);

// Calls send(std::span<const std::uint8_t> datagram, unsigned index) for each datagram in send
// order, using one mtu-sized stack buffer for the fragments (the head is passed in place).
template <typename Send>
status for_each_fragment_datagram(std::span<const std::uint8_t> armored, std::size_t mtu,
                                  Send&& send) {
  if (status s = check_split(armored, mtu); !s.ok()) return s;
  const std::size_t n = fragment_count(armored.size(), mtu);
  send(armored.first(n == 1 ? armored.size() : mtu), 0u);
  std::array<std::uint8_t, fragment_max_physical_mtu> buf;  // uninitialised: fully overwritten
  for (unsigned i = 1; i < n; ++i) {
    const std::size_t len = write_fragment_datagram(armored, mtu, i, buf);
    send(std::span<const std::uint8_t>(buf.data(), len), i);
  }
  return {};
}

}  // namespace ztkit::wire
