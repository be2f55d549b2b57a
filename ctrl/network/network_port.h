// The Ethernet side of one joined network: ZeroTier's virtual switch port (ZeroTierOne 1.14
// Switch::onLocalEthernet, IncomingPacket _doFRAME/_doEXT_FRAME/_doMULTICAST_FRAME/
// _doMULTICAST_LIKE/_doMULTICAST_GATHER/_doNETWORK_CREDENTIALS, Network::gate,
// Network::_announceMulticastGroups, Multicaster::send; zerotier-protocol.md §3, §5.5, §6).
// Pure: every call takes `now` (ms); verbs leave through network_io; Ethernet frames for the
// local stack leave through the `deliver` callback, synchronously and borrowed for the call.
//
// Inbound (verbs from authenticated peers, already routed to this network by its ID):
//   FRAME / EXT_FRAME / MULTICAST_FRAME pass the gate (public network, or the sender showed a
//   COM that agrees with ours); otherwise ERROR(NEED_MEMBERSHIP_CERTIFICATE) goes back (at most
//   1/s per peer) and the frame is parked for park_ms (1.14's RX queue retry) and delivered if
//   the sender's COM arrives meanwhile. Then 1.14's MAC checks (no bridging: a foreign source
//   MAC is dropped; EXT_FRAME to a MAC not ours is dropped), the rules (when set), delivery.
//   NETWORK_CREDENTIALS go to the membership table; MULTICAST_LIKE from gated members fills the
//   multicast directory; OK(MULTICAST_GATHER) and OK(MULTICAST_FRAME) gather results too.
// Outbound (Ethernet frames from the local stack):
//   unicast to a member MAC -> FRAME (our COM pushed first when needed); multicast/broadcast ->
//   MULTICAST_FRAME to up to `ml` known subscribers, with MULTICAST_GATHER to the best root and
//   the controller while fewer are known (at most every 60 s per group unless none are known),
//   the frame kept for 5 s and sent to members as they are learned. ARP requests go to the
//   group (broadcast, ADI = target IPv4) even when broadcast is disabled (§6.2).
// Announcements: our groups (broadcast if enabled, the ARP group of each IPv4, the NDP
//   solicited-node group of each IPv6) are LIKEd to the controller and the roots at once when
//   the config (addresses) changes, and every 60 s; to each member peer that passes the gate
//   once when first seen and every 60 s while it is active.
//
// Rules: every frame in and out goes through the config's rules and capabilities as 1.14's
// filterIncomingPacket/filterOutgoingPacket (per recipient for multicast); TEE/WATCH/REDIRECT
// copies leave as EXT_FRAME with 1.14's flags. An optional extra filter (set_filter) runs after.
//
// The peer's side of the rules: its tags, capabilities and certificates of ownership as it
// presented them (NETWORK_CREDENTIALS, checked and kept by the membership table).
//
// Not done (1.14 does): bridging (active bridges, EXT_FRAME for foreign MACs), multicast
// replicators and anchors, revocations, QoS buckets, NDP emulation for rfc4193/6plane
// addresses.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "ctrl/network/membership.h"
#include "ctrl/network/multicast_directory.h"
#include "ctrl/network/network_io.h"
#include "ctrl/network/rules_engine.h"
#include "engine/wire/mac.h"
#include "engine/wire/network_config.h"
#include "engine/wire/verbs.h"

