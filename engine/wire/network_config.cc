// Netconf dictionary <-> network_config: see network_config.h.
#include "engine/wire/network_config.h"

#include <algorithm>
#include <cstring>

namespace ztkit::wire {
namespace {

error bad(const std::string& what) { return error{errc::invalid_argument, "netconf: " + what}; }

std::span<const std::uint8_t> as_bytes(const std::vector<std::uint8_t>& v) { return v; }

// Adds under `key` what `fill` writes (measured first, so the blob is written once).
template <typename Len, typename Fill>
void add_blob(dictionary& d, const char* key, Len len, Fill fill) {
  std::vector<std::uint8_t> buf(len);
  writer w(buf);
  fill(w);
  (void)d.add(key, as_bytes(buf));
}

}  // namespace

result<network_config> network_config::from_dictionary(const dictionary& d) {
  network_config c;
  c.network_id = d.get_u64("nwid", 0);
  if (c.network_id == 0) return bad("missing or zero network ID (nwid)");
  c.timestamp = static_cast<std::int64_t>(d.get_u64("ts", 0));
  c.credential_time_max_delta = static_cast<std::int64_t>(d.get_u64("ctmd", 0));
  c.revision = d.get_u64("r", 0);
  c.issued_to = zt_address(d.get_u64("id", 0));
  if (c.issued_to.value() == 0) return bad("missing or zero issued-to address (id)");
  c.remote_trace_target = zt_address(d.get_u64("tt", 0));
  c.remote_trace_level = d.get_u64("tl", 0);
  c.multicast_limit = static_cast<std::uint32_t>(d.get_u64("ml", 0));
  c.name = d.get_string("n", max_name + 1).value_or("");
  const std::uint64_t mtu = static_cast<std::uint32_t>(d.get_u64("mtu", default_mtu));
  c.mtu = static_cast<std::uint32_t>(std::clamp<std::uint64_t>(mtu, min_mtu, max_mtu));

  const std::uint64_t v = d.get_u64("v", 0);
  if (v < min_version) {
    return bad("format version " + std::to_string(v) + " < 6 (legacy netconf is not supported)");
  }
  c.flags = d.get_u64("f", 0);
  c.type = d.get_u64("t", type_private);

  if (auto b = d.get("C")) {
    reader r(*b);
    auto com = certificate_of_membership::parse(r);
    if (!com.ok()) return bad(com.message());
    if (!com->empty()) c.com = std::move(*com);
  }
  if (auto b = d.get("CAP")) {
    reader r(*b);
    while (r.remaining() > 0 && c.capabilities.size() < max_capabilities) {
      auto cap = capability_credential::parse(r);
      if (!cap.ok()) break;  // 1.14 keeps what it read so far
      c.capabilities.push_back(std::move(*cap));
    }
    std::stable_sort(c.capabilities.begin(), c.capabilities.end(),
                     [](const auto& a, const auto& b) { return a.id < b.id; });
  }
  if (auto b = d.get("TAG")) {
    reader r(*b);
    while (r.remaining() > 0 && c.tags.size() < max_tags) {
      auto tag = tag_credential::parse(r);
      if (!tag.ok()) break;
      c.tags.push_back(std::move(*tag));
    }
    std::stable_sort(c.tags.begin(), c.tags.end(),
                     [](const auto& a, const auto& b) { return a.id < b.id; });
  }
  if (auto b = d.get("COO")) {
    reader r(*b);
    while (r.remaining() > 0) {
      auto coo = certificate_of_ownership::parse(r);
      if (!coo.ok()) return bad(coo.message());
      if (c.certificates_of_ownership.size() < max_coos)
        c.certificates_of_ownership.push_back(std::move(*coo));
    }
  }
  if (auto b = d.get("S")) {
    reader r(*b);
    while (r.remaining() >= 8) {
      const std::uint64_t s = r.be64();
      if (c.specialists.size() < max_specialists) c.specialists.push_back(s);
    }
  }
  if (auto b = d.get("RT")) {
    reader r(*b);
    while (r.remaining() > 0 && c.routes.size() < max_routes) {
      network_route rt;
      rt.target = inet_address::parse(r);
      rt.via = inet_address::parse(r);
      rt.flags = r.be16();
      rt.metric = r.be16();
      if (!r.ok()) return bad("route list (RT) is malformed");
      c.routes.push_back(rt);
    }
  }
  if (auto b = d.get("I")) {
    reader r(*b);
    while (r.remaining() > 0 && c.static_ips.size() < max_static_ips) {
      inet_address a = inet_address::parse(r);
      if (!r.ok()) return bad("static IP list (I) is malformed");
      c.static_ips.push_back(a);
    }
  }
  if (auto b = d.get("R")) {
    reader r(*b);
    auto rules = parse_rules(r, max_rules);
    if (!rules.ok()) return bad("rules (R): " + rules.message());
    c.rules = std::move(*rules);
  }
  if (auto b = d.get("DNS")) {
    reader r(*b);
    const auto domain = r.bytes(128);
    for (auto& s : c.dns.servers) s = inet_address::parse(r);
    if (!r.ok()) return bad("DNS blob is malformed");
    std::size_t n = 0;
    while (n < 127 && domain[n] != 0) ++n;
    c.dns.domain.assign(reinterpret_cast<const char*>(domain.data()), n);
  }

  c.sso_version = d.get_u64("ssov", 0);
  c.sso_enabled = d.get_bool("ssoe", false);
  if (c.sso_enabled && c.sso_version == 0) {
    c.authentication_url = d.get_string("aurl", 2048).value_or("");
    c.authentication_expiry_time = static_cast<std::uint64_t>(d.get_i64("aexpt", 0));
  } else if (c.sso_enabled && c.sso_version == 1) {
    c.authentication_url = d.get_string("aurl", 2048).value_or("");
    c.issuer_url = d.get_string("iurl", 2048).value_or("");
    c.central_auth_url = d.get_string("ssoce", 2048).value_or("");
    c.sso_nonce = d.get_string("sson", 128).value_or("");
    c.sso_state = d.get_string("ssos", 256).value_or("");
    c.sso_client_id = d.get_string("ssocid", 256).value_or("");
    c.sso_provider = d.get_string("ssop", 64).value_or("");
    if (c.sso_provider.empty()) c.sso_provider = "default";
  }
  return c;
}

dictionary network_config::to_dictionary() const {
  dictionary d;
  (void)d.add_u64("v", version);
  (void)d.add_u64("nwid", network_id);
  (void)d.add_i64("ts", timestamp);
  (void)d.add_i64("ctmd", credential_time_max_delta);
  (void)d.add_u64("r", revision);
  (void)d.add("id", issued_to.to_string());
  (void)d.add("tt", remote_trace_target.to_string());
  (void)d.add_u64("tl", remote_trace_level);
  (void)d.add_u64("f", flags);
  (void)d.add_u64("ml", multicast_limit);
  (void)d.add_u64("t", type);
  // 1.14 adds the name as a C string of at most 127 bytes.
  std::string n = name.substr(0, std::min(name.size(), max_name));
  n = n.substr(0, std::strlen(n.c_str()));
  (void)d.add("n", n);
  (void)d.add_u64("mtu", mtu);

  if (com && !com->empty()) (void)d.add("C", as_bytes(com->to_bytes()));
  if (!capabilities.empty()) {
    std::size_t len = 0;
    for (const auto& x : capabilities) len += x.buffer_len();
    add_blob(d, "CAP", len, [&](writer& w) { for (const auto& x : capabilities) x.emit(w); });
  }
  if (!tags.empty()) {
    std::size_t len = 0;
    for (const auto& x : tags) len += x.buffer_len();
    add_blob(d, "TAG", len, [&](writer& w) { for (const auto& x : tags) x.emit(w); });
  }
  if (!certificates_of_ownership.empty()) {
    std::size_t len = 0;
    for (const auto& x : certificates_of_ownership) len += x.buffer_len();
    add_blob(d, "COO", len,
             [&](writer& w) { for (const auto& x : certificates_of_ownership) x.emit(w); });
  }
  if (!specialists.empty()) {
    add_blob(d, "S", 8 * specialists.size(),
             [&](writer& w) { for (auto s : specialists) w.be64(s); });
  }
  if (!routes.empty()) {
    std::size_t len = 0;
    for (const auto& x : routes) len += x.target.buffer_len() + x.via.buffer_len() + 4;
    add_blob(d, "RT", len, [&](writer& w) {
      for (const auto& x : routes) {
        x.target.emit(w);
        x.via.emit(w);
        w.be16(x.flags);
        w.be16(x.metric);
      }
    });
  }
  if (!static_ips.empty()) {
    std::size_t len = 0;
    for (const auto& x : static_ips) len += x.buffer_len();
    add_blob(d, "I", len, [&](writer& w) { for (const auto& x : static_ips) x.emit(w); });
  }
  if (!rules.empty()) {
    add_blob(d, "R", rules_buffer_len(rules), [&](writer& w) { emit_rules(w, rules); });
  }
  {
    std::size_t len = 128;
    for (const auto& s : dns.servers) len += s.buffer_len();
    add_blob(d, "DNS", len, [&](writer& w) {
      std::uint8_t domain[128] = {};
      std::memcpy(domain, dns.domain.data(), std::min<std::size_t>(dns.domain.size(), 127));
      w.bytes(domain);
      for (const auto& s : dns.servers) s.emit(w);
    });
  }
  if (sso_version == 0) {
    (void)d.add_u64("ssov", sso_version);
    (void)d.add_bool("ssoe", sso_enabled);
    if (sso_enabled) {
      if (!authentication_url.empty()) (void)d.add("aurl", authentication_url);
      (void)d.add_u64("aexpt", authentication_expiry_time);
    }
  } else if (sso_version == 1) {
    (void)d.add_u64("ssov", sso_version);
    (void)d.add_bool("ssoe", sso_enabled);
    (void)d.add("iurl", issuer_url);
    (void)d.add("ssoce", central_auth_url);
    (void)d.add("sson", sso_nonce);
    (void)d.add("ssos", sso_state);
    (void)d.add("ssocid", sso_client_id);
    (void)d.add("ssop", sso_provider);
  }
  return d;
}

result<network_config> network_config::parse(std::span<const std::uint8_t> dictionary_bytes) {
  auto d = dictionary::parse(dictionary_bytes, dictionary::netconf_capacity);
  if (!d.ok()) return bad(d.message());
  return from_dictionary(*d);
}

result<std::vector<std::uint8_t>> network_config::to_bytes() const {
  return to_dictionary().to_bytes(dictionary::netconf_capacity);
}

}  // namespace ztkit::wire
