// OK (0x03) and ERROR (0x02): IncomingPacket::_doOK/_doERROR and the OK replies built in
// _doHELLO, _doWHOIS, _doECHO, _doEXT_FRAME, _doMULTICAST_GATHER, _doMULTICAST_FRAME
// (ZeroTierOne 1.14.1); zerotier-protocol.md §3.
#include "engine/wire/com_extent.h"
#include "engine/wire/internal/verbs_common.h"
#include "engine/wire/verbs.h"

namespace ztkit::wire {

using internal::bad_payload;

// ---- OK(HELLO) ----

result<ok_hello> ok_hello::parse(reader& r) {
  ok_hello o;
  o.timestamp = r.be64();
  o.protocol_version = r.u8();
  o.major = r.u8();
  o.minor = r.u8();
  o.revision = r.be16();
  if (!r.ok()) return bad_payload("OK(HELLO)", "truncated");
  if (r.remaining() == 0) return o;
  o.external_address = inet_address::parse(r);
  if (!r.ok()) return bad_payload("OK(HELLO)", "external address truncated or of unknown type");
  if (r.remaining() < 2) return o;  // 1.14 reads the world block only if its length is there
  const std::size_t len = r.be16();
  const auto worlds = r.bytes(len);
  if (!r.ok()) return bad_payload("OK(HELLO)", "world updates truncated");
  o.world_updates = bytes_ref(worlds);
  return o;
}

void ok_hello::emit(writer& w) const {
  w.be64(timestamp);
  w.u8(protocol_version);
  w.u8(major);
  w.u8(minor);
  w.be16(revision);
  if (!external_address && !world_updates) return;
  external_address.value_or(inet_address{}).emit(w);
  if (!world_updates) return;
  w.be16(static_cast<std::uint16_t>(world_updates->size()));
  w.bytes(world_updates->bytes);
}

std::size_t ok_hello::buffer_len() const {
  std::size_t n = 13;
  if (!external_address && !world_updates) return n;
  n += external_address.value_or(inet_address{}).buffer_len();
  if (world_updates) n += 2 + world_updates->size();
  return n;
}

result<std::vector<world>> ok_hello::worlds() const {
  std::vector<world> out;
  if (!world_updates) return out;
  reader r(world_updates->bytes);
  while (r.remaining() > 0) {
    auto w = world::parse(r);
    if (!w.ok()) return bad_payload("OK(HELLO)", w.message());
    out.push_back(std::move(w).value());
  }
  return out;
}

// ---- OK(WHOIS) ----

result<ok_whois> ok_whois::parse(reader& r) {
  ok_whois o;
  // Identities while a whole public identity could still fit; fewer bytes are left over.
  // Each is checked here (for its error message); the list then decodes them as iterated.
  reader probe = r;
  std::size_t n = 0;
  while (probe.remaining() >= identity_codec::min_len) {
    auto id = read_identity(probe);
    if (!id.ok()) return bad_payload("OK(WHOIS)", id.message());
    ++n;
  }
  if (n == 0) return bad_payload("OK(WHOIS)", "no identity");
  o.identities = identity_list::view(r.bytes(n * identity_codec::min_len), n);
  return o;
}

void ok_whois::emit(writer& w) const { identities.emit(w); }

std::size_t ok_whois::buffer_len() const { return identities.buffer_len(); }

// ---- OK(ECHO), OK(EXT_FRAME), other ----

result<ok_echo> ok_echo::parse(reader& r) { return ok_echo{r.rest()}; }
result<ok_other> ok_other::parse(reader& r) { return ok_other{r.rest()}; }

result<ok_ext_frame> ok_ext_frame::parse(reader& r) {
  ok_ext_frame o{r.be64()};
  if (!r.ok()) return bad_payload("OK(EXT_FRAME)", "truncated");
  return o;
}

// ---- OK(MULTICAST_GATHER), OK(MULTICAST_FRAME) ----

result<ok_multicast_gather> ok_multicast_gather::parse(reader& r) {
  ok_multicast_gather o;
  o.network_id = r.be64();
  o.group = multicast_group::parse(r);
  o.total_known = r.be32();
  const std::size_t n = r.be16();
  if (!r.ok()) return bad_payload("OK(MULTICAST_GATHER)", "truncated");
  o.members = address_list::read(r, n);
  if (!r.ok()) return bad_payload("OK(MULTICAST_GATHER)", "member list truncated");
  return o;
}

void ok_multicast_gather::emit(writer& w) const {
  w.be64(network_id);
  group.emit(w);
  w.be32(total_known);
  w.be16(static_cast<std::uint16_t>(members.size()));
  members.emit(w);
}

result<ok_multicast_frame> ok_multicast_frame::parse(reader& r) {
  ok_multicast_frame o;
  o.network_id = r.be64();
  o.group = multicast_group::parse(r);
  o.flags = r.u8();
  if (!r.ok()) return bad_payload("OK(MULTICAST_FRAME)", "truncated");
  if (o.flags & flag_com) {
    o.com = read_com_bytes(r);
    if (!r.ok()) return bad_payload("OK(MULTICAST_FRAME)", "COM truncated or malformed");
  }
  if (o.flags & flag_gather_results) {
    o.total_known = r.be32();
    const std::size_t n = r.be16();
    o.members = address_list::read(r, n);
    if (!r.ok()) return bad_payload("OK(MULTICAST_FRAME)", "gather results truncated");
  }
  return o;
}

void ok_multicast_frame::emit(writer& w) const {
  w.be64(network_id);
  group.emit(w);
  w.u8(flags);
  if (flags & flag_com) w.bytes(com.bytes);
  if (flags & flag_gather_results) {
    w.be32(total_known);
    w.be16(static_cast<std::uint16_t>(members.size()));
    members.emit(w);
  }
}

std::size_t ok_multicast_frame::buffer_len() const {
  std::size_t n = 8 + 10 + 1;
  if (flags & flag_com) n += com.size();
  if (flags & flag_gather_results) n += 4 + 2 + members.buffer_len();
  return n;
}

// ---- OK ----

result<ok_payload> ok_payload::parse(reader& r) {
  ok_payload o;
  o.in_re_verb = r.u8();
  o.in_re_packet_id = r.be64();
  if (!r.ok()) return bad_payload("OK", "truncated in the in-re header");
  auto take = [&](auto body) -> result<ok_payload> {
    if (!body.ok()) return error{body.code(), body.message()};
    o.body = std::move(body).value();
    return o;
  };
  switch (static_cast<verb>(o.in_re_verb)) {
    case verb::hello: return take(ok_hello::parse(r));
    case verb::whois: return take(ok_whois::parse(r));
    case verb::echo: return take(ok_echo::parse(r));
    case verb::ext_frame: return take(ok_ext_frame::parse(r));
    case verb::multicast_gather: return take(ok_multicast_gather::parse(r));
    case verb::multicast_frame: return take(ok_multicast_frame::parse(r));
    default: return take(ok_other::parse(r));
  }
}

void ok_payload::emit(writer& w) const {
  w.u8(in_re_verb);
  w.be64(in_re_packet_id);
  std::visit([&](const auto& b) { b.emit(w); }, body);
}

std::size_t ok_payload::buffer_len() const {
  return 9 + std::visit([](const auto& b) { return b.buffer_len(); }, body);
}

// ---- ERROR ----

bool error_payload::has_network_id(std::uint8_t code, std::uint8_t in_re) {
  switch (static_cast<error_code>(code)) {
    case error_code::need_membership_certificate:
    case error_code::network_access_denied:
    case error_code::unwanted_multicast:
    case error_code::network_authentication_required:
      return true;
    case error_code::obj_not_found:
    case error_code::unsupported_operation:
      return static_cast<verb>(in_re) == verb::network_config_request;
    default:
      return false;
  }
}

result<error_payload> error_payload::parse(reader& r) {
  error_payload e;
  e.in_re_verb = r.u8();
  e.in_re_packet_id = r.be64();
  e.code = r.u8();
  if (!r.ok()) return bad_payload("ERROR", "truncated in the header");
  if (!has_network_id(e.code, e.in_re_verb)) return e;
  e.network_id = r.be64();
  if (!r.ok()) return bad_payload("ERROR", "network id truncated");
  if (e.error() == error_code::unwanted_multicast) {
    e.group = multicast_group::parse(r);
    if (!r.ok()) return bad_payload("ERROR", "UNWANTED_MULTICAST group truncated");
  } else if (e.error() == error_code::network_authentication_required && r.remaining() >= 2) {
    const std::size_t len = r.be16();
    const auto dict = r.bytes(len);
    if (!r.ok()) return bad_payload("ERROR", "authentication info truncated");
    e.auth_info = bytes_ref(dict);
  }
  return e;
}

void error_payload::emit(writer& w) const {
  w.u8(in_re_verb);
  w.be64(in_re_packet_id);
  w.u8(code);
  if (network_id) w.be64(*network_id);
  if (group) group->emit(w);
  if (auth_info) {
    w.be16(static_cast<std::uint16_t>(auth_info->size()));
    w.bytes(auth_info->bytes);
  }
}

std::size_t error_payload::buffer_len() const {
  return 10 + (network_id ? 8 : 0) + (group ? 10 : 0) + (auth_info ? 2 + auth_info->size() : 0);
}

}  // namespace ztkit::wire