namespace ztkit::ctrl {

struct network_port_counters {
  std::uint64_t rx_frames = 0;            // delivered to the stack (unicast and multicast)
  std::uint64_t rx_multicast = 0;         // of which MULTICAST_FRAME
  std::uint64_t rx_no_config = 0;         // before any config: dropped
  std::uint64_t rx_gated = 0;             // no valid COM from the sender: parked
  std::uint64_t rx_parked_delivered = 0;  // parked, then the COM came
  std::uint64_t rx_parked_dropped = 0;    // parked and expired, or the park was full
  std::uint64_t rx_malformed = 0;
  std::uint64_t rx_bad_mac = 0;           // zero/our/foreign source, unicast group, not for us
  std::uint64_t rx_filtered = 0;          // dropped by the rules or multicast disabled
  std::uint64_t rule_copies_sent = 0;     // TEE/WATCH/REDIRECT EXT_FRAMEs
  std::uint64_t tx_frames = 0;            // FRAMEs sent
  std::uint64_t tx_multicast_copies = 0;  // MULTICAST_FRAMEs sent
  std::uint64_t tx_gathers = 0;
  std::uint64_t tx_dropped = 0;           // no config, bridging, broadcast off, ml 0, rules
  std::uint64_t tx_malformed = 0;         // not an Ethernet frame, or too large
  std::uint64_t tx_multicast_expired = 0; // kept 5 s without reaching `ml` members
  std::uint64_t likes_sent = 0;
  std::uint64_t likes_received = 0;
  std::uint64_t credentials_pushed = 0;
  std::uint64_t need_certificate_sent = 0;
};

// An extra verdict after the network's rules (true = pass): `inbound`, the peer on the other
// end, the Ethernet header parts and payload.
using port_filter = std::function<bool(bool inbound, zt_address peer, const wire::mac_address& src,
                                       const wire::mac_address& dst, std::uint16_t ethertype,
                                       std::span<const std::uint8_t> payload)>;

struct network_port_options {
  std::size_t max_parked = 64;            // frames waiting for a COM
  std::int64_t park_ms = 5000;            // 1.14 RX queue retry window
  std::size_t max_pending_multicasts = 64;
  std::int64_t multicast_timeout_ms = 5000;   // ZT_MULTICAST_TRANSMIT_TIMEOUT
  std::int64_t gather_interval_ms = 60000;    // ZT_MULTICAST_EXPLICIT_GATHER_DELAY
  std::int64_t announce_interval_ms = 60000;  // ZT_MULTICAST_ANNOUNCE_PERIOD
  std::uint64_t seed = 1;                     // shuffles multicast recipients
  multicast_directory_limits directory;
  membership_limits membership;
};

class network_port {
 public:
  using options = network_port_options;
  using deliver_fn = std::function<void(std::span<const std::uint8_t> ethernet_frame)>;
  static constexpr std::size_t max_frame = 14 + wire::network_config::max_mtu;

  network_port(std::uint64_t nwid, zt_address self, network_io& io, deliver_fn deliver,
               options opt = {});

  std::uint64_t network_id() const { return nwid_; }
  zt_address controller() const { return zt_address(nwid_ >> 24); }
  wire::mac_address mac() const { return mac_; }

  // A new config is in force (from network_member). Re-announces our groups if they changed.
  void set_config(std::int64_t now, std::shared_ptr<const wire::network_config> config);
  const wire::network_config* config() const { return config_.get(); }
  // The roots, best first (GATHER goes to the first, LIKEs to all). Set on every tick; a root
  // not in the previous list hears our groups at once.
  void set_upstreams(std::int64_t now, std::vector<zt_address> upstreams);
  void set_filter(port_filter f) { filter_ = std::move(f); }
  // Extra groups to subscribe to (beyond those derived from the config's addresses).
  void set_extra_groups(std::int64_t now, std::vector<wire::multicast_group> groups);
  // The groups we subscribe to now.
  const std::vector<wire::multicast_group>& groups() const { return groups_; }

  // ---- Inbound verbs (payloads as received; `packet_id` of the packet) ----
  void on_frame(std::int64_t now, zt_address from, std::uint64_t packet_id,
                const wire::frame_payload& f);
  void on_ext_frame(std::int64_t now, zt_address from, std::uint64_t packet_id,
                    const wire::ext_frame_payload& f);
  void on_multicast_frame(std::int64_t now, zt_address from, std::uint64_t packet_id,
                          const wire::multicast_frame_payload& f);
  void on_credentials(std::int64_t now, zt_address from,
                      const wire::network_credentials_payload& p);
  // One MULTICAST_LIKE entry for this network.
  void on_multicast_like(std::int64_t now, zt_address from, const wire::multicast_group& g);
  void on_multicast_gather(std::int64_t now, zt_address from, std::uint64_t packet_id,
                           const wire::multicast_gather_payload& g);
  void on_gather_results(std::int64_t now, zt_address from, const wire::multicast_group& g,
                         std::span<const zt_address> members);
  // ERROR(NEED_MEMBERSHIP_CERTIFICATE) for this network from `from`.
  void on_need_certificate(std::int64_t now, zt_address from);

