#include "ctrl/network/network_port.h"

#include <algorithm>

#include "engine/wire/bytes.h"

namespace ztkit::ctrl {

namespace {

constexpr std::uint16_t ethertype_arp = 0x0806;

// Switch::onLocalEthernet: an IPv4 ARP request to broadcast goes to the group (broadcast,
// ADI = target IPv4) so only the owner of that address hears it (§6.2).
std::optional<std::uint32_t> arp_request_target(std::uint16_t ethertype,
                                                std::span<const std::uint8_t> p) {
  if (ethertype != ethertype_arp || p.size() < 28) return std::nullopt;
  if (p[2] != 0x08 || p[3] != 0x00 || p[4] != 6 || p[5] != 4 || p[7] != 1) return std::nullopt;
  return wire::load_be32(p.data() + 24);
}

bool contains(const std::vector<zt_address>& v, zt_address a) {
  return std::find(v.begin(), v.end(), a) != v.end();
}

}  // namespace

network_port::network_port(std::uint64_t nwid, zt_address self, network_io& io, deliver_fn deliver,
                           options opt)
    : nwid_(nwid),
      self_(self),
      mac_(wire::mac_from_address(self, nwid)),
      io_(io),
      deliver_(std::move(deliver)),
      opt_(opt),
      members_(nwid, zt_address(nwid >> 24), opt.membership),
      directory_(opt.directory),
      rng_(opt.seed ^ nwid) {
  scratch_.resize(max_frame + 64);
}

// ---- Configuration and announcements ------------------------------------------------------------

void network_port::set_config(std::int64_t now,
                              std::shared_ptr<const wire::network_config> config) {
  config_ = std::move(config);
  local_tags_ = config_ ? rule_tags_of(config_->tags) : std::vector<rule_tag>{};
  members_.on_config_update(now);  // every peer gets our (new) COM again
  recompute_groups(now);
}

void network_port::set_upstreams(std::int64_t now, std::vector<zt_address> upstreams) {
  std::vector<zt_address> fresh;
  for (zt_address u : upstreams)
    if (!contains(upstreams_, u) && u != controller()) fresh.push_back(u);
  upstreams_ = std::move(upstreams);
  if (config_)
    for (zt_address u : fresh) announce_to(now, u);
}

void network_port::set_extra_groups(std::int64_t now, std::vector<wire::multicast_group> groups) {
  extra_groups_ = std::move(groups);
  recompute_groups(now);
}

void network_port::recompute_groups(std::int64_t now) {
  std::vector<wire::multicast_group> g = extra_groups_;
  if (config_) {
    if (config_->enable_broadcast()) g.push_back(wire::multicast_group::broadcast());
    for (const auto& ip : config_->static_ips)
      if (auto rg = wire::multicast_group::for_address_resolution(ip)) g.push_back(*rg);
  }
  std::sort(g.begin(), g.end());
  g.erase(std::unique(g.begin(), g.end()), g.end());
  if (g == groups_) return;
  groups_ = std::move(g);
  // Fast join: announce now, not at the next 60 s period (1.14 waits for its timer).
  announce_all(now);
}

void network_port::announce_to(std::int64_t now, zt_address to) {
  if (groups_.empty() || to == self_) return;
  // [8 nwid][6 MAC][4 ADI] per group; 1.14 splits below 10024 bytes, and so do we.
  constexpr std::size_t tuple = 8 + wire::multicast_group::wire_bytes;
  const std::size_t per_packet = 10000 / tuple;
  for (std::size_t i = 0; i < groups_.size(); i += per_packet) {
    const std::size_t n = std::min(per_packet, groups_.size() - i);
    wire::writer w(std::span<std::uint8_t>(scratch_.data(), n * tuple));
    for (std::size_t k = 0; k < n; ++k) {
      w.be64(nwid_);
      groups_[i + k].emit(w);
    }
    io_.send_verb(now, to, wire::verb::multicast_like, std::span(scratch_.data(), w.size()), true);
    ++counters_.likes_sent;
  }
}

void network_port::announce_all(std::int64_t now) {
  if (!config_) return;
  last_announce_ = now;
  // The controller and every root hold the directory (§6.4).
  announce_to(now, controller());
  for (zt_address u : upstreams_)
    if (u != controller()) announce_to(now, u);
  // Member peers we talk to; credentials first, as 1.14's _announceMulticastGroupsTo.
  for (auto& [peer, at] : announced_to_) {
    if (peer == controller() || contains(upstreams_, peer)) continue;
    push_credentials_if_needed(now, peer);
    announce_to(now, peer);
    at = now;
  }
}

// ---- Gate and credentials -----------------------------------------------------------------------

bool network_port::gate(zt_address peer) const {
  if (!config_) return false;
  if (!config_->is_private()) return true;
  const crypto::identity* id = io_.identity_of(peer);
  return id != nullptr && members_.allowed(*id, config_.get());
}

void network_port::push_credentials_if_needed(std::int64_t now, zt_address to) {
  if (!config_) return;
  if (auto p = members_.credentials_to_push(now, to, *config_)) {
    io_.send_verb(now, to, wire::verb::network_credentials, *p, true);
    ++counters_.credentials_pushed;
  }
}

void network_port::need_certificate(std::int64_t now, zt_address to, wire::verb in_re,
                                    std::uint64_t packet_id) {
  auto& last = last_need_certificate_[to];
  if (last != 0 && now - last < 1000) return;
  last = now;
  wire::error_payload e;
  e.in_re_verb = static_cast<std::uint8_t>(in_re);
  e.in_re_packet_id = packet_id;
  e.code = static_cast<std::uint8_t>(wire::error_code::need_membership_certificate);
  e.network_id = nwid_;
  io_.send_verb(now, to, wire::verb::error, wire::emit_payload(e), false);
  ++counters_.need_certificate_sent;
}

void network_port::on_credentials(std::int64_t now, zt_address from,
                                  const wire::network_credentials_payload& p) {
  const crypto::identity* id = io_.identity_of(from);
  if (id == nullptr) return;
  const credentials_result r =
      members_.on_credentials(now, *id, p, io_.identity_of(controller()), config_.get());
  // The controller's identity is needed to check the COM: ask for it (the sender pushes again
  // when we next ask it for credentials, at most once a second while it sends us frames).
  if (r.need_controller_identity()) io_.resolve(now, controller());
  if (!gate(from)) return;
  // Frames parked for this sender pass now (1.14 retries its RX queue).
  for (auto it = parked_.begin(); it != parked_.end();) {
    if (it->from != from) {
      ++it;
      continue;
    }
    deliver_(it->frame);
    ++counters_.rx_frames;
    ++counters_.rx_parked_delivered;
    it = parked_.erase(it);
  }
}

void network_port::on_need_certificate(std::int64_t now, zt_address from) {
  if (!config_) return;
  if (auto p = members_.on_need_certificate(now, from, *config_)) {
    io_.send_verb(now, from, wire::verb::network_credentials, *p, true);
    ++counters_.credentials_pushed;
  }
}

// ---- Inbound frames -----------------------------------------------------------------------------

void network_port::deliver(const wire::mac_address& dst, const wire::mac_address& src,
                           std::uint16_t ethertype, std::span<const std::uint8_t> payload) {
  if (payload.size() > scratch_.size() - 14) {
    ++counters_.rx_malformed;
    return;
  }
  std::copy(dst.bytes.begin(), dst.bytes.end(), scratch_.begin());
  std::copy(src.bytes.begin(), src.bytes.end(), scratch_.begin() + 6);
  wire::store_be16(scratch_.data() + 12, ethertype);
  std::copy(payload.begin(), payload.end(), scratch_.begin() + 14);
  ++counters_.rx_frames;
  deliver_(std::span(scratch_.data(), 14 + payload.size()));
}

void network_port::park(std::int64_t now, zt_address from, const wire::mac_address& dst,
                        const wire::mac_address& src, std::uint16_t ethertype,
                        std::span<const std::uint8_t> payload) {
  ++counters_.rx_gated;
  if (parked_.size() >= opt_.max_parked) {
    parked_.pop_front();
    ++counters_.rx_parked_dropped;
  }
  parked_frame f;
  f.from = from;
  f.expires = now + opt_.park_ms;
  f.frame.resize(14 + payload.size());
  std::copy(dst.bytes.begin(), dst.bytes.end(), f.frame.begin());
  std::copy(src.bytes.begin(), src.bytes.end(), f.frame.begin() + 6);
  wire::store_be16(f.frame.data() + 12, ethertype);
  std::copy(payload.begin(), payload.end(), f.frame.begin() + 14);
  parked_.push_back(std::move(f));
}

bool network_port::filtered(std::int64_t now, bool inbound, zt_address peer,
                            const wire::mac_address& src, const wire::mac_address& dst,
                            std::uint16_t ethertype, std::span<const std::uint8_t> payload) {
  // Network::filterIncomingPacket / filterOutgoingPacket (zerotier-protocol.md §6.5).
  rules_frame f;
  f.inbound = inbound;
  f.our_address = self_;
  f.source = inbound ? peer : self_;
  f.dest = inbound ? self_ : (dst.is_multicast() ? zt_address() : peer);
  f.mac_source = src;
  f.mac_dest = dst;
  f.ethertype = ethertype;
  f.payload = payload;
  // "Sender authenticated" asks the sender's certificates of ownership: inbound the peer's (as
  // it showed them to us), outbound our own config's.
  coo_rules_oracle oracle(inbound ? members_.coos_of(peer)
                                  : std::span<const wire::certificate_of_ownership>(
                                        config_->certificates_of_ownership),
                          rng_ += 0x9e3779b97f4a7c15ULL);
  rules_context ctx;
  ctx.local_tags = local_tags_;
  // The other end's tags: the sender's inbound, the receiver's outbound (unicast only).
  if (inbound || !dst.is_multicast()) ctx.remote_tags = members_.tags_of(peer);
  ctx.unsupported_match_result =
      (config_->flags & wire::network_config::flag_rules_result_of_unsupported_match) != 0;
  ctx.oracle = &oracle;
  const filter_result r =
      inbound ? filter_incoming(config_->rules, members_.capabilities_of(peer), f, ctx)
              : filter_outgoing(config_->rules, config_->capabilities, f, ctx);
  send_rule_copies(now, r, src, dst, ethertype, payload);
  bool pass = r.action != filter_action::drop;
  if (pass && filter_) pass = filter_(inbound, peer, src, dst, ethertype, payload);
  if (pass) return false;
  if (inbound)
    ++counters_.rx_filtered;
  else
    ++counters_.tx_dropped;
  return true;
}

void network_port::send_rule_copies(std::int64_t now, const filter_result& r,
                                    const wire::mac_address& src, const wire::mac_address& dst,
                                    std::uint16_t ethertype,
                                    std::span<const std::uint8_t> payload) {
  for (const rules_copy& c : r.copies_view()) {
    if (c.to.reserved() || c.to == self_) continue;
    // EXT_FRAME [8 nwid][1 flags][6 dest][6 source][2 ethertype][payload, cut to the rule's
    // length] with the subtype flags 1.14 uses for the copy.
    wire::ext_frame_payload x;
    x.network_id = nwid_;
    x.flags = c.ext_frame_flags;
    x.dest = dst;
    x.source = src;
    x.ethertype = ethertype;
    x.data = payload.first(std::min<std::size_t>(c.length, payload.size()));
    push_credentials_if_needed(now, c.to);
    io_.send_verb(now, c.to, wire::verb::ext_frame, wire::emit_payload(x),
                  !config_->disable_compression());
    ++counters_.rule_copies_sent;
  }
}

void network_port::on_frame(std::int64_t now, zt_address from, std::uint64_t packet_id,
                            const wire::frame_payload& f) {
  if (!config_) {
    ++counters_.rx_no_config;
    return;
  }
  const wire::mac_address src = wire::mac_from_address(from, nwid_);
  if (!gate(from)) {
    need_certificate(now, from, wire::verb::frame, packet_id);
    park(now, from, mac_, src, f.ethertype, f.data.bytes);
    return;
  }
  if (filtered(now, true, from, src, mac_, f.ethertype, f.data.bytes)) return;
  deliver(mac_, src, f.ethertype, f.data.bytes);
}

void network_port::on_ext_frame(std::int64_t now, zt_address from, std::uint64_t packet_id,
                                const wire::ext_frame_payload& f) {
  if (!config_) {
    ++counters_.rx_no_config;
    return;
  }
  // A COM riding along (legacy flag 0x01) is added first, as 1.14 does.
  if (!f.com.empty()) {
    const wire::bytes_ref coms[1] = {f.com};
    wire::network_credentials_payload p;
    p.coms = wire::com_list(std::span<const wire::bytes_ref>(coms));
    on_credentials(now, from, p);
  }
  if (!gate(from)) {
    need_certificate(now, from, wire::verb::ext_frame, packet_id);
    park(now, from, f.dest, f.source, f.ethertype, f.data.bytes);
    return;
  }
  // No bridging: the source must be the sender's own MAC, the destination ours or a group
  // we may receive (multicast needs ml > 0).
  const bool dest_ok = f.dest == mac_ || (f.dest.is_multicast() && config_->multicast_limit > 0);
  if (f.source.is_zero() || f.source == mac_ || f.source != wire::mac_from_address(from, nwid_) ||
      !dest_ok) {
    ++counters_.rx_bad_mac;
    return;
  }
  if (filtered(now, true, from, f.source, f.dest, f.ethertype, f.data.bytes)) return;
  deliver(f.dest, f.source, f.ethertype, f.data.bytes);
  if (f.ack_requested()) {
    std::uint8_t ok[1 + 8 + 8];
    ok[0] = static_cast<std::uint8_t>(wire::verb::ext_frame);
    wire::store_be64(ok + 1, packet_id);
    wire::store_be64(ok + 9, nwid_);
    io_.send_verb(now, from, wire::verb::ok, ok, false);
  }
}

void network_port::on_multicast_frame(std::int64_t now, zt_address from, std::uint64_t packet_id,
                                      const wire::multicast_frame_payload& f) {
  if (!config_) {
    ++counters_.rx_no_config;
    return;
  }
  if (!f.com.empty()) {
    const wire::bytes_ref coms[1] = {f.com};
    wire::network_credentials_payload p;
    p.coms = wire::com_list(std::span<const wire::bytes_ref>(coms));
    on_credentials(now, from, p);
  }
  const wire::mac_address src = (f.flags & wire::multicast_frame_payload::flag_source_mac)
                                    ? f.source
                                    : wire::mac_from_address(from, nwid_);
  if (!gate(from)) {
    need_certificate(now, from, wire::verb::multicast_frame, packet_id);
    park(now, from, f.dest.mac, src, f.ethertype, f.data.bytes);
    return;
  }
  ++counters_.rx_multicast;
  if (config_->multicast_limit == 0) {
    ++counters_.rx_filtered;
    return;
  }
  if (f.data.empty() || f.data.size() > 10000) {
    ++counters_.rx_malformed;
    return;
  }
  if (!f.dest.mac.is_multicast() || src.is_multicast() || src.is_zero() || src == mac_ ||
      src != wire::mac_from_address(from, nwid_)) {
    ++counters_.rx_bad_mac;
    return;
  }
  if (filtered(now, true, from, src, f.dest.mac, f.ethertype, f.data.bytes)) return;
  deliver(f.dest.mac, src, f.ethertype, f.data.bytes);
  if ((f.flags & wire::multicast_frame_payload::flag_gather_limit) && f.gather_limit > 0) {
    // OK(MULTICAST_FRAME) with gather results: members the sender may not know yet.
    pick_.clear();
    const std::size_t total = directory_.pick(now, nwid_, f.dest, from,
                                              std::min<std::uint32_t>(f.gather_limit, 255), rng_, pick_);
    wire::ok_payload ok;
    ok.in_re_verb = static_cast<std::uint8_t>(wire::verb::multicast_frame);
    ok.in_re_packet_id = packet_id;
    wire::ok_multicast_frame body;
    body.network_id = nwid_;
    body.group = f.dest;
    body.flags = wire::ok_multicast_frame::flag_gather_results;
    body.total_known = static_cast<std::uint32_t>(total);
    body.members = wire::address_list(pick_);
    ok.body = body;
    io_.send_verb(now, from, wire::verb::ok, wire::emit_payload(ok), false);
  }
}

// ---- Multicast directory ------------------------------------------------------------------------

void network_port::on_multicast_like(std::int64_t now, zt_address from,
                                     const wire::multicast_group& g) {
  // _doMULTICAST_LIKE: accepted from members that pass the gate.
  if (!gate(from)) return;
  ++counters_.likes_received;
  if (!announced_to_.contains(from)) {
    // A member we have not announced to yet: tell it our groups too (1.14 does this when the
    // peer becomes active on the network).
    announced_to_[from] = now;
    push_credentials_if_needed(now, from);
    announce_to(now, from);
  }
  if (directory_.add(now, nwid_, g, from)) flush_pending(now, g);
}

void network_port::on_multicast_gather(std::int64_t now, zt_address from, std::uint64_t packet_id,
                                       const wire::multicast_gather_payload& g) {
  if (!g.com.empty()) {
    const wire::bytes_ref coms[1] = {g.com};
    wire::network_credentials_payload p;
    p.coms = wire::com_list(std::span<const wire::bytes_ref>(coms));
    on_credentials(now, from, p);
  }
  if (g.gather_limit == 0 || !gate(from)) return;
  pick_.clear();
  // The responder includes itself if subscribed, never the asker.
  const bool self_subscribed = std::binary_search(groups_.begin(), groups_.end(), g.group);
  if (self_subscribed) pick_.push_back(self_);
  const std::size_t limit = std::min<std::uint32_t>(g.gather_limit, 255);
  std::size_t total = directory_.pick(now, nwid_, g.group, from,
                                      limit > pick_.size() ? limit - pick_.size() : 0, rng_, pick_);
  total += self_subscribed ? 1 : 0;
  wire::ok_payload ok;
  ok.in_re_verb = static_cast<std::uint8_t>(wire::verb::multicast_gather);
  ok.in_re_packet_id = packet_id;
  wire::ok_multicast_gather body;
  body.network_id = nwid_;
  body.group = g.group;
  body.total_known = static_cast<std::uint32_t>(total);
  body.members = wire::address_list(pick_);
  ok.body = body;
  io_.send_verb(now, from, wire::verb::ok, wire::emit_payload(ok), false);
}

void network_port::on_gather_results(std::int64_t now, zt_address, const wire::multicast_group& g,
                                     std::span<const zt_address> members) {
  bool added = false;
  for (zt_address a : members)
    if (a != self_ && !a.reserved()) added |= directory_.add(now, nwid_, g, a);
  if (added) flush_pending(now, g);
}

// ---- Outbound -----------------------------------------------------------------------------------

bool network_port::send_multicast_copy(std::int64_t now, zt_address to,
                                       const wire::multicast_group& g, std::uint32_t gather_limit,
                                       std::uint16_t ethertype,
                                       std::span<const std::uint8_t> payload) {
  if (filtered(now, false, to, mac_, g.mac, ethertype, payload)) return false;
  push_credentials_if_needed(now, to);
  // OutboundMulticast::init: [8 nwid][1 flags][4 gather limit if 0x02][6 dest][4 ADI][2 et][data]
  wire::writer w(scratch_);
  w.be64(nwid_);
  w.u8(gather_limit > 0 ? wire::multicast_frame_payload::flag_gather_limit : 0);
  if (gather_limit > 0) w.be32(gather_limit);
  g.emit(w);
  w.be16(ethertype);
  w.bytes(payload);
  io_.send_verb(now, to, wire::verb::multicast_frame, std::span(scratch_.data(), w.size()),
                !config_->disable_compression());
  ++counters_.tx_multicast_copies;
  return true;
}

void network_port::send_gather(std::int64_t now, zt_address to, const wire::multicast_group& g,
                               std::uint32_t limit) {
  wire::multicast_gather_payload p;
  p.network_id = nwid_;
  p.group = g;
  p.gather_limit = limit;
  std::vector<std::uint8_t> com;
  if (config_->com) {
    com = config_->com->to_bytes();
    p.flags = wire::multicast_gather_payload::flag_com;
    p.com = com;
  }
  io_.send_verb(now, to, wire::verb::multicast_gather, wire::emit_payload(p), false);
  ++counters_.tx_gathers;
}

void network_port::send_multicast(std::int64_t now, const wire::multicast_group& g,
                                  std::uint16_t ethertype, std::span<const std::uint8_t> payload) {
  const std::uint32_t limit = config_->multicast_limit;
  pick_.clear();
  const std::size_t known = directory_.pick(now, nwid_, g, self_, limit, rng_, pick_);
  std::vector<zt_address> sent;
  const std::uint32_t gather_limit =
      known >= limit ? 0 : static_cast<std::uint32_t>(limit - known + 1);
  for (zt_address to : std::vector<zt_address>(pick_))
    if (send_multicast_copy(now, to, g, gather_limit, ethertype, payload)) sent.push_back(to);
  if (known >= limit) return;
  // Fewer than `ml` known: ask the directory (best root and the controller), at once if we know
  // nobody, else at most every gather_interval_ms, and keep the frame for the answers.
  auto& last = last_gather_[g];
  if (known == 0 || last == 0 || now - last >= opt_.gather_interval_ms) {
    last = now;
    if (!upstreams_.empty()) send_gather(now, upstreams_.front(), g, gather_limit);
    if (controller() != self_ && (upstreams_.empty() || upstreams_.front() != controller()))
      send_gather(now, controller(), g, gather_limit);
  }
  if (pending_.size() >= opt_.max_pending_multicasts) {
    pending_.pop_front();
    ++counters_.tx_multicast_expired;
  }
  pending_multicast m;
  m.group = g;
  m.expires = now + opt_.multicast_timeout_ms;
  m.limit = limit;
  m.sent_to = std::move(sent);
  m.frame.resize(2 + payload.size());
  wire::store_be16(m.frame.data(), ethertype);
  std::copy(payload.begin(), payload.end(), m.frame.begin() + 2);
  pending_.push_back(std::move(m));
}

void network_port::flush_pending(std::int64_t now, const wire::multicast_group& g) {
  if (!config_) return;
  for (auto& m : pending_) {
    if (m.group != g || m.expires <= now || m.sent_to.size() >= m.limit) continue;
    pick_.clear();
    directory_.pick(now, nwid_, g, self_, m.limit, rng_, pick_);
    const std::uint16_t et = wire::load_be16(m.frame.data());
    const auto payload = std::span<const std::uint8_t>(m.frame).subspan(2);
    for (zt_address to : std::vector<zt_address>(pick_)) {
      if (m.sent_to.size() >= m.limit) break;
      if (contains(m.sent_to, to)) continue;
      if (send_multicast_copy(now, to, g, 0, et, payload)) m.sent_to.push_back(to);
    }
  }
}

void network_port::send_ethernet(std::int64_t now, std::span<const std::uint8_t> frame) {
  if (frame.size() < 14 || frame.size() > max_frame) {
    ++counters_.tx_malformed;
    return;
  }
  if (!config_) {
    ++counters_.tx_dropped;
    return;
  }
  wire::reader r(frame);
  const wire::mac_address dst = wire::mac_address::parse(r);
  const wire::mac_address src = wire::mac_address::parse(r);
  const std::uint16_t ethertype = r.be16();
  const auto payload = frame.subspan(14);
  if (src != mac_ || payload.size() + 14 > 14 + config_->mtu + 4 /* tolerate a VLAN tag */) {
    ++counters_.tx_dropped;  // bridging is not supported; oversized for the network MTU
    return;
  }
  if (dst.is_multicast()) {
    wire::multicast_group g{dst, 0};
    if (auto target = arp_request_target(ethertype, payload); target && dst.is_broadcast()) {
      g.adi = *target;
    } else if (dst.is_broadcast() && !config_->enable_broadcast()) {
      ++counters_.tx_dropped;
      return;
    }
    if (config_->multicast_limit == 0) {
      ++counters_.tx_dropped;
      return;
    }
    send_multicast(now, g, ethertype, payload);
    return;
  }
  const auto to = wire::member_address(dst, nwid_);
  if (!to || *to == self_) {
    ++counters_.tx_dropped;  // a bridged destination (no bridges here) or ourselves
    return;
  }
  if (filtered(now, false, *to, src, dst, ethertype, payload)) return;
  push_credentials_if_needed(now, *to);
  if (!announced_to_.contains(*to)) {
    announced_to_[*to] = now;
    announce_to(now, *to);
  }
  // [8 nwid][2 ethertype][payload]
  wire::writer w(scratch_);
  w.be64(nwid_);
  w.be16(ethertype);
  w.bytes(payload);
  io_.send_verb(now, *to, wire::verb::frame, std::span(scratch_.data(), w.size()),
                !config_->disable_compression());
  ++counters_.tx_frames;
}

// ---- Timers -------------------------------------------------------------------------------------

void network_port::on_tick(std::int64_t now) {
  while (!parked_.empty() && parked_.front().expires <= now) {
    parked_.pop_front();
    ++counters_.rx_parked_dropped;
  }
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->expires > now) {
      ++it;
      continue;
    }
    if (it->sent_to.size() < it->limit) ++counters_.tx_multicast_expired;
    it = pending_.erase(it);
  }
  directory_.expire(now);
  if (config_ && now - last_announce_ >= opt_.announce_interval_ms) announce_all(now);
  // Member peers quiet for 10 minutes are no longer announced to.
  std::erase_if(announced_to_, [&](const auto& e) { return now - e.second > 600000; });
  std::erase_if(last_need_certificate_, [&](const auto& e) { return now - e.second > 60000; });
}

}  // namespace ztkit::ctrl
