// JSON codec for controller networks and members: see json_codec.h.
#include "ctrl/controller_api/json_codec.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>

#include "engine/wire/bytes.h"
#include "engine/wire/network_config.h"

namespace ztkit::ctrl::api {

namespace {

using fam = wire::inet_address::family;

// Thrown inside this file only, turned into an error value at each public function.
struct field_error {
  std::string message;
};

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw field_error{path + ": " + what};
}

bool as_bool(const json& v, const std::string& path) {
  if (!v.is_boolean()) fail(path, "must be true or false");
  return v.get<bool>();
}

std::uint64_t as_uint(const json& v, const std::string& path, std::uint64_t max) {
  std::uint64_t x = 0;
  if (v.is_number_unsigned()) {
    x = v.get<std::uint64_t>();
  } else if (v.is_number_integer() && v.get<std::int64_t>() >= 0) {
    x = static_cast<std::uint64_t>(v.get<std::int64_t>());
  } else {
    fail(path, "must be an integer 0.." + std::to_string(max));
  }
  if (x > max) fail(path, "must be an integer 0.." + std::to_string(max));
  return x;
}

std::int64_t as_time(const json& v, const std::string& path) {
  if (!v.is_number_integer()) fail(path, "must be an integer (ms since the epoch)");
  return v.get<std::int64_t>();
}

const std::string& as_string(const json& v, const std::string& path) {
  if (!v.is_string()) fail(path, "must be a string");
  return v.get_ref<const std::string&>();
}

// 1 to 16 hex digits.
std::uint64_t as_hex(const json& v, const std::string& path) {
  const std::string& s = as_string(v, path);
  std::uint64_t x = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), x, 16);
  if (s.empty() || s.size() > 16 || ec != std::errc{} || end != s.data() + s.size())
    fail(path, "must be 1 to 16 hex digits");
  return x;
}

// "IP" or "IP/bits" (bits kept in port).
wire::inet_address as_ip(const json& v, const std::string& path) {
  auto a = wire::inet_address::from_string(as_string(v, path));
  if (!a || a->is_nil()) fail(path, "not an IP address: " + v.get<std::string>());
  return *a;
}

const json* field(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

std::string hex(std::uint64_t v, int digits) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%.*llx", digits, static_cast<unsigned long long>(v));
  return buf;
}

// ---- rules -----------------------------------------------------------------------------

struct rule_name {
  const char* name;
  wire::rule_type type;
};

// 1.14's _parseRule names (INTEGER_RANGE is left out: 1.14 parses it but never accepts it).
constexpr std::array<rule_name, 33> rule_names{{
    {"ACTION_DROP", wire::rule_type::action_drop},
    {"ACTION_ACCEPT", wire::rule_type::action_accept},
    {"ACTION_TEE", wire::rule_type::action_tee},
    {"ACTION_WATCH", wire::rule_type::action_watch},
    {"ACTION_REDIRECT", wire::rule_type::action_redirect},
    {"ACTION_BREAK", wire::rule_type::action_break},
    {"MATCH_SOURCE_ZEROTIER_ADDRESS", wire::rule_type::match_source_zt_address},
    {"MATCH_DEST_ZEROTIER_ADDRESS", wire::rule_type::match_dest_zt_address},
    {"MATCH_VLAN_ID", wire::rule_type::match_vlan_id},
    {"MATCH_VLAN_PCP", wire::rule_type::match_vlan_pcp},
    {"MATCH_VLAN_DEI", wire::rule_type::match_vlan_dei},
    {"MATCH_MAC_SOURCE", wire::rule_type::match_mac_source},
    {"MATCH_MAC_DEST", wire::rule_type::match_mac_dest},
    {"MATCH_IPV4_SOURCE", wire::rule_type::match_ipv4_source},
    {"MATCH_IPV4_DEST", wire::rule_type::match_ipv4_dest},
    {"MATCH_IPV6_SOURCE", wire::rule_type::match_ipv6_source},
    {"MATCH_IPV6_DEST", wire::rule_type::match_ipv6_dest},
    {"MATCH_IP_TOS", wire::rule_type::match_ip_tos},
    {"MATCH_IP_PROTOCOL", wire::rule_type::match_ip_protocol},
    {"MATCH_ETHERTYPE", wire::rule_type::match_ethertype},
    {"MATCH_ICMP", wire::rule_type::match_icmp},
    {"MATCH_IP_SOURCE_PORT_RANGE", wire::rule_type::match_ip_source_port_range},
    {"MATCH_IP_DEST_PORT_RANGE", wire::rule_type::match_ip_dest_port_range},
    {"MATCH_CHARACTERISTICS", wire::rule_type::match_characteristics},
    {"MATCH_FRAME_SIZE_RANGE", wire::rule_type::match_frame_size_range},
    {"MATCH_RANDOM", wire::rule_type::match_random},
    {"MATCH_TAGS_DIFFERENCE", wire::rule_type::match_tags_difference},
    {"MATCH_TAGS_BITWISE_AND", wire::rule_type::match_tags_bitwise_and},
    {"MATCH_TAGS_BITWISE_OR", wire::rule_type::match_tags_bitwise_or},
    {"MATCH_TAGS_BITWISE_XOR", wire::rule_type::match_tags_bitwise_xor},
    {"MATCH_TAGS_EQUAL", wire::rule_type::match_tags_equal},
    {"MATCH_TAG_SENDER", wire::rule_type::match_tag_sender},
    {"MATCH_TAG_RECEIVER", wire::rule_type::match_tag_receiver},
}};

