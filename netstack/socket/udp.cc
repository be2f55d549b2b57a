#include "netstack/socket/udp.h"

#include <algorithm>
#include <cstring>

namespace ztkit::netstack {

const char* to_string(udp_error e) {
  switch (e) {
    case udp_error::ok: return "ok";
    case udp_error::invalid: return "invalid endpoint";
    case udp_error::address_in_use: return "address in use";
    case udp_error::no_ports: return "no ephemeral port left";
    case udp_error::would_block: return "transmit queue full";
    case udp_error::too_large: return "datagram too large";
    case udp_error::not_open: return "socket not open";
  }
  return "?";
}

udp_socket::udp_socket(const config& cfg)
    : rx_(cfg.rx_datagrams, cfg.rx_bytes), tx_(cfg.tx_datagrams, cfg.tx_bytes) {}

namespace {
bool is_any(const inet_address& a) {
  if (a.fam == inet_address::family::nil) return true;
  for (std::size_t i = 0; i < (a.fam == inet_address::family::ipv4 ? 4u : 16u); ++i)
    if (a.ip[i]) return false;
  return true;
}
bool same_ip(const inet_address& a, const inet_address& b) {
  return a.fam == b.fam && a.ip == b.ip;
}
}  // namespace

bool udp_socket::accepts(const inet_address& dst) const {
  if (!open_ || local_.port != dst.port) return false;
  if (local_.fam == inet_address::family::nil) return true;
  if (local_.fam != dst.fam) return false;
  return is_any(local_) || same_ip(local_, dst);
}

udp_error udp_socket::send_to(std::span<const std::uint8_t> payload, const inet_address& dst) {
  if (!open_) return udp_error::not_open;
  if (dst.fam == inet_address::family::nil || dst.port == 0) return udp_error::invalid;
  if (local_.fam != inet_address::family::nil && local_.fam != dst.fam) return udp_error::invalid;
  std::size_t max = dst.fam == inet_address::family::ipv4 ? 65507 : 65527;
  if (payload.size() > max || payload.size() > tx_.capacity_bytes()) return udp_error::too_large;
  if (!is_bound()) {
    auto e = set_->bind_ephemeral(*this, inet_address::family::nil);
    if (e != udp_error::ok) return e;
  }
  std::uint8_t* p = tx_.push(payload.size(), tx_meta{dst});
  if (!p) {
    ++counters_.tx_dropped;
    return udp_error::would_block;
  }
  if (!payload.empty()) std::memcpy(p, payload.data(), payload.size());
  ++counters_.tx_datagrams;
  return udp_error::ok;
}

std::optional<udp_recv_meta> udp_socket::recv_from(std::span<std::uint8_t> out) {
  if (rx_.empty()) return std::nullopt;
  rx_meta m;
  auto data = rx_.front(&m);
  udp_recv_meta r;
  r.len = data.size();
  r.src = m.src;
  r.dst = m.dst;
  std::size_t n = std::min(out.size(), data.size());
  r.truncated = n < data.size();
  if (n) std::memcpy(out.data(), data.data(), n);
  rx_.pop();
  return r;
}

bool udp_socket::deliver(const inet_address& src, const inet_address& dst,
                         std::span<const std::uint8_t> payload) {
  std::uint8_t* p = rx_.push(payload.size(), rx_meta{src, dst});
  if (!p) {
    ++counters_.rx_dropped_full;
    return false;
  }
  if (!payload.empty()) std::memcpy(p, payload.data(), payload.size());
  ++counters_.rx_datagrams;
  counters_.rx_bytes += payload.size();
  return true;
}

std::optional<udp_handle> udp_socket_set::open(const udp_socket::config& cfg) {
  for (std::size_t i = 0; i < sockets_.size(); ++i) {
    if (!sockets_[i]) {
      sockets_[i] = std::make_unique<udp_socket>(cfg);
      sockets_[i]->open_ = true;
      sockets_[i]->set_ = this;
      return udp_handle{static_cast<std::uint32_t>(i)};
    }
  }
  if (sockets_.size() >= max_) return std::nullopt;
  sockets_.push_back(std::make_unique<udp_socket>(cfg));
  sockets_.back()->open_ = true;
  sockets_.back()->set_ = this;
  return udp_handle{static_cast<std::uint32_t>(sockets_.size() - 1)};
}

void udp_socket_set::close(udp_handle h) {
  if (h.index < sockets_.size()) sockets_[h.index].reset();
}

bool udp_socket_set::port_conflicts(const inet_address& local, const udp_socket* except) const {
  for (const auto& s : sockets_) {
    if (!s || !s->open_ || s.get() == except || s->local_.port != local.port) continue;
    const auto& o = s->local_;
    bool fam_overlap = o.fam == inet_address::family::nil ||
                       local.fam == inet_address::family::nil || o.fam == local.fam;
    if (!fam_overlap) continue;
    if (is_any(o) || is_any(local) || same_ip(o, local)) return true;
  }
  return false;
}

udp_error udp_socket_set::bind_ephemeral(udp_socket& s, inet_address::family fam) {
  inet_address local = s.local_;
  if (local.fam == inet_address::family::nil) local.fam = fam;
  if (local.fam == inet_address::family::nil) local.ip = {};
  for (unsigned tries = 0; tries < 16384; ++tries) {
    local.port = next_ephemeral_;
    next_ephemeral_ = next_ephemeral_ == 65535 ? 49152 : next_ephemeral_ + 1;
    if (!port_conflicts(local, &s)) {
      s.local_ = local;
      return udp_error::ok;
    }
  }
  return udp_error::no_ports;
}

udp_error udp_socket_set::bind(udp_handle h, inet_address local) {
  if (h.index >= sockets_.size() || !sockets_[h.index]) return udp_error::not_open;
  udp_socket& s = *sockets_[h.index];
  if (local.port == 0) {
    s.local_ = local;
    s.local_.port = 0;
    return bind_ephemeral(s, local.fam);
  }
  if (port_conflicts(local, &s)) return udp_error::address_in_use;
  s.local_ = local;
  return udp_error::ok;
}

udp_socket* udp_socket_set::find(const inet_address& dst) {
  udp_socket* wildcard = nullptr;
  for (auto& s : sockets_) {
    if (!s || !s->accepts(dst)) continue;
    if (s->local_.fam == dst.fam && !is_any(s->local_)) return s.get();
    if (!wildcard) wildcard = s.get();
  }
  return wildcard;
}

}  // namespace ztkit::netstack
