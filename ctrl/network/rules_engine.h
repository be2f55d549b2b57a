// The network rules engine: evaluates a rule list (and capabilities) against one Ethernet frame
// exactly as ZeroTierOne 1.14.1 does (node/Network.cpp: _doZtFilter, Network::
// filterOutgoingPacket, Network::filterIncomingPacket; include/ZeroTierOne.h rule and
// ZT_RULE_PACKET_CHARACTERISTICS_* definitions; zerotier-protocol.md §6.5).
//
// Pure: no I/O, no clock, no allocation per frame. Everything 1.14 reads from the Network object
// comes in as plain values: our tags and the peer's tags as id-sorted arrays, the "result of an
// unsupported match" netconf flag, and an oracle for what needs outside state (the random
// source of MATCH_RANDOM, certificate-of-ownership checks for the SENDER_*_AUTHENTICATED
// characteristics). Work is bounded by the rule count (and, for IPv6 extension headers, by the
// frame length).
//
// Semantics worth knowing (all as in 1.14):
//  - Rules are walked in order. Matches accumulate into the set's result, which starts true;
//    0x40 (OR) ORs a match into it, otherwise it is ANDed; 0x80 (NOT) inverts the match. An AND
//    match is not evaluated at all while the set is already false. An action whose set is true
//    is taken; an action whose set is false resets the set to true. Types 0..15 are actions
//    (7..15 unknown: no-ops that do not reset the set), 16..63 matches (unknown ones give the
//    netconf flag 0x08 value).
//  - Some matches answer "hard no"/"hard yes": true/false whatever the NOT bit says (an IPv4
//    rule against an ARP frame never matches, negated or not).
//  - Falling off the end is NO_MATCH; the filter then tries capabilities; nothing accepting
//    means drop. So an empty rule list drops everything.
//  - Tag matches that need a peer's tag we do not have are lenient outbound (and when we are a
//    TEE/REDIRECT target): they match and the next DROP taken is skipped once.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "engine/base/zt_address.h"
#include "engine/wire/credentials.h"
#include "engine/wire/mac.h"
#include "engine/wire/rules.h"

namespace ztkit::ctrl {

// ZT_RULE_PACKET_CHARACTERISTICS_* (include/ZeroTierOne.h). Low 12 bits are the TCP flags.
namespace rule_characteristics {
inline constexpr std::uint64_t inbound = 0x8000000000000000ULL;
inline constexpr std::uint64_t multicast = 0x4000000000000000ULL;
inline constexpr std::uint64_t broadcast = 0x2000000000000000ULL;
inline constexpr std::uint64_t sender_ip_authenticated = 0x1000000000000000ULL;
inline constexpr std::uint64_t sender_mac_authenticated = 0x0800000000000000ULL;
inline constexpr std::uint64_t tcp_reserved_0 = 0x800, tcp_reserved_1 = 0x400, tcp_reserved_2 = 0x200;
inline constexpr std::uint64_t tcp_ns = 0x100, tcp_cwr = 0x80, tcp_ece = 0x40, tcp_urg = 0x20;
inline constexpr std::uint64_t tcp_ack = 0x10, tcp_psh = 0x08, tcp_rst = 0x04, tcp_syn = 0x02;
inline constexpr std::uint64_t tcp_fin = 0x01;
}  // namespace rule_characteristics

// QoS bucket 1.14 uses when ACTION_PRIORITY names one above 8 (ZT_AQM_DEFAULT_BUCKET).
inline constexpr std::uint8_t default_qos_bucket = 4;

// One tag as the rules see it. Arrays of these must be sorted by id (1.14 looks ours up with
// std::lower_bound over the config's sorted tags; a duplicate id resolves to the first).
struct rule_tag {
  std::uint32_t id = 0;
  std::uint32_t value = 0;
  bool operator==(const rule_tag&) const = default;
};

// The (id, value) pairs of `tags`, sorted by id (stable, so the first of duplicates wins).
std::vector<rule_tag> rule_tags_of(std::span<const wire::tag_credential> tags);

// What the evaluator has to ask its caller. Called only when a rule needs the answer.
class rules_oracle {
 public:
  // Node::prng() & 0xffffffff: MATCH_RANDOM matches when this is <= the rule's probability.
  // Called once per evaluated MATCH_RANDOM rule (not for short-circuited ones), as in 1.14.
  virtual std::uint32_t random32() = 0;
  // Does the frame's sender hold a valid certificate of ownership for this IP (4 or 16 bytes,
  // network order) / MAC? Inbound 1.14 asks the sender's Membership (valid COOs, plus IPv6
  // NDP emulation: Membership::hasCertificateOfOwnershipFor); outbound it asks our own config's
  // COOs. Used only by MATCH_CHARACTERISTICS (SENDER_IP/MAC_AUTHENTICATED).
  virtual bool sender_owns_ip(std::span<const std::uint8_t> ip) = 0;
  virtual bool sender_owns_mac(const wire::mac_address& mac) = 0;

 protected:
  ~rules_oracle() = default;
};

// CertificateOfOwnership::owns: some thing of type `type` whose first value.size() bytes equal
// `value` (IPv4: 4, MAC: 6, IPv6: 16).
bool coo_owns(const wire::certificate_of_ownership& coo,
              wire::certificate_of_ownership::thing type, std::span<const std::uint8_t> value);

// A ready oracle: ownership from a list of (already validated) COOs, randomness from a seeded
// xorshift64* (deterministic, for tests and the fuzzer; a node passes its own PRNG).
class coo_rules_oracle final : public rules_oracle {
 public:
  explicit coo_rules_oracle(std::span<const wire::certificate_of_ownership> coos = {},
                            std::uint64_t seed = 0x9e3779b97f4a7c15ULL)
      : coos_(coos), state_(seed == 0 ? 1 : seed) {}
  std::uint32_t random32() override;
  bool sender_owns_ip(std::span<const std::uint8_t> ip) override;
  bool sender_owns_mac(const wire::mac_address& mac) override;