// Reads optional numeric field `key` of rule `r` (default `dflt`).
std::uint64_t rule_uint(const json& r, const char* key, const std::string& path, std::uint64_t max,
                        std::uint64_t dflt = 0) {
  const json* v = field(r, key);
  return v ? as_uint(*v, path + "." + key, max) : dflt;
}

std::array<std::uint8_t, 6> parse_mac(const json& r, const std::string& path) {
  const json* v = field(r, "mac");
  std::string digits;
  if (v) {
    for (char c : as_string(*v, path + ".mac")) {
      if (c == ':' || c == '-' || c == '.') continue;
      if (!std::isxdigit(static_cast<unsigned char>(c))) fail(path + ".mac", "not a MAC address");
      digits += c;
    }
  }
  if (v && digits.size() != 12) fail(path + ".mac", "not a MAC address (6 hex bytes)");
  std::array<std::uint8_t, 6> mac{};
  for (std::size_t i = 0; v && i < 6; ++i)
    mac[i] = static_cast<std::uint8_t>(std::stoul(digits.substr(2 * i, 2), nullptr, 16));
  return mac;
}

wire::rule parse_known_rule(const json& r, wire::rule_type type, const std::string& path) {
  using rt = wire::rule_type;
  wire::rule x;
  x.t = static_cast<std::uint8_t>(type);
  if (const json* v = field(r, "not"); v && as_bool(*v, path + ".not")) x.t |= wire::rule::not_bit;
  if (const json* v = field(r, "or"); v && as_bool(*v, path + ".or")) x.t |= wire::rule::or_bit;
  x.field.resize(wire::rule_field_len(x.t));
  std::uint8_t* f = x.field.data();
  switch (type) {
    case rt::action_drop:
    case rt::action_accept:
    case rt::action_break: break;
    case rt::action_tee:
    case rt::action_watch:
    case rt::action_redirect: {
      const json* a = field(r, "address");
      wire::store_be64(f, a ? (as_hex(*a, path + ".address") & zt_address::mask) : 0);
      wire::store_be32(f + 8, static_cast<std::uint32_t>(rule_uint(r, "flags", path, 0xffffffff)));
      wire::store_be16(f + 12, type == rt::action_redirect
                                   ? 0
                                   : static_cast<std::uint16_t>(rule_uint(r, "length", path, 0xffff)));
      break;
    }
    case rt::match_source_zt_address:
    case rt::match_dest_zt_address: {
      const json* z = field(r, "zt");
      zt_address(z ? as_hex(*z, path + ".zt") : 0).to_bytes(f);
      break;
    }
    case rt::match_vlan_id: wire::store_be16(f, static_cast<std::uint16_t>(rule_uint(r, "vlanId", path, 0xffff))); break;
    case rt::match_vlan_pcp: f[0] = static_cast<std::uint8_t>(rule_uint(r, "vlanPcp", path, 0xff)); break;
    case rt::match_vlan_dei: f[0] = static_cast<std::uint8_t>(rule_uint(r, "vlanDei", path, 0xff)); break;
    case rt::match_mac_source:
    case rt::match_mac_dest: {
      const auto mac = parse_mac(r, path);
      std::copy(mac.begin(), mac.end(), f);
      break;
    }
    case rt::match_ipv4_source:
    case rt::match_ipv4_dest:
    case rt::match_ipv6_source:
    case rt::match_ipv6_dest: {
      const bool v4 = type == rt::match_ipv4_source || type == rt::match_ipv4_dest;
      wire::inet_address ip = v4 ? wire::inet_address::v4({0, 0, 0, 0}, 0) : wire::inet_address::v6({}, 0);
      if (const json* v = field(r, "ip")) ip = as_ip(*v, path + ".ip");
      if (ip.fam != (v4 ? fam::ipv4 : fam::ipv6))
        fail(path + ".ip", v4 ? "must be an IPv4 address" : "must be an IPv6 address");
      const std::size_t n = v4 ? 4 : 16;
      std::copy_n(ip.ip.begin(), n, f);
      f[n] = static_cast<std::uint8_t>(std::min<unsigned>(ip.port & 0xff, v4 ? 32 : 128));
      break;
    }
    case rt::match_ip_tos:
      f[0] = static_cast<std::uint8_t>(rule_uint(r, "mask", path, 0xff));
      f[1] = static_cast<std::uint8_t>(rule_uint(r, "start", path, 0xff));
      f[2] = static_cast<std::uint8_t>(rule_uint(r, "end", path, 0xff));
      break;
    case rt::match_ip_protocol: f[0] = static_cast<std::uint8_t>(rule_uint(r, "ipProtocol", path, 0xff)); break;
    case rt::match_ethertype: wire::store_be16(f, static_cast<std::uint16_t>(rule_uint(r, "etherType", path, 0xffff))); break;
    case rt::match_icmp: {
      f[0] = static_cast<std::uint8_t>(rule_uint(r, "icmpType", path, 0xff));
      const json* code = field(r, "icmpCode");
      if (code && !code->is_null()) {
        f[1] = static_cast<std::uint8_t>(as_uint(*code, path + ".icmpCode", 0xff));
        f[2] = 0x01;
      }
      break;
    }
    case rt::match_ip_source_port_range:
    case rt::match_ip_dest_port_range:
    case rt::match_frame_size_range: {
      const auto lo = rule_uint(r, "start", path, 0xffff);
      wire::store_be16(f, static_cast<std::uint16_t>(lo));
      wire::store_be16(f + 2, static_cast<std::uint16_t>(rule_uint(r, "end", path, 0xffff, lo)));
      break;
    }
    case rt::match_characteristics: {
      std::uint64_t mask = 0;
      if (const json* v = field(r, "mask"))
        mask = v->is_string() ? as_hex(*v, path + ".mask") : as_uint(*v, path + ".mask", ~0ULL);
      wire::store_be64(f, mask);
      break;
    }
    case rt::match_random:
      wire::store_be32(f, static_cast<std::uint32_t>(rule_uint(r, "probability", path, 0xffffffff)));
      break;
    default:  // the tag matches (the table has no other types)
      if (x.field.size() < 8) fail(path + ".type", "has no field layout");
      wire::store_be32(f, static_cast<std::uint32_t>(rule_uint(r, "id", path, 0xffffffff)));
      wire::store_be32(f + 4, static_cast<std::uint32_t>(rule_uint(r, "value", path, 0xffffffff)));
      break;
  }
  return x;
}

