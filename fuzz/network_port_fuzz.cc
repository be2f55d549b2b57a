// libFuzzer target: the Ethernet side of a joined network (ctrl/network/network_port.h) fed
// with hostile verbs and frames. The input is a sequence of records [1 kind][2 length][bytes]:
// kind selects FRAME, EXT_FRAME, MULTICAST_FRAME, NETWORK_CREDENTIALS, MULTICAST_LIKE,
// MULTICAST_GATHER, OK(GATHER) results, NEED_MEMBERSHIP_CERTIFICATE, an outbound Ethernet frame
// from the stack, or a clock tick; payloads go through the real verb parsers first, as the
// node's dispatch does. The port must never crash, and its queues stay within their bounds.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "ctrl/network/network_port.h"
#include "engine/wire/bytes.h"

namespace {

using namespace ztkit;

struct null_io final : ctrl::network_io {
  std::size_t sent = 0;
  bool send_verb(std::int64_t, zt_address, wire::verb, std::span<const std::uint8_t>, bool) override {
    ++sent;
    return true;
  }
  const crypto::identity* identity_of(zt_address) override { return nullptr; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  constexpr std::uint64_t nwid = 0x8056c2e21c0000a1ULL;
  const zt_address self(0x1122334455ULL);
  null_io io;
  std::size_t delivered = 0;
  ctrl::network_port::options opt;
  opt.max_parked = 8;
  opt.max_pending_multicasts = 8;
  ctrl::network_port port(nwid, self, io, [&](std::span<const std::uint8_t> f) {
    if (f.size() < 14 || f.size() > ctrl::network_port::max_frame) __builtin_trap();
    ++delivered;
  }, opt);
  auto cfg = std::make_shared<wire::network_config>();
  cfg->network_id = nwid;
  cfg->type = (size > 0 && (data[0] & 1)) ? wire::network_config::type_private
                                          : wire::network_config::type_public;
  cfg->flags = wire::network_config::flag_enable_broadcast;
  cfg->multicast_limit = 4;
  cfg->static_ips.push_back(wire::inet_address::v4({10, 1, 2, 3}, 24));
  cfg->rules.push_back(wire::rule::action(wire::rule_type::action_accept));
  port.set_config(1000, cfg);
  port.set_upstreams(1000, {zt_address(0x9999999999ULL)});

  std::int64_t now = 1000;
  std::size_t at = 1;
  while (at + 3 <= size) {
    const std::uint8_t kind = data[at];
    const std::size_t len = std::min<std::size_t>(wire::load_be16(data + at + 1), size - at - 3);
    const std::span<const std::uint8_t> body(data + at + 3, len);
    at += 3 + len;
    const zt_address from(0xa000000000ULL + (kind >> 4));
    wire::reader r(body);
    switch (kind & 0x0f) {
      case 0: if (auto p = wire::frame_payload::parse(r); p.ok()) port.on_frame(now, from, now, *p); break;
      case 1: if (auto p = wire::ext_frame_payload::parse(r); p.ok()) port.on_ext_frame(now, from, now, *p); break;
      case 2: if (auto p = wire::multicast_frame_payload::parse(r); p.ok()) port.on_multicast_frame(now, from, now, *p); break;
      case 3: if (auto p = wire::network_credentials_payload::parse(r); p.ok()) port.on_credentials(now, from, *p); break;
      case 4:
        if (auto p = wire::multicast_like_payload::parse(r); p.ok())
          for (const auto& e : p->entries) port.on_multicast_like(now, from, e.group);
        break;
      case 5: if (auto p = wire::multicast_gather_payload::parse(r); p.ok()) port.on_multicast_gather(now, from, now, *p); break;
      case 6:
        if (auto p = wire::ok_multicast_gather::parse(r); p.ok()) {
          std::vector<zt_address> m(p->members.begin(), p->members.end());
          port.on_gather_results(now, from, p->group, m);
        }
        break;
      case 7: port.on_need_certificate(now, from); break;
      case 8: port.send_ethernet(now, body); break;
      case 9: now += 1 + (len * 97); port.on_tick(now); break;
      default: break;
    }
  }
  return 0;
}
