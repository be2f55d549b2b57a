// WHOIS (0x04), RENDEZVOUS (0x05), ECHO (0x08), PUSH_DIRECT_PATHS (0x10), USER_MESSAGE (0x14),
// REMOTE_TRACE (0x15), and the verb dispatch (ZeroTierOne 1.14.1 IncomingPacket.cpp,
// Peer::introduce, Peer::received); zerotier-protocol.md §3.
#include "engine/wire/internal/verbs_common.h"
#include "engine/wire/verbs.h"

namespace ztkit::wire {

using internal::bad_payload;

// ---- WHOIS ----

result<whois_payload> whois_payload::parse(reader& r) {
  whois_payload p;
  // 1.14 reads addresses while 5 bytes remain; a shorter tail is left over.
  p.addresses = address_list::read_while_fits(r);
  if (p.addresses.empty()) return bad_payload("WHOIS", "no address");
  return p;
}

// ---- RENDEZVOUS ----

result<rendezvous_payload> rendezvous_payload::parse(reader& r) {
  rendezvous_payload p;
  p.flags = r.u8();
  p.with = zt_address(r.be40());
  const std::uint16_t port = r.be16();
  const std::size_t len = r.u8();
  if (!r.ok()) return bad_payload("RENDEZVOUS", "truncated");
  if (len == 4) {
    std::array<std::uint8_t, 4> ip{};
    r.copy(ip.data(), 4);
    p.address = inet_address::v4(ip, port);
  } else if (len == 16) {
    std::array<std::uint8_t, 16> ip{};
    r.copy(ip.data(), 16);
    p.address = inet_address::v6(ip, port);
  } else {
    return bad_payload("RENDEZVOUS", "address length " + std::to_string(len) + ", not 4 or 16");
  }
  if (!r.ok()) return bad_payload("RENDEZVOUS", "address truncated");
  return p;
}

void rendezvous_payload::emit(writer& w) const {
  w.u8(flags);
  w.be40(with.value());
  w.be16(address.port);
  const std::size_t len = address.fam == inet_address::family::ipv6 ? 16 : 4;
  w.u8(static_cast<std::uint8_t>(len));
  w.bytes(std::span(address.ip).first(len));
}

std::size_t rendezvous_payload::buffer_len() const {
  return 1 + 5 + 2 + 1 + (address.fam == inet_address::family::ipv6 ? 16 : 4);
}

// ---- ECHO, USER_MESSAGE, REMOTE_TRACE ----

result<echo_payload> echo_payload::parse(reader& r) { return echo_payload{r.rest()}; }

result<user_message_payload> user_message_payload::parse(reader& r) {
  user_message_payload p;
  p.type_id = r.be64();
  if (!r.ok()) return bad_payload("USER_MESSAGE", "shorter than the 8-byte type id");
  p.data = r.rest();
  return p;
}

void user_message_payload::emit(writer& w) const {
  w.be64(type_id);
  w.bytes(data.bytes);
}

result<remote_trace_payload> remote_trace_payload::parse(reader& r) {
  return remote_trace_payload{r.rest()};
}

// ---- PUSH_DIRECT_PATHS ----

std::optional<inet_address> push_direct_paths_payload::path::endpoint() const {
  if (address_type == 4 && address.size() == 6) {
    return inet_address::v4({address[0], address[1], address[2], address[3]},
                            load_be16(address.data() + 4));
  }
  if (address_type == 6 && address.size() == 18) {
    std::array<std::uint8_t, 16> ip{};
    std::copy_n(address.begin(), 16, ip.begin());
    return inet_address::v6(ip, load_be16(address.data() + 16));
  }
  return std::nullopt;
}

push_direct_paths_payload::path push_direct_paths_payload::path::from_endpoint(
    const inet_address& a, std::uint8_t flags) {
  path p;
  p.flags = flags;
  const std::size_t ip_len = a.fam == inet_address::family::ipv6 ? 16 : 4;
  p.address_type = a.fam == inet_address::family::ipv6 ? 6 : 4;
  std::array<std::uint8_t, 18> b{};
  std::copy_n(a.ip.begin(), ip_len, b.begin());
  store_be16(b.data() + ip_len, a.port);
  p.address = std::span<const std::uint8_t>(b.data(), ip_len + 2);
  return p;
}

result<push_direct_paths_payload> push_direct_paths_payload::parse(reader& r) {
  push_direct_paths_payload p;
  const std::size_t n = r.be16();
  if (!r.ok()) return bad_payload("PUSH_DIRECT_PATHS", "truncated count");
  if (n > r.remaining() / path_codec::min_len) {
    return bad_payload("PUSH_DIRECT_PATHS", std::to_string(n) + " paths cannot fit");
  }
  p.paths = path_list::read(r, n);
  if (!r.ok()) return bad_payload("PUSH_DIRECT_PATHS", "a path is truncated");
  return p;
}

void push_direct_paths_payload::emit(writer& w) const {
  w.be16(static_cast<std::uint16_t>(paths.size()));
  paths.emit(w);
}

std::size_t push_direct_paths_payload::buffer_len() const { return 2 + paths.buffer_len(); }

// ---- Dispatch ----

namespace {
template <typename T>
result<parsed<any_payload>> wrap(std::span<const std::uint8_t> payload) {
  auto p = parse_payload<T>(payload);
  if (!p.ok()) return error{p.code(), p.message()};
  return parsed<any_payload>{any_payload{std::move(p->value)}, p->left_over};
}
}  // namespace

result<parsed<any_payload>> parse_verb_payload(std::uint8_t v,
                                               std::span<const std::uint8_t> payload) {
  switch (static_cast<verb>(v)) {
    case verb::hello: return wrap<hello_payload>(payload);
    case verb::error: return wrap<error_payload>(payload);
    case verb::ok: return wrap<ok_payload>(payload);
    case verb::whois: return wrap<whois_payload>(payload);
    case verb::rendezvous: return wrap<rendezvous_payload>(payload);
    case verb::frame: return wrap<frame_payload>(payload);
    case verb::ext_frame: return wrap<ext_frame_payload>(payload);
    case verb::echo: return wrap<echo_payload>(payload);
    case verb::multicast_like: return wrap<multicast_like_payload>(payload);
    case verb::network_credentials: return wrap<network_credentials_payload>(payload);
    case verb::multicast_gather: return wrap<multicast_gather_payload>(payload);
    case verb::multicast_frame: return wrap<multicast_frame_payload>(payload);
    case verb::push_direct_paths: return wrap<push_direct_paths_payload>(payload);
    case verb::user_message: return wrap<user_message_payload>(payload);
    case verb::remote_trace: return wrap<remote_trace_payload>(payload);
    default:
      return error{errc::unsupported,
                   "no payload repr for verb " + std::to_string(v) + " in verbs.h"};
  }
}

std::vector<std::uint8_t> emit_any_payload(const any_payload& p) {
  return std::visit([](const auto& x) { return emit_payload(x); }, p);
}

}  // namespace ztkit::wire