std::optional<wire::rule> parse_rule(const json& r, const std::string& path) {
  if (!r.is_object()) fail(path, "must be an object");
  const json* t = field(r, "type");
  if (!t) fail(path + ".type", "missing");
  const std::string& name = as_string(*t, path + ".type");
  for (const auto& n : rule_names)
    if (name == n.name) return parse_known_rule(r, n.type, path);
  return std::nullopt;  // 1.14 drops rule types it does not know
}

std::string mac_string(const std::uint8_t* m) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%.2x:%.2x:%.2x:%.2x:%.2x:%.2x", m[0], m[1], m[2], m[3], m[4], m[5]);
  return buf;
}

// ---- networks --------------------------------------------------------------------------

wire::inet_address route_target(const json& v, const std::string& path) {
  auto t = as_ip(v, path);
  if (t.port > (t.fam == fam::ipv4 ? 32 : 128)) fail(path, "prefix length too long");
  return t;
}

void apply_network(const json& b, controller_network_settings& s) {
  if (!b.is_object()) fail("body", "must be a JSON object");
  if (const json* v = field(b, "name")) s.name = as_string(*v, "name");
  if (const json* v = field(b, "private")) s.is_private = as_bool(*v, "private");
  if (const json* v = field(b, "enableBroadcast")) s.enable_broadcast = as_bool(*v, "enableBroadcast");
  if (const json* v = field(b, "multicastLimit"))
    s.multicast_limit = static_cast<std::uint32_t>(as_uint(*v, "multicastLimit", 0xffffffff));
  if (const json* v = field(b, "mtu"))  // 1.14 clamps to ZT_MIN_MTU..ZT_MAX_MTU
    s.mtu = static_cast<std::uint32_t>(std::clamp<std::uint64_t>(
        as_uint(*v, "mtu", 0xffffffff), wire::network_config::min_mtu, wire::network_config::max_mtu));
  if (const json* v = field(b, "v4AssignMode")) {
    if (v->is_string()) {  // 1.14's backward-compatible form
      s.v4_assign_zt = v->get<std::string>() == "zt";
    } else if (v->is_object()) {
      const json* zt = field(*v, "zt");
      s.v4_assign_zt = zt ? as_bool(*zt, "v4AssignMode.zt") : false;
    } else {
      fail("v4AssignMode", "must be an object {\"zt\": bool}");
    }
  }
  if (const json* v = field(b, "v6AssignMode")) {
    s.v6_assign_zt = s.v6_rfc4193 = s.v6_6plane = false;  // 1.14 rebuilds the object
    if (v->is_string()) {  // "rfc4193,zt"
      const std::string modes = "," + v->get<std::string>() + ",";
      s.v6_assign_zt = modes.find(",zt,") != std::string::npos;
      s.v6_rfc4193 = modes.find(",rfc4193,") != std::string::npos;
      s.v6_6plane = modes.find(",6plane,") != std::string::npos;
    } else if (v->is_object()) {
      if (const json* x = field(*v, "zt")) s.v6_assign_zt = as_bool(*x, "v6AssignMode.zt");
      if (const json* x = field(*v, "rfc4193")) s.v6_rfc4193 = as_bool(*x, "v6AssignMode.rfc4193");
      if (const json* x = field(*v, "6plane")) s.v6_6plane = as_bool(*x, "v6AssignMode.6plane");
    } else {
      fail("v6AssignMode", "must be an object {\"zt\", \"rfc4193\", \"6plane\": bool}");
    }
  }
  if (const json* v = field(b, "routes")) {
    if (!v->is_array()) fail("routes", "must be an array");
    if (v->size() > wire::network_config::max_routes)
      fail("routes", "more than " + std::to_string(wire::network_config::max_routes) + " routes");
    std::vector<wire::network_route> routes;
    for (std::size_t i = 0; i < v->size(); ++i) {
      const std::string path = "routes[" + std::to_string(i) + "]";
      const json& r = (*v)[i];
      if (!r.is_object()) fail(path, "must be an object {target, via}");
      const json* target = field(r, "target");
      if (!target) fail(path + ".target", "missing");
      wire::network_route route;
      route.target = route_target(*target, path + ".target");
      if (const json* via = field(r, "via"); via && !via->is_null()) {
        route.via = as_ip(*via, path + ".via");
        if (route.via.fam != route.target.fam) fail(path + ".via", "not of the target's family");
        route.via.port = 0;
      }
      routes.push_back(route);
    }
    s.routes = std::move(routes);
  }
  if (const json* v = field(b, "ipAssignmentPools")) {
    if (!v->is_array()) fail("ipAssignmentPools", "must be an array");
    std::vector<ip_pool> pools;
    for (std::size_t i = 0; i < v->size(); ++i) {
      const std::string path = "ipAssignmentPools[" + std::to_string(i) + "]";
      const json& p = (*v)[i];
      if (!p.is_object()) fail(path, "must be an object {ipRangeStart, ipRangeEnd}");
      const json* first = field(p, "ipRangeStart");
      const json* last = field(p, "ipRangeEnd");
      if (!first) fail(path + ".ipRangeStart", "missing");
      if (!last) fail(path + ".ipRangeEnd", "missing");
      ip_pool pool{as_ip(*first, path + ".ipRangeStart"), as_ip(*last, path + ".ipRangeEnd")};
      if (pool.first.fam != pool.last.fam) fail(path, "ipRangeStart and ipRangeEnd of different families");
      pool.first.port = pool.last.port = 0;
      pools.push_back(pool);
    }
    s.ip_pools = std::move(pools);
    s.v4_pool.reset();  // the pools given replace the shortcut's
  }
  if (const json* v = field(b, "rules")) {
    if (!v->is_array()) fail("rules", "must be an array");
    std::vector<wire::rule> rules;
    for (std::size_t i = 0; i < v->size(); ++i)
      if (auto r = parse_rule((*v)[i], "rules[" + std::to_string(i) + "]")) rules.push_back(std::move(*r));
    if (rules.size() > wire::network_config::max_rules)
      fail("rules", "more than " + std::to_string(wire::network_config::max_rules) + " rules");
    s.rules = std::move(rules);
  }
}

