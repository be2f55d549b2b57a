// HELLO (0x01): Peer::sendHELLO, IncomingPacket::_doHELLO (ZeroTierOne 1.14.1);
// zerotier-protocol.md §3 HELLO, §2.5 (the masked moon list).
#include "engine/wire/internal/verbs_common.h"
#include "engine/wire/verbs.h"

namespace ztkit::wire {

namespace {
constexpr std::size_t core_len = 1 + 1 + 1 + 2 + 8;  // before the identity

// Reads up to the end of the clear part; returns an error or nothing.
std::optional<error> parse_clear(reader& r, hello_payload& h) {
  h.protocol_version = r.u8();
  h.major = r.u8();
  h.minor = r.u8();
  h.revision = r.be16();
  h.timestamp = r.be64();
  if (!r.ok()) return internal::bad_payload("HELLO", "truncated before the identity");
  auto id = read_identity(r);
  if (!id.ok()) return internal::bad_payload("HELLO", id.message());
  h.identity = std::move(id).value();
  // Older senders stop after the identity; 1.14 reads each later field only if present.
  if (r.remaining() == 0) return std::nullopt;
  h.destination = inet_address::parse(r);
  if (!r.ok()) return internal::bad_payload("HELLO", "destination address truncated or of unknown type");
  if (r.remaining() < 16) return std::nullopt;  // 1.14: planet fields only if all 16 bytes are there
  h.planet = hello_payload::planet_ref{r.be64(), r.be64()};
  return std::nullopt;
}
}  // namespace

result<hello_payload> hello_payload::parse(reader& r) {
  hello_payload h;
  if (auto e = parse_clear(r, h)) return *e;
  if (!h.planet || r.remaining() < 2) return h;
  const std::size_t n = r.be16();
  h.moons = moon_list::read(r, n);
  if (!r.ok()) {
    return internal::bad_payload("HELLO", "moon list truncated (" + std::to_string(n) + " moons)");
  }
  return h;
}

void hello_payload::emit(writer& w) const {
  w.u8(protocol_version);
  w.u8(major);
  w.u8(minor);
  w.be16(revision);
  w.be64(timestamp);
  identity_codec::write(w, identity);  // public only, as identity::serialize(.., false)
  if (!destination && !planet && !moons) return;
  destination.value_or(inet_address{}).emit(w);
  if (!planet && !moons) return;
  const planet_ref p = planet.value_or(planet_ref{});
  w.be64(p.id);
  w.be64(p.timestamp);
  if (!moons) return;
  w.be16(static_cast<std::uint16_t>(moons->size()));
  moons->emit(w);
}

std::size_t hello_payload::masked_offset() const {
  return core_len + crypto::identity::public_binary_bytes +
         destination.value_or(inet_address{}).buffer_len() + 16;
}

std::size_t hello_payload::buffer_len() const {
  std::size_t n = core_len + crypto::identity::public_binary_bytes;
  if (!destination && !planet && !moons) return n;
  n += destination.value_or(inet_address{}).buffer_len();
  if (!planet && !moons) return n;
  n += 16;
  if (moons) n += 2 + moons->buffer_len();
  return n;
}

result<std::size_t> hello_payload::masked_offset(std::span<const std::uint8_t> payload) {
  reader r(payload);
  hello_payload h;
  if (auto e = parse_clear(r, h)) return *e;
  if (!h.planet) return internal::bad_payload("HELLO", "no planet fields, so no masked part");
  return r.position();
}

}  // namespace ztkit::wire
