#include "ctrl/network/membership.h"

#include <algorithm>

namespace ztkit::ctrl {

std::size_t credentials_result::count(com_verdict v) const {
  return static_cast<std::size_t>(std::count(coms.begin(), coms.end(), v));
}

membership_table::membership_table(std::uint64_t network_id, zt_address controller,
                                   membership_limits limits)
    : network_id_(network_id), controller_(controller), limits_(limits) {
  if (limits_.max_peers == 0) limits_.max_peers = 1;
}

membership_table::entry& membership_table::touch(std::int64_t now, zt_address a) {
  auto it = entries_.find(a);
  if (it == entries_.end()) {
    if (entries_.size() >= limits_.max_peers) {
      auto oldest = std::min_element(entries_.begin(), entries_.end(), [](const auto& x, const auto& y) {
        return x.second.last_touched < y.second.last_touched;
      });
      entries_.erase(oldest);
      ++stats_.evictions;
    }
    it = entries_.emplace(a, entry{}).first;
  }
  it->second.last_touched = now;
  return it->second;
}

const wire::certificate_of_membership* membership_table::com_of(zt_address a) const {
  auto it = entries_.find(a);
  if (it == entries_.end() || !it->second.com) return nullptr;
  return &*it->second.com;
}

com_verdict membership_table::add_com(std::int64_t now, const wire::certificate_of_membership& com,
                                      const crypto::identity* controller) {
  // Network::addCredential: the network must be ours; then Membership::addCredential on the
  // issued-to member.
  if (com.network_id() != network_id_) return com_verdict::wrong_network;
  const zt_address to = com.issued_to();
  auto it = entries_.find(to);
  const wire::certificate_of_membership* stored =
      (it != entries_.end() && it->second.com) ? &*it->second.com : nullptr;
  if (stored) {
    if (com.timestamp() < stored->timestamp()) return com_verdict::old;
    if (com == *stored) {
      it->second.last_touched = now;
      return com_verdict::redundant;
    }
  }
  // CertificateOfMembership::verify: unsigned or signed by someone other than the controller is
  // invalid; a missing controller identity means "WHOIS it and try later" (1.14 returns 1).
  if (com.signed_by.value() == 0 || com.signed_by != controller_ ||
      zt_address(com.network_id() >> 24) != controller_)
    return com_verdict::invalid;
  if (controller == nullptr) return com_verdict::need_controller_identity;
  if (controller->address() != controller_ || !com.verify(*controller)) return com_verdict::invalid;
  entry& e = touch(now, to);
  e.com = com;
  e.agree_cached = false;
  return com_verdict::accepted;
}

template <typename C>
membership_table::cred_verdict membership_table::check_credential(
    const C& c, std::uint64_t network_id, std::int64_t timestamp,
    const crypto::identity* controller, const wire::network_config* cfg) const {
  if (network_id != network_id_ || zt_address(network_id >> 24) != controller_)
    return cred_verdict::rejected;
  // Membership::_isCredentialTimestampValid: within the config's max delta of our config's
  // timestamp (without a config of ours, nothing is valid yet).
  if (cfg == nullptr) return cred_verdict::rejected;
  const std::int64_t d = timestamp >= cfg->timestamp ? timestamp - cfg->timestamp : cfg->timestamp - timestamp;
  if (d > cfg->credential_time_max_delta) return cred_verdict::rejected;
  if (controller == nullptr) return cred_verdict::need_controller;
  if (controller->address() != controller_ || !c.verify(*controller)) return cred_verdict::rejected;
  return cred_verdict::accepted;
}

membership_table::cred_verdict membership_table::add_tag(std::int64_t now, const wire::tag_credential& t,
                                                         const crypto::identity* controller,
                                                         const wire::network_config* cfg) {
  const auto v = check_credential(t, t.network_id, t.timestamp, controller, cfg);
  if (v != cred_verdict::accepted) return v;
  entry& e = touch(now, t.issued_to);
  auto it = std::lower_bound(e.tags.begin(), e.tags.end(), t.id,
                             [](const wire::tag_credential& x, std::uint32_t id) { return x.id < id; });
  if (it != e.tags.end() && it->id == t.id) {
    if (it->timestamp > t.timestamp) return cred_verdict::rejected;  // older than ours
    *it = t;
  } else {
    if (e.tags.size() >= wire::network_config::max_tags) return cred_verdict::rejected;
    e.tags.insert(it, t);
  }
  e.tag_values.clear();
  for (const auto& x : e.tags) e.tag_values.push_back({x.id, x.value});
  return cred_verdict::accepted;
}

membership_table::cred_verdict membership_table::add_capability(
    std::int64_t now, const wire::capability_credential& c, const crypto::identity* controller,
    const wire::network_config* cfg) {
  const auto v = check_credential(c, c.network_id, c.timestamp, controller, cfg);
  if (v != cred_verdict::accepted) return v;
  if (c.issued_to().reserved()) return cred_verdict::rejected;
  entry& e = touch(now, c.issued_to());
  for (auto& x : e.capabilities)
    if (x.id == c.id) {
      if (x.timestamp > c.timestamp) return cred_verdict::rejected;
      x = c;
      return cred_verdict::accepted;
    }
  if (e.capabilities.size() >= wire::network_config::max_capabilities) return cred_verdict::rejected;
  e.capabilities.push_back(c);
  return cred_verdict::accepted;
}

membership_table::cred_verdict membership_table::add_coo(std::int64_t now,
                                                         const wire::certificate_of_ownership& c,
                                                         const crypto::identity* controller,
                                                         const wire::network_config* cfg) {
  const auto v = check_credential(c, c.network_id, c.timestamp, controller, cfg);
  if (v != cred_verdict::accepted) return v;
  entry& e = touch(now, c.issued_to);
  for (auto& x : e.coos)
    if (x.id == c.id) {
      if (x.timestamp > c.timestamp) return cred_verdict::rejected;
      x = c;
      return cred_verdict::accepted;
    }
  if (e.coos.size() >= wire::network_config::max_coos) return cred_verdict::rejected;
  e.coos.push_back(c);
  return cred_verdict::accepted;
}

std::span<const rule_tag> membership_table::tags_of(zt_address a) const {
  auto it = entries_.find(a);
  return it == entries_.end() ? std::span<const rule_tag>() : std::span<const rule_tag>(it->second.tag_values);
}
std::span<const wire::capability_credential> membership_table::capabilities_of(zt_address a) const {
  auto it = entries_.find(a);
  return it == entries_.end() ? std::span<const wire::capability_credential>()
                              : std::span<const wire::capability_credential>(it->second.capabilities);
}
std::span<const wire::certificate_of_ownership> membership_table::coos_of(zt_address a) const {
  auto it = entries_.find(a);
  return it == entries_.end() ? std::span<const wire::certificate_of_ownership>()
                              : std::span<const wire::certificate_of_ownership>(it->second.coos);
}

credentials_result membership_table::on_credentials(std::int64_t now, const crypto::identity& from,
                                                    const wire::network_credentials_payload& p,
                                                    const crypto::identity* controller,
                                                    const wire::network_config* our_config) {
  credentials_result out;
  // Peer::rateGateCredentialsReceived: at most one NETWORK_CREDENTIALS per second per sender.
  entry& sender = touch(now, from.address());
  if (sender.last_credentials_received &&
      now - *sender.last_credentials_received < limits_.credentials_receive_ms) {
    ++stats_.credentials_rate_limited;
    out.rate_limited = true;
    return out;
  }
  sender.last_credentials_received = now;
  for (const wire::bytes_ref& b : p.coms) {
    auto com = wire::certificate_of_membership::parse(b.bytes);
    com_verdict v = com.ok() ? add_com(now, *com, controller) : com_verdict::malformed;
    if (v == com_verdict::accepted) ++stats_.coms_accepted;
    if (v == com_verdict::malformed || v == com_verdict::wrong_network || v == com_verdict::old ||
        v == com_verdict::invalid)
      ++stats_.coms_rejected;
    out.coms.push_back(v);
  }
  const auto count = [&](cred_verdict v) {
    switch (v) {
      case cred_verdict::accepted: ++out.others_accepted; ++stats_.credentials_accepted; break;
      case cred_verdict::rejected: ++out.others_rejected; ++stats_.credentials_rejected; break;
      case cred_verdict::need_controller: ++out.others_need_controller; break;
    }
  };
  if (p.capabilities)
    for (const wire::bytes_ref& b : *p.capabilities) {
      wire::reader r(b.bytes);
      auto c = wire::capability_credential::parse(r);
      count(c.ok() ? add_capability(now, *c, controller, our_config) : cred_verdict::rejected);
    }
  if (p.tags)
    for (const wire::bytes_ref& b : *p.tags) {
      wire::reader r(b.bytes);
      auto t = wire::tag_credential::parse(r);
      count(t.ok() ? add_tag(now, *t, controller, our_config) : cred_verdict::rejected);
    }
  if (p.certificates_of_ownership)
    for (const wire::bytes_ref& b : *p.certificates_of_ownership) {
      wire::reader r(b.bytes);
      auto c = wire::certificate_of_ownership::parse(r);
      count(c.ok() ? add_coo(now, *c, controller, our_config) : cred_verdict::rejected);
    }
  return out;
}

bool membership_table::allowed(const crypto::identity& peer,
                               const wire::network_config* our_config) const {
  if (our_config == nullptr) return false;
  if (!our_config->is_private()) return true;
  if (!our_config->com) return false;
  const auto it = entries_.find(peer.address());
  if (it == entries_.end() || !it->second.com) return false;
  const entry& e = it->second;
  const wire::certificate_of_membership& ours = *our_config->com;
  if (ours.signed_by.value() == 0)  // unsigned (tests): no signature to recognise it by
    return wire::agrees_with(ours, *e.com, peer);
  if (!e.agree_cached || e.agreed_with != ours.signature) {
    e.agrees = wire::agrees_with(ours, *e.com, peer);
    e.agreed_with = ours.signature;
    e.agree_cached = true;
  }
  return e.agrees;
}

namespace {
template <typename T>
std::vector<std::uint8_t> bytes_of(const T& x) {
  std::vector<std::uint8_t> out(x.buffer_len());
  wire::writer w(out);
  x.emit(w);
  out.resize(w.size());
  return out;
}
template <typename T>
std::vector<std::vector<std::uint8_t>> all_bytes(const std::vector<T>& xs) {
  std::vector<std::vector<std::uint8_t>> out;
  for (const T& x : xs) out.push_back(bytes_of(x));
  return out;
}
std::vector<wire::bytes_ref> refs(const std::vector<std::vector<std::uint8_t>>& bs) {
  return {bs.begin(), bs.end()};
}
}  // namespace

std::vector<std::uint8_t> membership_table::credentials_payload(const wire::network_config& c) {
  const std::vector<std::uint8_t> com_bytes = c.com ? c.com->to_bytes() : std::vector<std::uint8_t>{};
  std::vector<wire::bytes_ref> coms;
  if (c.com) coms.emplace_back(com_bytes);
  const auto caps = all_bytes(c.capabilities);
  const auto tags = all_bytes(c.tags);
  const auto coos = all_bytes(c.certificates_of_ownership);
  const auto cap_refs = refs(caps);
  const auto tag_refs = refs(tags);
  const auto coo_refs = refs(coos);
  const std::vector<wire::bytes_ref> none;
  wire::network_credentials_payload p;
  p.coms = coms;
  p.com_list_terminated = true;
  p.capabilities.emplace(cap_refs);
  p.tags.emplace(tag_refs);
  p.revocations.emplace(none);  // 1.14: "No revocations, these propagate differently"
  p.certificates_of_ownership.emplace(coo_refs);
  return wire::emit_payload(p);
}

std::vector<std::uint8_t> membership_table::credentials_payload(
    const wire::certificate_of_membership& com) {
  wire::network_config c;
  c.com = com;
  return credentials_payload(c);
}

std::optional<std::vector<std::uint8_t>> membership_table::push_if(
    std::int64_t now, zt_address peer, const wire::network_config& our_config,
    std::int64_t interval) {
  const bool have_com = our_config.com && !our_config.com->empty();
  if (!have_com && our_config.capabilities.empty() && our_config.tags.empty() &&
      our_config.certificates_of_ownership.empty())
    return std::nullopt;
  entry& e = touch(now, peer);
  if (e.last_pushed && *e.last_pushed >= last_config_update_ && now - *e.last_pushed <= interval)
    return std::nullopt;
  e.last_pushed = now;
  return credentials_payload(our_config);
}

std::optional<std::vector<std::uint8_t>> membership_table::credentials_to_push(
    std::int64_t now, zt_address peer, const wire::network_config& our_config) {
  return push_if(now, peer, our_config, limits_.push_interval_ms);
}

std::optional<std::vector<std::uint8_t>> membership_table::on_need_certificate(
    std::int64_t now, zt_address peer, const wire::network_config& our_config) {
  return push_if(now, peer, our_config, limits_.requested_push_ms);
}

}  // namespace ztkit::ctrl
