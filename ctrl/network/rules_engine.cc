// The network rules engine: see rules_engine.h. Line numbers in comments refer to ZeroTierOne
// 1.14.1 node/Network.cpp (`git show 1.14.1:node/Network.cpp`).
#include "ctrl/network/rules_engine.h"

#include <algorithm>

#include "engine/wire/bytes.h"

namespace ztkit::ctrl {

namespace {

using wire::rule;
using wire::rule_type;

constexpr std::uint16_t ethertype_ipv4 = 0x0800;
constexpr std::uint16_t ethertype_arp = 0x0806;
constexpr std::uint16_t ethertype_ipv6 = 0x86dd;

// Types up to ZT_NETWORK_RULE_ACTION__MAX_ID (15) are actions (Network.cpp:128); wire::rule's
// is_action() draws the line at 24, which would turn types 16..23 into actions.
constexpr std::uint8_t action_max_id = 15;

// Field bytes, zero past the field's end. wire::parse_rules guarantees each known type's full
// layout; rules built by hand may be shorter, and 1.14 would read whatever follows.
std::uint8_t field_u8(const rule& r, std::size_t i) { return i < r.field.size() ? r.field[i] : 0; }
std::uint64_t field_be(const rule& r, std::size_t off, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = (v << 8) | field_u8(r, off + i);
  return v;
}

// _ipv6GetPayload (Network.cpp:44): skips hop-by-hop (0), routing (43), destination options
// (60) and mobility (135) headers; any other next-header value is the payload. False for a
// frame shorter than the fixed header or an extension header running past the end. Each step
// advances at least 8 bytes, so the loop is bounded by the frame length.
bool ipv6_payload(std::span<const std::uint8_t> f, std::size_t& pos, unsigned& proto) {
  if (f.size() < 40) return false;
  std::size_t p = 40;
  unsigned pr = f[6];
  while (p <= f.size()) {
    switch (pr) {
      case 0:
      case 43:
      case 60:
      case 135:
        if (p + 8 > f.size()) return false;
        pr = f[p];
        p += static_cast<std::size_t>(f[p + 1]) * 8 + 8;
        break;
      default:
        pos = p;
        proto = pr;
        return true;
    }
  }
  return false;  // ran past the end
}

// InetAddress::containsAddress for AF_INET with the rule's mask as netmask bits. 1.14 shifts a
// uint32 by (32 - bits) as unsigned; bits above 32 are undefined in C++, and x86 (where 1.14
// runs) masks the count to 5 bits, which is what this does.
bool ipv4_prefix_contains(std::uint32_t net, unsigned bits, std::uint32_t addr) {
  if (bits == 0) return true;
  const unsigned shift = (32u - bits) & 31u;
  return (addr >> shift) == (net >> shift);
}

// InetAddress::containsAddress for AF_INET6: (addr & netmask()) must equal the rule's address
// byte for byte; the rule's own bits past the prefix are not masked, so a rule with host bits
// set never matches. netmask() shifts a uint64 by (64 - bits) / (128 - bits); counts out of
// range are masked to 6 bits as x86 does.
bool ipv6_prefix_contains(const std::uint8_t* net, unsigned bits, const std::uint8_t* addr) {
  std::uint64_t nm[2] = {0, 0};
  if (bits != 0) {
    nm[0] = bits >= 64 ? ~0ULL : (~0ULL << ((64u - bits) & 63u));
    nm[1] = bits <= 64 ? 0ULL : (~0ULL << ((128u - bits) & 63u));
  }
  for (unsigned i = 0; i < 16; ++i) {
    const auto m = static_cast<std::uint8_t>(nm[i / 8] >> (56 - 8 * (i % 8)));
    if ((addr[i] & m) != net[i]) return false;
  }
  return true;
}

const rule_tag* find_tag(std::span<const rule_tag> tags, std::uint32_t id) {
  const auto it = std::lower_bound(tags.begin(), tags.end(), id,
                                   [](const rule_tag& t, std::uint32_t v) { return t.id < v; });
  return (it != tags.end() && it->id == id) ? &*it : nullptr;
}

// The characteristics of the frame for MATCH_CHARACTERISTICS (Network.cpp:385-449).
std::uint64_t frame_characteristics(const rules_frame& fr, const rules_context& ctx) {
  namespace rc = rule_characteristics;
  const auto f = fr.payload;
  const std::size_t len = f.size();
  std::uint64_t cf = fr.inbound ? rc::inbound : 0;
  if (fr.mac_dest.is_multicast()) cf |= rc::multicast;
  if (fr.mac_dest.is_broadcast()) cf |= rc::broadcast;

  // The sender's IP: IPv4 source, ARP sender protocol address, IPv6 source, or for an NDP
  // advertisement its target address; a neighbor solicitation counts as authenticated
  // (Network.cpp:394-420).
  std::span<const std::uint8_t> src;
  if (fr.ethertype == ethertype_ipv4 && len >= 20) {
    src = f.subspan(12, 4);
  } else if (fr.ethertype == ethertype_ipv6 && len >= 40) {
    if (len >= 40 + 8 + 16 && f[6] == 0x3a && (f[40] == 0x87 || f[40] == 0x88)) {
      if (f[40] == 0x87) {
        cf |= rc::sender_ip_authenticated;
      } else {
        src = f.subspan(48, 16);
      }
    } else {
      src = f.subspan(8, 16);
    }
  } else if (fr.ethertype == ethertype_arp && len >= 28) {
    src = f.subspan(14, 4);
  }
  // Inbound 1.14 asks the sender's Membership, outbound our config's COOs (Network.cpp:421-439).
  if (ctx.oracle != nullptr) {
    if (!src.empty() && ctx.oracle->sender_owns_ip(src)) cf |= rc::sender_ip_authenticated;
    if (ctx.oracle->sender_owns_mac(fr.mac_source)) cf |= rc::sender_mac_authenticated;
  }

  // TCP flags (Network.cpp:441-449). 1.14 reads the IPv4 TCP header without a length check
  // (whatever follows the frame in its buffer); here bytes past the payload read as zero.
  if (fr.ethertype == ethertype_ipv4 && len >= 20 && f[9] == 0x06) {
    const std::size_t hl = 4u * (f[0] & 0x0fu);
    if (hl + 13 < len) cf |= f[hl + 13];
    if (hl + 12 < len) cf |= static_cast<std::uint64_t>(f[hl + 12] & 0x0f) << 8;
  } else if (fr.ethertype == ethertype_ipv6) {
    std::size_t pos = 0;
    unsigned proto = 0;
    if (ipv6_payload(f, pos, proto) && proto == 0x06 && len > pos + 14) {
      cf |= f[pos + 13];
      cf |= static_cast<std::uint64_t>(f[pos + 12] & 0x0f) << 8;
    }
  }
  return cf;
}

// The value MATCH_INTEGER_RANGE reads (Network.cpp:579-607): (format & 63) + 1 bits, 0x80 in
// format = little-endian. Big-endian reads ceil(bits/8) bytes starting at idx + 8 - bytes (as
// 1.14 does), little-endian at idx; out of the frame reads as 0.
std::uint64_t frame_integer(std::span<const std::uint8_t> f, std::size_t idx0, std::uint8_t format) {
  std::uint64_t v = 0;
  const unsigned bits = (format & 63u) + 1;
  const std::size_t bytes = (bits + 7) / 8;
  if ((format & 0x80) == 0) {
    std::size_t idx = idx0 + (8 - bytes);
    const std::size_t eof = idx + bytes;
    if (eof <= f.size()) {
      while (idx < eof) v = (v << 8) | f[idx++];
    }
    v &= ~0ULL >> (64 - bits);
  } else {
    std::size_t idx = idx0;
    const std::size_t eof = idx + bytes;
    if (eof <= f.size()) {
      while (idx < eof) v = (v >> 8) | (static_cast<std::uint64_t>(f[idx++]) << 56);
    }
    v >>= (64 - bits);
  }
  return v;
}

// The port MATCH_IP_SOURCE/DEST_PORT_RANGE reads from TCP, UDP, SCTP and UDP-Lite, or -1.
int transport_port(std::span<const std::uint8_t> f, std::size_t pos, unsigned proto, bool dest) {
  switch (proto) {
    case 0x06:
    case 0x11:
    case 0x84:
    case 0x88:
      if (f.size() > pos + 4) {
        const std::size_t p = pos + (dest ? 2 : 0);
        return (static_cast<int>(f[p]) << 8) | f[p + 1];
      }
      return -1;
    default:
      return -1;
  }
}

}  // namespace

std::vector<rule_tag> rule_tags_of(std::span<const wire::tag_credential> tags) {
  std::vector<rule_tag> out;
  out.reserve(tags.size());
  for (const auto& t : tags) out.push_back({t.id, t.value});
  std::stable_sort(out.begin(), out.end(),
                   [](const rule_tag& a, const rule_tag& b) { return a.id < b.id; });
  return out;
}

bool coo_owns(const wire::certificate_of_ownership& coo,
              wire::certificate_of_ownership::thing type, std::span<const std::uint8_t> value) {
  if (value.size() > 16) return false;
  for (const auto& t : coo.things) {
    if (t.type == static_cast<std::uint8_t>(type) &&
        std::equal(value.begin(), value.end(), t.value.begin())) {
      return true;
    }
  }
  return false;
}

std::uint32_t coo_rules_oracle::random32() {
  state_ ^= state_ >> 12;
  state_ ^= state_ << 25;
  state_ ^= state_ >> 27;
  return static_cast<std::uint32_t>((state_ * 0x2545f4914f6cdd1dULL) >> 32);
}

bool coo_rules_oracle::sender_owns_ip(std::span<const std::uint8_t> ip) {
  using thing = wire::certificate_of_ownership::thing;
  const thing t = ip.size() == 4 ? thing::ipv4 : thing::ipv6;
  for (const auto& c : coos_) {
    if (coo_owns(c, t, ip)) return true;
  }
  return false;
}

bool coo_rules_oracle::sender_owns_mac(const wire::mac_address& mac) {
  for (const auto& c : coos_) {
    if (coo_owns(c, wire::certificate_of_ownership::thing::mac, mac.bytes)) return true;
  }
  return false;
}

rules_pass evaluate_rules(std::span<const wire::rule> rules, const rules_frame& fr,
                          const rules_context& ctx) {
  const auto f = fr.payload;
  const std::size_t len = f.size();
  rules_pass out;
  out.dest = fr.dest;
  out.rule_index = rules.size();

  // We are a TEE/REDIRECT/WATCH target of a set that did not match (inbound only).
  bool super_accept = false;
  // The set's result starts true so that an action with no matches before it is taken.
  std::uint8_t set_matches = 1;
  // A lenient tag match asked for the next DROP taken to be skipped.
  bool skip_drop = false;
  // MATCH_CHARACTERISTICS is a pure function of the frame: computed on first use.
  std::optional<std::uint64_t> characteristics;

  for (std::size_t rn = 0; rn < rules.size(); ++rn) {
    const rule& r = rules[rn];
    const std::uint8_t rt = r.t & 0x3f;

    if (rt <= action_max_id) {
      if (set_matches) {
        // Network.cpp:130-195.
        switch (static_cast<rule_type>(rt)) {
          case rule_type::action_priority: {
            // 1.14 neither writes nor reads PRIORITY's field (Capability::serializeRules
            // emits length 0), so its bucket is the zeroed union's 0; a byte given here is
            // used. Above 8 means the default bucket (Network.cpp:133).
            const std::uint8_t b = field_u8(r, 0);
            out.qos_bucket = b <= 8 ? b : default_qos_bucket;
            out.verdict = rules_verdict::accept;
            out.rule_index = rn;
            return out;
          }
          case rule_type::action_drop:
            if (skip_drop) {  // Network.cpp:137: skipped once, the set stays true
              skip_drop = false;
              continue;
            }
            out.verdict = rules_verdict::drop;
            out.rule_index = rn;
            return out;
          case rule_type::action_accept:
            out.verdict = super_accept ? rules_verdict::super_accept : rules_verdict::accept;
            out.rule_index = rn;
            return out;
          case rule_type::action_tee:
          case rule_type::action_watch:
          case rule_type::action_redirect: {
            // Network.cpp:160-182. The 64-bit address field is used as a 40-bit Address.
            const zt_address fwd(field_be(r, 0, 8));
            if (fwd == fr.source) {
              // no-op: the source is the target
            } else if (fwd == fr.our_address) {
              if (fr.inbound) {
                out.verdict = rules_verdict::super_accept;
                out.rule_index = rn;
                return out;
              }
            } else if (fwd == out.dest) {
              // no-op: already going there
            } else if (static_cast<rule_type>(rt) == rule_type::action_redirect) {
              out.dest = fwd;
              out.verdict = rules_verdict::redirect;
              out.rule_index = rn;
              return out;
            } else {
              const auto length = static_cast<std::uint32_t>(field_be(r, 12, 2));
              const auto flen = static_cast<std::uint32_t>(len);
              out.copy_to = fwd;
              out.copy_length = length != 0 ? std::min(flen, length) : flen;
              out.copy_watch = static_cast<rule_type>(rt) == rule_type::action_watch;
              out.copy_rule_flags = static_cast<std::uint32_t>(field_be(r, 8, 4));
            }
            continue;  // the set stays true
          }
          case rule_type::action_break:
            out.verdict = rules_verdict::no_match;
            out.rule_index = rn;
            return out;
          default:
            continue;  // unknown actions are no-ops (and do not reset the set)
        }
      }
      // Network.cpp:197-218: the set did not match. Inbound, a TEE/WATCH/REDIRECT aimed at us
      // makes a later ACCEPT a super-accept.
      if (fr.inbound && (rt == static_cast<std::uint8_t>(rule_type::action_tee) ||
                         rt == static_cast<std::uint8_t>(rule_type::action_watch) ||
                         rt == static_cast<std::uint8_t>(rule_type::action_redirect))) {
        if (zt_address(field_be(r, 0, 8)) == fr.our_address) super_accept = true;
      }
      set_matches = 1;
      continue;
    }

    // Network.cpp:221-226: an AND cannot make a false set true, so it is not evaluated.
    if (!set_matches && (r.t & wire::rule::or_bit) == 0) continue;

    const std::uint8_t not_bit = static_cast<std::uint8_t>(r.t >> 7);
    // "Hard" answers ignore the NOT bit: after the final XOR, yes is 1 and no is 0.
    const std::uint8_t hard_yes = not_bit ^ 1;
    const std::uint8_t hard_no = not_bit;
    std::uint8_t m = 0;

    switch (static_cast<rule_type>(rt)) {
      case rule_type::match_source_zt_address:  // Network.cpp:234
        m = field_be(r, 0, 5) == fr.source.value();
        break;
      case rule_type::match_dest_zt_address:
        m = field_be(r, 0, 5) == fr.dest.value();
        break;
      case rule_type::match_vlan_id:
        m = static_cast<std::uint16_t>(field_be(r, 0, 2)) == fr.vlan_id;
        break;
      case rule_type::match_vlan_pcp:  // Network.cpp:243: not supported, matches a rule value of 0
      case rule_type::match_vlan_dei:
        m = field_u8(r, 0) == 0;
        break;
      case rule_type::match_mac_source:
        m = field_be(r, 0, 6) == fr.mac_source.to_u64();
        break;
      case rule_type::match_mac_dest:
        m = field_be(r, 0, 6) == fr.mac_dest.to_u64();
        break;
      case rule_type::match_ipv4_source:  // Network.cpp:257-270
      case rule_type::match_ipv4_dest:
        if (fr.ethertype == ethertype_ipv4 && len >= 20) {
          const std::size_t off = static_cast<rule_type>(rt) == rule_type::match_ipv4_source ? 12 : 16;
          m = ipv4_prefix_contains(static_cast<std::uint32_t>(field_be(r, 0, 4)), field_u8(r, 4),
                                   wire::load_be32(f.data() + off));
        } else {
          m = hard_no;
        }
        break;
      case rule_type::match_ipv6_source:  // Network.cpp:271-284
      case rule_type::match_ipv6_dest:
        if (fr.ethertype == ethertype_ipv6 && len >= 40) {
          std::uint8_t net[16];
          for (std::size_t i = 0; i < 16; ++i) net[i] = field_u8(r, i);
          const std::size_t off = static_cast<rule_type>(rt) == rule_type::match_ipv6_source ? 8 : 24;
          m = ipv6_prefix_contains(net, field_u8(r, 16), f.data() + off);
        } else {
          m = hard_no;
        }
        break;
      case rule_type::match_ip_tos: {  // Network.cpp:285-295: IPv4 TOS, IPv6 traffic class
        int tos = -1;
        if (fr.ethertype == ethertype_ipv4 && len >= 20) {
          tos = f[1];
        } else if (fr.ethertype == ethertype_ipv6 && len >= 40) {
          tos = ((f[0] << 4) & 0xf0) | ((f[1] >> 4) & 0x0f);
        }
        if (tos >= 0) {
          const int masked = tos & field_u8(r, 0);
          m = masked >= field_u8(r, 1) && masked <= field_u8(r, 2);
        } else {
          m = hard_no;
        }
        break;
      }
      case rule_type::match_ip_protocol:  // Network.cpp:296-310
        if (fr.ethertype == ethertype_ipv4 && len >= 20) {
          m = field_u8(r, 0) == f[9];
        } else if (fr.ethertype == ethertype_ipv6) {
          std::size_t pos = 0;
          unsigned proto = 0;
          m = ipv6_payload(f, pos, proto) ? std::uint8_t(field_u8(r, 0) == static_cast<std::uint8_t>(proto))
                                          : hard_no;
        } else {
          m = hard_no;
        }
        break;
      case rule_type::match_ethertype:
        m = static_cast<std::uint16_t>(field_be(r, 0, 2)) == fr.ethertype;
        break;
      case rule_type::match_icmp: {  // Network.cpp:314-356: [type][code][flags; 0x01 = check code]
        std::size_t at = 0;
        bool found = false;
        if (fr.ethertype == ethertype_ipv4 && len >= 20) {
          const std::size_t ihl = 4u * (f[0] & 0x0fu);
          if (f[9] == 0x01 && len >= ihl + 2) {
            at = ihl;
            found = true;
          }
        } else if (fr.ethertype == ethertype_ipv6) {
          std::size_t pos = 0;
          unsigned proto = 0;
          if (ipv6_payload(f, pos, proto) && proto == 0x3a && len >= pos + 2) {
            at = pos;
            found = true;
          }
        }
        if (!found || f[at] != field_u8(r, 0)) {
          m = hard_no;
        } else if ((field_u8(r, 2) & 0x01) != 0) {
          m = f[at + 1] == field_u8(r, 1);
        } else {
          m = hard_yes;
        }
        break;
      }
      case rule_type::match_ip_source_port_range:  // Network.cpp:357-401
      case rule_type::match_ip_dest_port_range: {
        const bool dest = static_cast<rule_type>(rt) == rule_type::match_ip_dest_port_range;
        const int lo = static_cast<int>(field_be(r, 0, 2));
        const int hi = static_cast<int>(field_be(r, 2, 2));
        if (fr.ethertype == ethertype_ipv4 && len >= 20) {
          // Not a port-carrying protocol: a plain no (the NOT bit applies).
          const int p = transport_port(f, 4u * (f[0] & 0x0fu), f[9], dest);
          m = p >= 0 && p >= lo && p <= hi;
        } else if (fr.ethertype == ethertype_ipv6) {
          std::size_t pos = 0;
          unsigned proto = 0;
          if (ipv6_payload(f, pos, proto)) {
            // 1.14 tests p > 0 here (p >= 0 for IPv4): port 0 never matches over IPv6.
            const int p = transport_port(f, pos, proto, dest);
            m = p > 0 && p >= lo && p <= hi;
          } else {
            m = hard_no;
          }
        } else {
          m = hard_no;
        }
        break;
      }
      case rule_type::match_characteristics:  // Network.cpp:402-451
        if (!characteristics) characteristics = frame_characteristics(fr, ctx);
        m = (*characteristics & field_be(r, 0, 8)) != 0;
        break;
      case rule_type::match_frame_size_range:  // the Ethernet payload's length
        m = len >= field_be(r, 0, 2) && len <= field_be(r, 2, 2);
        break;
      case rule_type::match_random:  // Network.cpp:456
        m = ctx.oracle != nullptr &&
            ctx.oracle->random32() <= static_cast<std::uint32_t>(field_be(r, 0, 4));
        break;
      case rule_type::match_tags_difference:  // Network.cpp:458-510
      case rule_type::match_tags_bitwise_and:
      case rule_type::match_tags_bitwise_or:
      case rule_type::match_tags_bitwise_xor:
      case rule_type::match_tags_equal: {
        const auto id = static_cast<std::uint32_t>(field_be(r, 0, 4));
        const auto want = static_cast<std::uint32_t>(field_be(r, 4, 4));
        const rule_tag* local = find_tag(ctx.local_tags, id);
        if (local == nullptr) {
          m = hard_no;
          break;
        }
        const rule_tag* remote = find_tag(ctx.remote_tags, id);
        if (remote != nullptr) {
          const std::uint32_t l = local->value, rv = remote->value;
          switch (static_cast<rule_type>(rt)) {
            case rule_type::match_tags_difference: m = (l > rv ? l - rv : rv - l) <= want; break;
            case rule_type::match_tags_bitwise_and: m = (l & rv) == want; break;
            case rule_type::match_tags_bitwise_or: m = (l | rv) == want; break;
            case rule_type::match_tags_bitwise_xor: m = (l ^ rv) == want; break;
            default: m = l == want && rv == want; break;  // tags_equal
          }
        } else if (fr.inbound && !super_accept) {
          m = hard_no;
        } else {
          // Outbound we may not know the receiver's tags yet (it filters inbound), and a
          // TEE/REDIRECT target likely does not have them: lenient.
          skip_drop = true;
          m = hard_yes;
        }
        break;
      }
      case rule_type::match_tag_sender:  // Network.cpp:511-556
      case rule_type::match_tag_receiver: {
        const auto id = static_cast<std::uint32_t>(field_be(r, 0, 4));
        const auto want = static_cast<std::uint32_t>(field_be(r, 4, 4));
        const bool sender = static_cast<rule_type>(rt) == rule_type::match_tag_sender;
        if (super_accept) {
          skip_drop = true;
          m = hard_yes;
        } else if (sender == fr.inbound) {
          // The peer's tag: the sender inbound, the receiver outbound.
          if (const rule_tag* remote = find_tag(ctx.remote_tags, id)) {
            m = remote->value == want;
          } else if (!sender) {
            skip_drop = true;  // outbound: the receiver's tag may not be known yet
            m = hard_yes;
          } else {
            m = hard_no;
          }
        } else {
          // Our own tag: sender outbound, receiver inbound.
          const rule_tag* local = find_tag(ctx.local_tags, id);
          m = local != nullptr ? std::uint8_t(local->value == want) : hard_no;
        }
        break;
      }
      case rule_type::match_integer_range: {  // Network.cpp:557-580
        // Wire: [8 start][8 end][2 idx][1 format]; 1.14 keeps end - start as a uint32
        // (Capability::deserializeRules) and compares against start + that (mod 2^64).
        const std::uint64_t start = field_be(r, 0, 8);
        const auto span32 = static_cast<std::uint32_t>(field_be(r, 8, 8) - start);
        const std::uint64_t v = frame_integer(f, static_cast<std::size_t>(field_be(r, 16, 2)), field_u8(r, 18));
        m = v >= start && v <= start + static_cast<std::uint64_t>(span32);
        break;
      }
      default:  // Network.cpp:582-586: types 16..23 and 52..63
        m = ctx.unsupported_match_result ? 1 : 0;
        break;
    }

    // Network.cpp:590-594.
    const std::uint8_t result = static_cast<std::uint8_t>((m ^ not_bit) & 1);
    if ((r.t & wire::rule::or_bit) != 0) {
      set_matches |= result;
    } else {
      set_matches &= result;
    }
  }
  return out;
}

namespace {

void add_copy(filter_result& out, zt_address to, std::uint8_t flags, std::uint32_t length) {
  if (out.copy_count < out.copies.size()) out.copies[out.copy_count++] = {to, flags, length};
}

// The shared body of filterOutgoingPacket (Network.cpp:690-812) and filterIncomingPacket
// (Network.cpp:814-931).
filter_result filter(std::span<const wire::rule> rules,
                     std::span<const wire::capability_credential> capabilities,
                     const rules_frame& frame_in, const rules_context& ctx, bool inbound, bool no_tee) {
  rules_frame fr = frame_in;
  fr.inbound = inbound;
  const std::uint8_t tee_flags = inbound ? 0x08 : 0x02;
  const std::uint8_t watch_flags = inbound ? 0x1c : 0x16;
  const std::uint8_t redirect_flags = inbound ? 0x0a : 0x04;
  const auto flen = static_cast<std::uint32_t>(fr.payload.size());

  filter_result out;
  const rules_pass base = evaluate_rules(rules, fr, ctx);
  out.base_verdict = base.verdict;
  out.qos_bucket = base.qos_bucket;
  zt_address final_dest = base.dest;
  int accept = 0;

  switch (base.verdict) {
    case rules_verdict::no_match:
      // Capabilities in turn; a DROP in one only ends that one (Network.cpp:718-751, 843-871).
      for (std::size_t c = 0; c < capabilities.size(); ++c) {
        const rules_pass cp = evaluate_rules(capabilities[c].rules, fr, ctx);
        switch (cp.verdict) {
          case rules_verdict::no_match:
          case rules_verdict::drop:
            break;
          case rules_verdict::redirect:
          case rules_verdict::accept:
            accept = 1;
            break;
          case rules_verdict::super_accept:
            // Outbound a capability's super-accept is a plain accept (Network.cpp:730).
            accept = inbound ? 2 : 1;
            break;
        }
        if (accept) {
          out.capability = c;
          final_dest = cp.dest;
          if (cp.qos_bucket) out.qos_bucket = cp.qos_bucket;
          if (!no_tee && cp.copy_to.value() != 0) {
            add_copy(out, cp.copy_to, cp.copy_watch ? watch_flags : tee_flags, cp.copy_length);
          }
          break;
        }
      }
      break;
    case rules_verdict::drop:
      return out;  // no copies, not even an earlier TEE's
    case rules_verdict::redirect:
    case rules_verdict::accept:
      accept = 1;
      break;
    case rules_verdict::super_accept:
      accept = 2;
      break;
  }

  if (!accept) return out;
  out.accepted = true;
  if (!no_tee && base.copy_to.value() != 0) {
    add_copy(out, base.copy_to, base.copy_watch ? watch_flags : tee_flags, base.copy_length);
  }
  if (final_dest != fr.dest && final_dest.value() != 0) {
    add_copy(out, final_dest, redirect_flags, flen);
    out.action = filter_action::drop;  // dropped locally: it went to the redirect target
    return out;
  }
  out.action = accept == 2 ? filter_action::super_accept : filter_action::accept;
  return out;
}

}  // namespace

filter_result filter_outgoing(std::span<const wire::rule> rules,
                              std::span<const wire::capability_credential> capabilities,
                              const rules_frame& frame, const rules_context& ctx, bool no_tee) {
  return filter(rules, capabilities, frame, ctx, false, no_tee);
}

filter_result filter_incoming(std::span<const wire::rule> rules,
                              std::span<const wire::capability_credential> sender_capabilities,
                              const rules_frame& frame, const rules_context& ctx) {
  return filter(rules, sender_capabilities, frame, ctx, true, false);
}

}  // namespace ztkit::ctrl
