// Fuzzes the rules engine (ctrl/network/rules_engine.h): a rule list and a capability's rule
// list parsed with wire::parse_rules, evaluated in both directions against a frame built from
// the rest of the input. Checks determinism and the result's invariants.
//
// Input: [2 base rules length L][L bytes][2 capability rules length C][C bytes]
//        [1 flags: 0x01 unsupported-match result, 0x02 no_tee][2 ethertype][2 VLAN]
//        [6 source MAC][6 dest MAC][5 our address][5 source][5 dest][8 random seed]
//        [1 local tag count a][1 remote tag count b][(a + b) x (4 id, 4 value)][payload...]
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "ctrl/network/rules_engine.h"
#include "engine/wire/bytes.h"
#include "engine/wire/rules.h"

using namespace ztkit;
using namespace ztkit::ctrl;

namespace {

std::vector<rule_tag> read_tags(wire::reader& r, std::size_t n) {
  std::vector<rule_tag> t;
  for (std::size_t i = 0; i < n && r.remaining() >= 8; ++i) t.push_back({r.be32(), r.be32()});
  std::stable_sort(t.begin(), t.end(), [](const rule_tag& a, const rule_tag& b) { return a.id < b.id; });
  return t;
}

void check(const filter_result& f, bool inbound, std::size_t payload_len) {
  if (f.copy_count > f.copies.size()) std::abort();
  for (const auto& c : f.copies_view()) {
    if (c.length > payload_len || c.to.value() == 0) std::abort();
  }
  if (f.action != filter_action::drop && !f.accepted) std::abort();
  if (f.base_verdict == rules_verdict::drop && (f.accepted || f.copy_count != 0)) std::abort();
  if (!inbound && f.action == filter_action::super_accept &&
      f.base_verdict != rules_verdict::super_accept)
    std::abort();
  if (f.qos_bucket && *f.qos_bucket > 8) std::abort();
  if (f.capability && f.base_verdict != rules_verdict::no_match) std::abort();
}

bool same(const filter_result& a, const filter_result& b) {
  return a.action == b.action && a.accepted == b.accepted && a.base_verdict == b.base_verdict &&
         a.capability == b.capability && a.copy_count == b.copy_count &&
         std::equal(a.copies.begin(), a.copies.begin() + static_cast<std::ptrdiff_t>(a.copy_count),
                    b.copies.begin()) &&
         a.qos_bucket == b.qos_bucket;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  wire::reader r({data, size});
  const std::size_t base_len = r.be16();
  wire::reader base_r(r.bytes(std::min<std::size_t>(base_len, r.remaining())));
  const std::size_t cap_len = r.be16();
  wire::reader cap_r(r.bytes(std::min<std::size_t>(cap_len, r.remaining())));
  auto base = wire::parse_rules(base_r, 1024);
  if (!base.ok()) return 0;
  auto cap_rules = wire::parse_rules(cap_r, wire::capability_credential::max_rules);
  std::vector<wire::capability_credential> caps(1);
  if (cap_rules.ok()) caps[0].rules = std::move(*cap_rules);

  const std::uint8_t flags = r.u8();
  rules_frame fr;
  fr.ethertype = r.be16();
  fr.vlan_id = r.be16();
  r.copy(fr.mac_source.bytes.data(), 6);
  r.copy(fr.mac_dest.bytes.data(), 6);
  fr.our_address = zt_address(r.be40());
  fr.source = zt_address(r.be40());
  fr.dest = zt_address(r.be40());
  const std::uint64_t seed = r.be64();
  const std::size_t local_n = r.u8() % 9, remote_n = r.u8() % 9;
  if (!r.ok()) return 0;
  const auto local = read_tags(r, local_n);
  const auto remote = read_tags(r, remote_n);
  const auto payload = r.rest();
  fr.payload = payload;

  for (const bool inbound : {false, true}) {
    coo_rules_oracle o1({}, seed), o2({}, seed);
    rules_context c{.local_tags = local, .remote_tags = remote,
                    .unsupported_match_result = (flags & 1) != 0, .oracle = &o1};
    const bool no_tee = (flags & 2) != 0;
    const filter_result a = inbound ? filter_incoming(*base, caps, fr, c)
                                    : filter_outgoing(*base, caps, fr, c, no_tee);
    check(a, inbound, payload.size());
    c.oracle = &o2;
    const filter_result b = inbound ? filter_incoming(*base, caps, fr, c)
                                    : filter_outgoing(*base, caps, fr, c, no_tee);
    if (!same(a, b)) std::abort();
    // A single pass agrees with the filter's view of the base rules.
    coo_rules_oracle o3({}, seed);
    c.oracle = &o3;
    fr.inbound = inbound;
    const rules_pass p = evaluate_rules(*base, fr, c);
    if (p.verdict != a.base_verdict) std::abort();
    if (p.rule_index > base->size()) std::abort();
    if (p.copy_length > payload.size()) std::abort();
  }
  return 0;
}
