// The rule list wire encoding (ZeroTierOne 1.14 Capability::serializeRules/deserializeRules;
// zerotier-protocol.md §6.5). Each rule is [1 type byte][1 field length][field]: the low 6 bits
// of the type byte are the rule type, 0x80 = NOT, 0x40 = OR. Fields are kept as the raw bytes
// on the wire (so unknown types round-trip and are skipped by length); typed accessors decode
// the known layouts. No evaluation here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "engine/base/result.h"
#include "engine/wire/bytes.h"

namespace ztkit::wire {

enum class rule_type : std::uint8_t {
  action_drop = 0, action_accept = 1, action_tee = 2, action_watch = 3, action_redirect = 4,
  action_break = 5, action_priority = 6,
  match_source_zt_address = 24, match_dest_zt_address = 25, match_vlan_id = 26,
  match_vlan_pcp = 27, match_vlan_dei = 28, match_mac_source = 29, match_mac_dest = 30,
  match_ipv4_source = 31, match_ipv4_dest = 32, match_ipv6_source = 33, match_ipv6_dest = 34,
  match_ip_tos = 35, match_ip_protocol = 36, match_ethertype = 37, match_icmp = 38,
  match_ip_source_port_range = 39, match_ip_dest_port_range = 40, match_characteristics = 41,
  match_frame_size_range = 42, match_random = 43, match_tags_difference = 44,
  match_tags_bitwise_and = 45, match_tags_bitwise_or = 46, match_tags_bitwise_xor = 47,
  match_tags_equal = 48, match_tag_sender = 49, match_tag_receiver = 50, match_integer_range = 51,
};

// Field length 1.14 writes for a rule type (0 for types without a field and unknown types).
std::size_t rule_field_len(std::uint8_t type);

struct rule {
  static constexpr std::uint8_t not_bit = 0x80;
  static constexpr std::uint8_t or_bit = 0x40;

  std::uint8_t t = 0;               // the whole type byte
  std::vector<std::uint8_t> field;  // raw field bytes

  std::uint8_t type() const { return t & 0x3f; }
  bool negated() const { return (t & not_bit) != 0; }
  bool is_or() const { return (t & or_bit) != 0; }
  bool is_action() const { return type() < 24; }

  // Typed views of the field (big-endian; valid for the matching types only, zero otherwise).
  std::uint16_t ether_type() const { return be16_at(0); }
  std::uint32_t tag_id() const { return be32_at(0); }
  std::uint32_t tag_value() const { return be32_at(4); }
  std::uint8_t ip_protocol() const { return field.empty() ? 0 : field[0]; }
  std::uint16_t port_start() const { return be16_at(0); }
  std::uint16_t port_end() const { return be16_at(2); }
  std::uint64_t zt_address_value() const { return field.size() >= 5 ? load_be_n(field.data(), 5) : 0; }
  std::uint64_t characteristics() const { return field.size() >= 8 ? load_be64(field.data()) : 0; }

  // Builders for the common rules.
  static rule action(rule_type a);
  static rule ethertype(std::uint16_t et, bool negate = false, bool or_with_previous = false);
  static rule tag_match(rule_type type, std::uint32_t id, std::uint32_t value, bool negate = false);
  static rule ip_protocol_match(std::uint8_t proto, bool negate = false);
  static rule port_range(rule_type type, std::uint16_t lo, std::uint16_t hi, bool negate = false);

  bool operator==(const rule&) const = default;

 private:
  std::uint16_t be16_at(std::size_t o) const { return field.size() >= o + 2 ? load_be16(field.data() + o) : 0; }
  std::uint32_t be32_at(std::size_t o) const { return field.size() >= o + 4 ? load_be32(field.data() + o) : 0; }
};

// Reads rules until `r` is exhausted or `max_count` rules are read (1.14 stops there and
// ignores the rest). A known type whose field is shorter than its layout, or a truncated rule,
// is an error (1.14 would read past the field).
result<std::vector<rule>> parse_rules(reader& r, std::size_t max_count);
// Reads exactly `count` rules (a Capability's rule list).
result<std::vector<rule>> parse_rules_exact(reader& r, std::size_t count);
void emit_rules(writer& w, std::span<const rule> rules);
std::size_t rules_buffer_len(std::span<const rule> rules);

}  // namespace ztkit::wire
