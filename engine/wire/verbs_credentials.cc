// NETWORK_CREDENTIALS (0x0a): Membership::pushCredentials, IncomingPacket::_doNETWORK_CREDENTIALS,
// and the extents of Capability, Tag, Revocation and CertificateOfOwnership from their
// deserialize() (ZeroTierOne 1.14.1); zerotier-protocol.md §3, §5.5.
#include "engine/wire/com_extent.h"
#include "engine/wire/internal/verbs_common.h"
#include "engine/wire/verbs.h"

namespace ztkit::wire {

using internal::bad_payload;

namespace {

constexpr std::size_t max_capability_rules = 64;           // ZT_MAX_CAPABILITY_RULES
constexpr std::size_t max_custody_chain = 7;               // ZT_MAX_CAPABILITY_CUSTODY_CHAIN_LENGTH
constexpr std::size_t max_coo_things = 16;                 // ZT_CERTIFICATEOFOWNERSHIP_MAX_THINGS
constexpr std::size_t coo_thing_len = 1 + 16;

// [1 type][type 1: 2 length = 96, 96 signature | else: 2 length, length bytes]
void skip_signature(reader& p) {
  if (p.u8() == 1) {
    if (p.be16() != 96) p.fail();
    p.skip(96);
  } else {
    p.skip(p.be16());
  }
}

void skip_extension(reader& p) { p.skip(p.be16()); }

template <typename F>
std::span<const std::uint8_t> extent(reader& r, F&& walk) {
  reader probe = r;
  const std::size_t start = probe.position();
  walk(probe);
  if (!probe.ok()) {
    r.fail();
    return {};
  }
  return r.bytes(probe.position() - start);
}

}  // namespace

std::span<const std::uint8_t> read_capability_bytes(reader& r) {
  return extent(r, [](reader& p) {
    p.skip(8 + 8 + 4);  // nwid, timestamp, id
    const std::size_t rules = p.be16();
    if (rules > max_capability_rules) p.fail();
    for (std::size_t i = 0; i < rules && p.ok(); ++i) {
      p.skip(1);          // type
      p.skip(p.u8());     // [1 field length][field]
    }
    const std::size_t max_chain = p.u8();
    if (max_chain < 1 || max_chain > max_custody_chain) p.fail();
    for (std::size_t i = 0; p.ok(); ++i) {
      if (p.be40() == 0) break;  // a zero "to" address ends the custody chain
      if (i >= max_chain) p.fail();
      p.skip(5);  // from
      skip_signature(p);
    }
    skip_extension(p);
  });
}

std::span<const std::uint8_t> read_tag_bytes(reader& r) {
  return extent(r, [](reader& p) {
    p.skip(8 + 8 + 4 + 4 + 5 + 5);  // nwid, timestamp, id, value, issued to, signed by
    skip_signature(p);
    skip_extension(p);
  });
}

std::span<const std::uint8_t> read_revocation_bytes(reader& r) {
  return extent(r, [](reader& p) {
    // unused 4, id 4, nwid 8, unused 4, credential id 4, threshold 8, flags 8, target 5,
    // signed by 5, credential type 1
    p.skip(4 + 4 + 8 + 4 + 4 + 8 + 8 + 5 + 5 + 1);
    skip_signature(p);
    skip_extension(p);
  });
}

std::span<const std::uint8_t> read_coo_bytes(reader& r) {
  return extent(r, [](reader& p) {
    p.skip(8 + 8 + 8 + 4);  // nwid, timestamp, flags, id
    const std::size_t things = p.be16();
    // 1.14 reads only the first 16 things but keeps going; stricter: more than 16 is invalid.
    if (things > max_coo_things) p.fail();
    p.skip(things * coo_thing_len);
    p.skip(5 + 5);  // issued to, signed by
    skip_signature(p);
    skip_extension(p);
  });
}

namespace {

// [2 n][n credentials]; false if truncated or malformed.
template <typename List>
bool read_section(reader& r, std::optional<List>& out) {
  const std::size_t n = r.be16();
  List l = List::read(r, n);
  if (!r.ok()) return false;
  out = l;
  return true;
}

// An absent section is written empty (a later one is present).
template <typename List>
void write_section(writer& w, const std::optional<List>& s) {
  w.be16(static_cast<std::uint16_t>(s ? s->size() : 0));
  if (s) s->emit(w);
}

template <typename List>
std::size_t section_len(const std::optional<List>& s) {
  return 2 + (s ? s->buffer_len() : 0);
}

}  // namespace

result<network_credentials_payload> network_credentials_payload::parse(reader& r) {
  network_credentials_payload p;
  // A COM starts with 0x01, so a 0x00 ends the list.
  reader probe = r;
  std::size_t n = 0;
  while (probe.remaining() > 0) {
    reader peek = probe;
    if (peek.u8() == 0) break;
    read_com_bytes(probe);
    if (!probe.ok()) return bad_payload("NETWORK_CREDENTIALS", "COM truncated or malformed");
    ++n;
  }
  p.coms = com_list::view(r.bytes(probe.position() - r.position()), n);
  if (r.remaining() == 0) {
    p.com_list_terminated = false;
    return p;
  }
  r.skip(1);
  // Each section is present iff bytes remain when it is due (older senders stop early).
  auto section = [&](auto& out, const char* name) -> std::optional<error> {
    if (r.remaining() == 0 || read_section(r, out)) return std::nullopt;
    return bad_payload("NETWORK_CREDENTIALS", std::string(name) + " section truncated or malformed");
  };
  if (auto e = section(p.capabilities, "capability")) return *e;
  if (auto e = section(p.tags, "tag")) return *e;
  if (auto e = section(p.revocations, "revocation")) return *e;
  if (auto e = section(p.certificates_of_ownership, "certificate of ownership")) return *e;
  return p;
}

void network_credentials_payload::emit(writer& w) const {
  coms.emit(w);
  const bool any_section = capabilities || tags || revocations || certificates_of_ownership;
  if (!com_list_terminated && !any_section) return;
  w.u8(0);
  if (!any_section) return;
  write_section(w, capabilities);
  if (!tags && !revocations && !certificates_of_ownership) return;
  write_section(w, tags);
  if (!revocations && !certificates_of_ownership) return;
  write_section(w, revocations);
  if (!certificates_of_ownership) return;
  write_section(w, certificates_of_ownership);
}

std::size_t network_credentials_payload::buffer_len() const {
  std::size_t n = coms.buffer_len();
  const bool any_section = capabilities || tags || revocations || certificates_of_ownership;
  if (!com_list_terminated && !any_section) return n;
  n += 1;
  if (!any_section) return n;
  n += section_len(capabilities);
  if (!tags && !revocations && !certificates_of_ownership) return n;
  n += section_len(tags);
  if (!revocations && !certificates_of_ownership) return n;
  n += section_len(revocations);
  if (!certificates_of_ownership) return n;
  return n + section_len(certificates_of_ownership);
}

}  // namespace ztkit::wire