void apply_member(const json& b, controller_member_update& u) {
  if (!b.is_object()) fail("body", "must be a JSON object");
  if (const json* v = field(b, "authorized")) u.authorized = as_bool(*v, "authorized");
  if (const json* v = field(b, "activeBridge")) u.active_bridge = as_bool(*v, "activeBridge");
  if (const json* v = field(b, "noAutoAssignIps")) u.no_auto_assign_ips = as_bool(*v, "noAutoAssignIps");
  if (const json* v = field(b, "name")) u.name = as_string(*v, "name");
  if (const json* v = field(b, "ipAssignments")) {
    if (!v->is_array()) fail("ipAssignments", "must be an array of IP address strings");
    if (v->size() > wire::network_config::max_static_ips)
      fail("ipAssignments", "more than " + std::to_string(wire::network_config::max_static_ips) + " addresses");
    std::vector<wire::inet_address> ips;
    for (std::size_t i = 0; i < v->size(); ++i) {
      auto ip = as_ip((*v)[i], "ipAssignments[" + std::to_string(i) + "]");
      ip.port = 0;  // 1.14 keeps the IP only (toIpString); the prefix comes from the routes
      if (std::find(ips.begin(), ips.end(), ip) == ips.end()) ips.push_back(ip);
    }
    u.ip_assignments = std::move(ips);
  }
}

