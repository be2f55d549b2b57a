// Rule list encoding: see rules.h.
#include "engine/wire/rules.h"

#include <string>

namespace ztkit::wire {

std::size_t rule_field_len(std::uint8_t type) {
  switch (static_cast<rule_type>(type & 0x3f)) {
    case rule_type::action_tee:
    case rule_type::action_watch:
    case rule_type::action_redirect: return 14;  // [8 address][4 flags][2 length]
    case rule_type::match_source_zt_address:
    case rule_type::match_dest_zt_address: return 5;
    case rule_type::match_vlan_id: return 2;
    case rule_type::match_vlan_pcp:
    case rule_type::match_vlan_dei: return 1;
    case rule_type::match_mac_source:
    case rule_type::match_mac_dest: return 6;
    case rule_type::match_ipv4_source:
    case rule_type::match_ipv4_dest: return 5;
    case rule_type::match_ipv6_source:
    case rule_type::match_ipv6_dest: return 17;
    case rule_type::match_ip_tos: return 3;
    case rule_type::match_ip_protocol: return 1;
    case rule_type::match_ethertype: return 2;
    case rule_type::match_icmp: return 3;
    case rule_type::match_ip_source_port_range:
    case rule_type::match_ip_dest_port_range: return 4;
    case rule_type::match_characteristics: return 8;
    case rule_type::match_frame_size_range: return 4;
    case rule_type::match_random: return 4;
    case rule_type::match_tags_difference:
    case rule_type::match_tags_bitwise_and:
    case rule_type::match_tags_bitwise_or:
    case rule_type::match_tags_bitwise_xor:
    case rule_type::match_tags_equal:
    case rule_type::match_tag_sender:
    case rule_type::match_tag_receiver: return 8;
    case rule_type::match_integer_range: return 19;  // [8 start][8 start+end][2 idx][1 format]
    default: return 0;
  }
}

rule rule::action(rule_type a) { return rule{static_cast<std::uint8_t>(a), {}}; }

rule rule::ethertype(std::uint16_t et, bool negate, bool or_with_previous) {
  rule r{static_cast<std::uint8_t>(static_cast<std::uint8_t>(rule_type::match_ethertype) |
                                   (negate ? not_bit : 0) | (or_with_previous ? or_bit : 0)),
         std::vector<std::uint8_t>(2)};
  store_be16(r.field.data(), et);
  return r;
}

rule rule::tag_match(rule_type type, std::uint32_t id, std::uint32_t value, bool negate) {
  rule r{static_cast<std::uint8_t>(static_cast<std::uint8_t>(type) | (negate ? not_bit : 0)),
         std::vector<std::uint8_t>(8)};
  store_be32(r.field.data(), id);
  store_be32(r.field.data() + 4, value);
  return r;
}

rule rule::ip_protocol_match(std::uint8_t proto, bool negate) {
  return rule{static_cast<std::uint8_t>(static_cast<std::uint8_t>(rule_type::match_ip_protocol) |
                                        (negate ? not_bit : 0)),
              {proto}};
}

rule rule::port_range(rule_type type, std::uint16_t lo, std::uint16_t hi, bool negate) {
  rule r{static_cast<std::uint8_t>(static_cast<std::uint8_t>(type) | (negate ? not_bit : 0)),
         std::vector<std::uint8_t>(4)};
  store_be16(r.field.data(), lo);
  store_be16(r.field.data() + 2, hi);
  return r;
}

namespace {

result<rule> parse_one(reader& r) {
  rule x;
  x.t = r.u8();
  const std::size_t len = r.u8();
  const auto f = r.bytes(len);
  if (!r.ok()) return error{errc::invalid_argument, "rule truncated"};
  const std::size_t need = rule_field_len(x.t);
  if (len < need) {
    r.fail();
    return error{errc::invalid_argument, "rule type " + std::to_string(x.t & 0x3f) + " has a " +
                                             std::to_string(len) + "-byte field (needs " +
                                             std::to_string(need) + ")"};
  }
  x.field.assign(f.begin(), f.end());
  return x;
}

}  // namespace

result<std::vector<rule>> parse_rules(reader& r, std::size_t max_count) {
  std::vector<rule> out;
  while (out.size() < max_count && r.remaining() > 0) {
    auto x = parse_one(r);
    if (!x.ok()) return error{x.code(), x.message()};
    out.push_back(std::move(*x));
  }
  return out;
}

result<std::vector<rule>> parse_rules_exact(reader& r, std::size_t count) {
  std::vector<rule> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    auto x = parse_one(r);
    if (!x.ok()) return error{x.code(), x.message()};
    out.push_back(std::move(*x));
  }
  return out;
}

void emit_rules(writer& w, std::span<const rule> rules) {
  for (const rule& x : rules) {
    w.u8(x.t);
    w.u8(static_cast<std::uint8_t>(x.field.size()));
    w.bytes(x.field);
  }
}

std::size_t rules_buffer_len(std::span<const rule> rules) {
  std::size_t n = 0;
  for (const rule& x : rules) n += 2 + x.field.size();
  return n;
}

}  // namespace ztkit::wire