  // ---- Outbound: one Ethernet frame [6 dst][6 src][2 ethertype][payload] from the stack ----
  void send_ethernet(std::int64_t now, std::span<const std::uint8_t> frame);

  // Re-announcements, parked and pending expiry, directory expiry.
  void on_tick(std::int64_t now);

  const network_port_counters& counters() const { return counters_; }
  const membership_table& memberships() const { return members_; }
  const multicast_directory& directory() const { return directory_; }
  bool gate(zt_address peer) const;

 private:
  struct parked_frame {
    zt_address from;
    std::int64_t expires = 0;
    std::vector<std::uint8_t> frame;  // the Ethernet frame to deliver
  };
  struct pending_multicast {
    wire::multicast_group group;
    std::int64_t expires = 0;
    std::uint32_t limit = 0;
    std::vector<zt_address> sent_to;
    std::vector<std::uint8_t> frame;  // [ethertype 2][payload]
  };

  // Builds [dst][src][ethertype][payload] in the scratch buffer and hands it to the stack.
  void deliver(const wire::mac_address& dst, const wire::mac_address& src, std::uint16_t ethertype,
               std::span<const std::uint8_t> payload);
  void park(std::int64_t now, zt_address from, const wire::mac_address& dst,
            const wire::mac_address& src, std::uint16_t ethertype,
            std::span<const std::uint8_t> payload);
  void need_certificate(std::int64_t now, zt_address to, wire::verb in_re, std::uint64_t packet_id);
  void push_credentials_if_needed(std::int64_t now, zt_address to);
  bool send_multicast_copy(std::int64_t now, zt_address to, const wire::multicast_group& g,
                           std::uint32_t gather_limit, std::uint16_t ethertype,
                           std::span<const std::uint8_t> payload);
  void send_multicast(std::int64_t now, const wire::multicast_group& g, std::uint16_t ethertype,
                      std::span<const std::uint8_t> payload);
  void send_gather(std::int64_t now, zt_address to, const wire::multicast_group& g,
                   std::uint32_t limit);
  // New subscribers of `g` get the pending multicasts of `g`.
  void flush_pending(std::int64_t now, const wire::multicast_group& g);
  void recompute_groups(std::int64_t now);
  void announce_to(std::int64_t now, zt_address to);
  void announce_all(std::int64_t now);
  bool filtered(std::int64_t now, bool inbound, zt_address peer, const wire::mac_address& src,
                const wire::mac_address& dst, std::uint16_t ethertype,
                std::span<const std::uint8_t> payload);
  void send_rule_copies(std::int64_t now, const filter_result& r, const wire::mac_address& src,
                        const wire::mac_address& dst, std::uint16_t ethertype,
                        std::span<const std::uint8_t> payload);

  std::uint64_t nwid_;
  zt_address self_;
  wire::mac_address mac_;
  network_io& io_;
  deliver_fn deliver_;
  options opt_;
  port_filter filter_;
  std::shared_ptr<const wire::network_config> config_;
  std::vector<zt_address> upstreams_;
  std::vector<wire::multicast_group> groups_, extra_groups_;
  std::vector<rule_tag> local_tags_;  // our tags from the config, sorted for the rules
  membership_table members_;
  multicast_directory directory_;
  std::deque<parked_frame> parked_;
  std::deque<pending_multicast> pending_;
  std::map<wire::multicast_group, std::int64_t> last_gather_;
  std::map<zt_address, std::int64_t> last_need_certificate_;
  std::map<zt_address, std::int64_t> announced_to_;  // member peer -> last LIKE sent
  std::int64_t last_announce_ = 0;
  std::uint64_t rng_;
  std::vector<std::uint8_t> scratch_;  // one frame or verb payload, sized once
  std::vector<zt_address> pick_;       // recipients, reused
  network_port_counters counters_;
};

}  // namespace ztkit::ctrl