template <typename F>
status guarded(F&& f) {
  try {
    f();
  } catch (const field_error& e) {
    return error{errc::invalid_argument, e.message};
  } catch (const json::exception& e) {
    return error{errc::invalid_argument, e.what()};
  }
  return {};
}

}  // namespace

std::string nwid_string(std::uint64_t nwid) { return hex(nwid, 16); }

std::optional<std::uint64_t> parse_nwid(std::string_view s) {
  if (s.size() != 16) return std::nullopt;
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string ip_string(const wire::inet_address& a) {
  if (a.is_nil()) return {};
  std::string s = a.to_string();
  const auto slash = s.rfind('/');
  return slash == std::string::npos ? s : s.substr(0, slash);
}

result<std::optional<wire::rule>> rule_from_json(const json& r) {
  std::optional<wire::rule> out;
  status st = guarded([&] { out = parse_rule(r, "rule"); });
  if (!st.ok()) return error{st.code(), st.message()};
  return out;
}

json rule_to_json(const wire::rule& x) {
  using rt = wire::rule_type;
  const auto type = static_cast<rt>(x.type());
  const char* name = nullptr;
  for (const auto& n : rule_names)
    if (n.type == type) name = n.name;
  if (!name || x.field.size() < wire::rule_field_len(x.t)) return nullptr;
  json r = json::object();
  r["type"] = name;
  const std::uint8_t* f = x.field.data();
  switch (type) {
    case rt::action_drop:
    case rt::action_accept:
    case rt::action_break: break;
    case rt::action_tee:
    case rt::action_watch:
    case rt::action_redirect:
      r["address"] = zt_address(wire::load_be64(f)).to_string();
      r["flags"] = wire::load_be32(f + 8);
      if (type != rt::action_redirect) r["length"] = wire::load_be16(f + 12);
      break;
    case rt::match_source_zt_address:
    case rt::match_dest_zt_address: r["zt"] = zt_address(x.zt_address_value()).to_string(); break;
    case rt::match_vlan_id: r["vlanId"] = wire::load_be16(f); break;
    case rt::match_vlan_pcp: r["vlanPcp"] = f[0]; break;
    case rt::match_vlan_dei: r["vlanDei"] = f[0]; break;
    case rt::match_mac_source:
    case rt::match_mac_dest: r["mac"] = mac_string(f); break;
    case rt::match_ipv4_source:
    case rt::match_ipv4_dest:
      r["ip"] = wire::inet_address::v4({f[0], f[1], f[2], f[3]}, f[4]).to_string();
      break;
    case rt::match_ipv6_source:
    case rt::match_ipv6_dest: {
      std::array<std::uint8_t, 16> ip{};
      std::copy_n(f, 16, ip.begin());
      r["ip"] = wire::inet_address::v6(ip, f[16]).to_string();
      break;
    }
    case rt::match_ip_tos:
      r["mask"] = f[0];
      r["start"] = f[1];
      r["end"] = f[2];
      break;
    case rt::match_ip_protocol: r["ipProtocol"] = f[0]; break;
    case rt::match_ethertype: r["etherType"] = wire::load_be16(f); break;
    case rt::match_icmp:
      r["icmpType"] = f[0];
      r["icmpCode"] = (f[2] & 0x01) ? json(f[1]) : json(nullptr);
      break;
    case rt::match_ip_source_port_range:
    case rt::match_ip_dest_port_range:
    case rt::match_frame_size_range:
      r["start"] = wire::load_be16(f);
      r["end"] = wire::load_be16(f + 2);
      break;
    case rt::match_characteristics: r["mask"] = hex(wire::load_be64(f), 16); break;
    case rt::match_random: r["probability"] = wire::load_be32(f); break;
    default:
      r["id"] = wire::load_be32(f);
      r["value"] = wire::load_be32(f + 4);
      break;
  }
  r["not"] = x.negated();
  r["or"] = x.is_or();
  return r;
}

controller_network_settings api_network_defaults() {
  controller_network_settings s;
  s.rules.push_back(wire::rule::action(wire::rule_type::action_accept));
  return s;
}

json network_to_json(const controller_network& n) {
  const auto& s = n.settings;
  json j = json::object();
  j["id"] = nwid_string(n.id);
  j["nwid"] = nwid_string(n.id);
  j["objtype"] = "network";
  j["name"] = s.name;
  j["private"] = s.is_private;
  j["enableBroadcast"] = s.enable_broadcast;
  j["mtu"] = s.mtu;
  j["multicastLimit"] = s.multicast_limit;
  j["v4AssignMode"] = {{"zt", s.v4_assign_zt || s.v4_pool.has_value()}};
  j["v6AssignMode"] = {{"zt", s.v6_assign_zt}, {"rfc4193", s.v6_rfc4193}, {"6plane", s.v6_6plane}};
  json pools = json::array();
  for (const auto& p : s.ip_pools)
    pools.push_back({{"ipRangeStart", ip_string(p.first)}, {"ipRangeEnd", ip_string(p.last)}});
  if (s.v4_pool)
    pools.push_back({{"ipRangeStart", ip_string(wire::inet_address::v4(s.v4_pool->first, 0))},
                     {"ipRangeEnd", ip_string(wire::inet_address::v4(s.v4_pool->last, 0))}});
  j["ipAssignmentPools"] = pools;
  json routes = json::array();
  for (const auto& r : s.routes)
    routes.push_back({{"target", r.target.to_string()},
                      {"via", r.via.is_nil() ? json(nullptr) : json(ip_string(r.via))}});
  j["routes"] = routes;
  json rules = json::array();
  for (const auto& r : s.rules)
    if (json x = rule_to_json(r); !x.is_null()) rules.push_back(std::move(x));
  j["rules"] = rules;
  j["creationTime"] = n.creation_time;
  j["revision"] = n.revision;
  // 1.14's initNetwork defaults for what we do not implement, so clients find them.
  j["capabilities"] = json::array();
  j["tags"] = json::array();
  j["dns"] = json::array();
  j["remoteTraceTarget"] = nullptr;
  j["remoteTraceLevel"] = 0;
  j["rulesSource"] = "";
  j["ssoEnabled"] = false;
  j["clientId"] = "";
  j["authorizationEndpoint"] = "";
  return j;
}

status apply_network_json(const json& body, controller_network_settings& s) {
  controller_network_settings copy = s;
  status st = guarded([&] { apply_network(body, copy); });
  if (st.ok()) s = std::move(copy);
  return st;
}

json member_to_json(std::uint64_t nwid, const controller_member& m) {
  json j = json::object();
  j["id"] = m.address.to_string();
  j["address"] = m.address.to_string();
  j["nwid"] = nwid_string(nwid);
  j["objtype"] = "member";
  j["authorized"] = m.authorized;
  j["activeBridge"] = m.active_bridge;
  j["noAutoAssignIps"] = m.no_auto_assign_ips;
  j["name"] = m.name;
  json ips = json::array();
  for (const auto& ip : m.ip_assignments) ips.push_back(ip_string(ip));
  j["ipAssignments"] = ips;
  if (m.identity) j["identity"] = m.identity->to_string(false);
  j["revision"] = m.revision;
  j["creationTime"] = m.creation_time;
  j["lastAuthorizedTime"] = m.last_authorized_time;
  j["lastDeauthorizedTime"] = m.last_deauthorized_time;
  j["lastAuthorizedCredentialType"] = m.last_authorized_time ? json("api") : json(nullptr);
  j["lastAuthorizedCredential"] = nullptr;
  j["capabilities"] = json::array();
  j["tags"] = json::array();
  j["ssoExempt"] = false;
  j["authenticationExpiryTime"] = 0;
  j["vMajor"] = -1;
  j["vMinor"] = -1;
  j["vRev"] = -1;
  j["vProto"] = -1;
  j["remoteTraceTarget"] = nullptr;
  j["remoteTraceLevel"] = 0;
  return j;
}

result<controller_member_update> member_update_from_json(const json& body) {
  controller_member_update u;
  status st = guarded([&] { apply_member(body, u); });
  if (!st.ok()) return error{st.code(), st.message()};
  return u;
}

result<controller_network> network_from_stored_json(const json& j) {
  controller_network n;
  status st = guarded([&] {
    if (!j.is_object()) fail("network", "must be a JSON object");
    const json* id = field(j, "id");
    if (!id) fail("id", "missing");
    auto nwid = parse_nwid(as_string(*id, "id"));
    if (!nwid) fail("id", "not a 16-hex-digit network ID");
    n.id = *nwid;
    // Rules absent: 1.14's initNetwork default (accept everything).
    n.settings = api_network_defaults();
    apply_network(j, n.settings);
    if (const json* v = field(j, "revision")) n.revision = as_uint(*v, "revision", ~0ULL);
    if (const json* v = field(j, "creationTime")) n.creation_time = as_time(*v, "creationTime");
  });
  if (!st.ok()) return error{st.code(), st.message()};
  return n;
}

result<controller_member> member_from_stored_json(std::uint64_t nwid, const json& j) {
  controller_member m;
  status st = guarded([&] {
    if (!j.is_object()) fail("member", "must be a JSON object");
    const json* id = field(j, "id");
    if (!id) fail("id", "missing");
    auto a = zt_address::parse(as_string(*id, "id"));
    if (!a) fail("id", "not a 10-hex-digit ZeroTier address");
    m.address = *a;
    if (const json* v = field(j, "nwid"); v && parse_nwid(as_string(*v, "nwid")) != nwid)
      fail("nwid", "not the network it is stored under (" + nwid_string(nwid) + ")");
    controller_member_update u;
    apply_member(j, u);
    m.authorized = u.authorized.value_or(false);
    m.active_bridge = u.active_bridge.value_or(false);
    m.no_auto_assign_ips = u.no_auto_assign_ips.value_or(false);
    m.name = u.name.value_or("");
    m.ip_assignments = u.ip_assignments.value_or(std::vector<wire::inet_address>{});
    if (const json* v = field(j, "identity"); v && !v->is_null()) {
      auto ident = crypto::identity::from_string(as_string(*v, "identity"));
      if (!ident.ok()) fail("identity", ident.message());
      if (ident->address() != m.address) fail("identity", "is not the member's address");
      m.identity = crypto::identity::from_string(ident->to_string(false)).value();
    }
    if (const json* v = field(j, "revision")) m.revision = as_uint(*v, "revision", ~0ULL);
    if (const json* v = field(j, "creationTime")) m.creation_time = as_time(*v, "creationTime");
    if (const json* v = field(j, "lastAuthorizedTime")) m.last_authorized_time = as_time(*v, "lastAuthorizedTime");
    if (const json* v = field(j, "lastDeauthorizedTime"))
      m.last_deauthorized_time = as_time(*v, "lastDeauthorizedTime");
  });
  if (!st.ok()) return error{st.code(), st.message()};
  return m;
}

}  // namespace ztkit::ctrl::api