 private:
  std::span<const wire::certificate_of_ownership> coos_;
  std::uint64_t state_;
};

// The frame as _doZtFilter sees it.
struct rules_frame {
  bool inbound = false;      // filterIncomingPacket (true) or filterOutgoingPacket (false)
  zt_address our_address;    // RR->identity.address()
  zt_address source;         // ztSource (inbound: the sending peer)
  zt_address dest;           // ztDest (zero for multicast sends)
  wire::mac_address mac_source;
  wire::mac_address mac_dest;  // multicast/broadcast characteristics come from this, as in 1.14
  std::uint16_t ethertype = 0;
  std::uint16_t vlan_id = 0;   // 1.14's Switch always passes 0
  std::span<const std::uint8_t> payload;  // the Ethernet payload (frameData, frameLen)
};

// What the rules read besides the frame and the rule list.
struct rules_context {
  std::span<const rule_tag> local_tags;   // our tags (nconf.tags), sorted by id
  // The peer's valid tags, sorted by id (Membership::getTag): the sender's when inbound, the
  // receiver's (ztDest's membership) when outbound; empty when unknown or no membership.
  std::span<const rule_tag> remote_tags;
  bool unsupported_match_result = false;  // netconf flag 0x08 (RULES_RESULT_OF_UNSUPPORTED_MATCH)
  // Asked by MATCH_RANDOM and MATCH_CHARACTERISTICS. Without one, MATCH_RANDOM never matches
  // and no sender counts as IP/MAC authenticated (except for NDP solicitations, as in 1.14).
  rules_oracle* oracle = nullptr;
};

// _doZtFilterResult.
enum class rules_verdict : std::uint8_t { no_match, drop, redirect, accept, super_accept };

// One pass of _doZtFilter over one rule list.
struct rules_pass {
  rules_verdict verdict = rules_verdict::no_match;
  // The action that decided (BREAK included), or the list's size when evaluation fell off the
  // end.
  std::size_t rule_index = 0;
  zt_address dest;  // ztDest, replaced by the target on a redirect
  // `cc`, `ccLength`, `ccWatch`: the last TEE/WATCH taken. 1.14 sends it only if the address is
  // non-zero (a TEE to address 0 is recorded and then not sent).
  zt_address copy_to;
  std::uint32_t copy_length = 0;  // bytes of payload: the rule's length capped at the frame's,
                                  // or the whole payload when the rule says 0
  bool copy_watch = false;
  std::uint32_t copy_rule_flags = 0;  // the TEE/WATCH rule's 32-bit flags field (1.14 ignores it)
  // ACTION_PRIORITY's bucket (values above 8 become 4).
  std::optional<std::uint8_t> qos_bucket;
};

// _doZtFilter: evaluates `rules` against `frame`.
rules_pass evaluate_rules(std::span<const wire::rule> rules, const rules_frame& frame,
                          const rules_context& ctx);

// A copy of the frame 1.14 sends as EXT_FRAME because of a rule.
struct rules_copy {
  zt_address to;
  std::uint8_t ext_frame_flags = 0;  // 0x02 TEE / 0x16 WATCH / 0x04 REDIRECT outbound,
                                     // 0x08 TEE / 0x1c WATCH / 0x0a REDIRECT inbound
  std::uint32_t length = 0;          // bytes of the payload to include
  bool operator==(const rules_copy&) const = default;
};

// What filterOutgoingPacket / filterIncomingPacket decide.
enum class filter_action : std::uint8_t { drop = 0, accept = 1, super_accept = 2 };

struct filter_result {
  // What 1.14 returns: outbound true = accept; inbound 0/1/2. A redirected frame is dropped
  // locally (action drop) after its REDIRECT copy is sent.
  filter_action action = filter_action::drop;
  // Accepted by the base rules or a capability (before the redirect turns it into a local
  // drop): 1.14's `accept` counter.
  bool accepted = false;
  rules_verdict base_verdict = rules_verdict::no_match;
  // The capability whose rules accepted (index into the list given), if any.
  std::optional<std::size_t> capability;
  // EXT_FRAMEs to send, in 1.14's order: the capability's TEE, the base rules' TEE, the
  // REDIRECT. At most three.
  std::array<rules_copy, 3> copies{};
  std::size_t copy_count = 0;
  std::span<const rules_copy> copies_view() const { return {copies.data(), copy_count}; }
  // ACTION_PRIORITY's bucket when one was taken (outbound: what 1.14 hands the AQM).
  std::optional<std::uint8_t> qos_bucket;
};

// Network::filterOutgoingPacket: our config's rules, then (if they fall through) our
// capabilities in order; the first capability that accepts (or redirects) wins, a DROP inside
// a capability only ends that capability. `no_tee` suppresses TEE/WATCH copies.
// `frame.inbound` is ignored (treated as false).
filter_result filter_outgoing(std::span<const wire::rule> rules,
                              std::span<const wire::capability_credential> capabilities,
                              const rules_frame& frame, const rules_context& ctx,
                              bool no_tee = false);

// Network::filterIncomingPacket: the same with the sender's valid capabilities (as presented in
// its membership; 1.14 walks them in hash-table order, here in the order given).
// `frame.inbound` is ignored (treated as true); `frame.source` is the sending peer.
filter_result filter_incoming(std::span<const wire::rule> rules,
                              std::span<const wire::capability_credential> sender_capabilities,
                              const rules_frame& frame, const rules_context& ctx);

}  // namespace ztkit::ctrl
