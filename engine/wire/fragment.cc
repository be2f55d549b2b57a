// Fragment view/repr and the 1.14 split rule (zerotier-protocol.md §1.4).
#include "engine/wire/fragment.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "engine/wire/bytes.h"

namespace ztkit::wire {

const char* to_string(fragment_error e) {
  switch (e) {
    case fragment_error::none: return "ok";
    case fragment_error::not_fragment: return "not a fragment (length <= 16 or byte 13 != 0xff)";
    case fragment_error::bad_total: return "fragment total outside 2..7";
    case fragment_error::bad_number: return "fragment number outside 1..6";
  }
  return "unknown fragment error";
}

fragment_error fragment_view::check(std::span<const std::uint8_t> d) {
  if (!is_fragment(d)) return fragment_error::not_fragment;
  const unsigned total = d[14] >> 4;
  const unsigned number = d[14] & 0x0f;
  // Switch::onRemotePacket: (total <= 7) && (number < 7) && (number > 0) && (total > 1).
  if (total > fragment_max_pieces || total < 2) return fragment_error::bad_total;
  if (number == 0 || number >= fragment_max_pieces) return fragment_error::bad_number;
  return fragment_error::none;
}

result<fragment_view> fragment_view::parse(std::span<const std::uint8_t> d) {
  const fragment_error e = check(d);
  if (e != fragment_error::none) {
    return error{errc::invalid_argument, std::string("invalid fragment: ") + to_string(e)};
  }
  return fragment_view(d);
}

std::uint64_t fragment_view::packet_id() const { return load_be64(data_.data()); }

result<fragment_header> fragment_header::parse(const fragment_view& v) {
  fragment_header h;
  h.packet_id = v.packet_id();
  h.destination = v.destination();
  h.total = static_cast<std::uint8_t>(v.total());
  h.number = static_cast<std::uint8_t>(v.number());
  h.hops = v.hops();
  return h;
}

result<fragment_header> fragment_header::parse(std::span<const std::uint8_t> datagram) {
  auto v = fragment_view::parse(datagram);
  if (!v.ok()) return error{v.code(), v.message()};
  return parse(*v);
}

bool fragment_header::emit(std::span<std::uint8_t> out) const {
  if (out.size() < fragment_header_length) return false;
  store_be64(out.data(), packet_id);
  destination.to_bytes(out.data() + 8);
  out[13] = fragment_indicator;
  out[14] = static_cast<std::uint8_t>(((total & 0x0f) << 4) | (number & 0x0f));
  out[15] = hops;
  return true;
}

status check_split(std::span<const std::uint8_t> armored, std::size_t mtu) {
  if (mtu < fragment_min_physical_mtu || mtu > fragment_max_physical_mtu) {
    return error{errc::invalid_argument,
                 "physical MTU " + std::to_string(mtu) + " outside " +
                     std::to_string(fragment_min_physical_mtu) + ".." +
                     std::to_string(fragment_max_physical_mtu)};
  }
  if (armored.size() < fragment_head_min_length) {
    return error{errc::invalid_argument, "packet of " + std::to_string(armored.size()) +
                                             " bytes is shorter than a packet header (28)"};
  }
  if (armored.size() > max_sendable_length(mtu)) {
    return error{errc::invalid_argument,
                 "packet of " + std::to_string(armored.size()) + " bytes needs " +
                     std::to_string(fragment_count(armored.size(), mtu)) +
                     " datagrams at MTU " + std::to_string(mtu) + "; receivers accept at most " +
                     std::to_string(max_sendable_length(mtu)) + " bytes"};
  }
  const bool flagged = (armored[fragment_head_flags_index] & fragment_head_flag) != 0;
  const bool needed = needs_fragmenting(armored.size(), mtu);
  if (flagged != needed) {
    return error{errc::failed_precondition,
                 needed ? "packet needs fragmenting but its fragmented flag (0x40) is clear; set "
                          "it before armor"
                        : "packet fits one datagram but its fragmented flag (0x40) is set"};
  }
  return {};
}

std::size_t fragment_datagram_length(std::size_t packet_length, std::size_t mtu, unsigned index) {
  const std::size_t n = fragment_count(packet_length, mtu);
  if (index >= n) return 0;
  if (n == 1) return packet_length;
  if (index == 0) return mtu;
  const std::size_t chunk = mtu - fragment_header_length;
  const std::size_t start = mtu + (index - 1) * chunk;
  return fragment_header_length + std::min(chunk, packet_length - start);
}

std::size_t write_fragment_datagram(std::span<const std::uint8_t> armored, std::size_t mtu,
                                    unsigned index, std::span<std::uint8_t> out) {
  if (armored.size() < fragment_head_min_length || mtu <= fragment_header_length) return 0;
  const std::size_t len = fragment_datagram_length(armored.size(), mtu, index);
  if (len == 0 || out.size() < len) return 0;
  if (index == 0) {
    std::memcpy(out.data(), armored.data(), len);
    return len;
  }
  const std::size_t chunk = mtu - fragment_header_length;
  const std::size_t start = mtu + (index - 1) * chunk;
  // Packet::Fragment::init: the packet id and destination (13 bytes) are copied as they are
  // on the wire, then indicator, (total << 4) | number, hops = 0, then the piece.
  std::memcpy(out.data(), armored.data(), 13);
  out[13] = fragment_indicator;
  out[14] = static_cast<std::uint8_t>(((fragment_count(armored.size(), mtu) & 0x0f) << 4) |
                                      (index & 0x0f));
  out[15] = 0;
  std::memcpy(out.data() + fragment_header_length, armored.data() + start,
              len - fragment_header_length);
  return len;
}

result<fragment_split> split_packet(std::span<const std::uint8_t> armored, std::size_t mtu,
                                    std::span<std::uint8_t> scratch) {
  if (status s = check_split(armored, mtu); !s.ok()) {
    return error{s.code(), s.message()};
  }
  const std::size_t need = split_scratch_length(armored.size(), mtu);
  if (scratch.size() < need) {
    return error{errc::invalid_argument, "split scratch of " + std::to_string(scratch.size()) +
                                             " bytes, need " + std::to_string(need)};
  }
  fragment_split out;
  out.count = fragment_count(armored.size(), mtu);
  out.datagrams[0] = armored.first(out.count == 1 ? armored.size() : mtu);
  std::size_t pos = 0;
  for (unsigned i = 1; i < out.count; ++i) {
    const std::size_t len = write_fragment_datagram(armored, mtu, i, scratch.subspan(pos));
    out.datagrams[i] = std::span<const std::uint8_t>(scratch.data() + pos, len);
    pos += len;
  }
  return out;
}

}  // namespace ztkit::wire
