// Ethernet II frames (IEEE 802.3 §3.2.6 with EtherType). ZeroTier carries frames without
// preamble or FCS, so a frame is [6 dst][6 src][2 ethertype][payload].
//
// 802.1Q: tags are NOT parsed. A tagged frame (TPID 0x8100 or 0x88a8) reads as ethertype
// 0x8100/0x88a8 and the interface drops it (counted): a ZeroTier virtual network is one flat L2
// segment and our interface belongs to no VLAN.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "engine/wire/bytes.h"
#include "netstack/wire/ip_address.h"

namespace ztkit::netstack::wire {

namespace ethertype {
inline constexpr std::uint16_t ipv4 = 0x0800;
inline constexpr std::uint16_t arp = 0x0806;
inline constexpr std::uint16_t vlan = 0x8100;
inline constexpr std::uint16_t qinq = 0x88a8;
inline constexpr std::uint16_t ipv6 = 0x86dd;
}  // namespace ethertype

// A read-only view over a frame whose 14-byte header is known to be present.
class ethernet_frame {
 public:
  static constexpr std::size_t header_len = 14;

  static std::optional<ethernet_frame> new_checked(std::span<const std::uint8_t> b) {
    if (b.size() < header_len) return std::nullopt;
    return ethernet_frame(b);
  }

  mac_address dst() const { return mac_at(0); }
  mac_address src() const { return mac_at(6); }
  std::uint16_t ethertype() const { return ztkit::wire::load_be16(b_.data() + 12); }
  std::span<const std::uint8_t> payload() const { return b_.subspan(header_len); }
  std::span<const std::uint8_t> bytes() const { return b_; }

 private:
  explicit ethernet_frame(std::span<const std::uint8_t> b) : b_(b) {}
  mac_address mac_at(std::size_t off) const {
    mac_address m;
    for (std::size_t i = 0; i < 6; ++i) m.bytes[i] = b_[off + i];
    return m;
  }
  std::span<const std::uint8_t> b_;
};

struct ethernet_repr {
  mac_address src;
  mac_address dst;
  std::uint16_t ethertype = 0;

  static ethernet_repr parse(const ethernet_frame& f) { return {f.src(), f.dst(), f.ethertype()}; }
  static constexpr std::size_t buffer_len() { return ethernet_frame::header_len; }
  // Writes the header into out[0..14); out must be at least buffer_len() long.
  void emit(std::span<std::uint8_t> out) const;

  bool operator==(const ethernet_repr&) const = default;
};

}  // namespace ztkit::netstack::wire
