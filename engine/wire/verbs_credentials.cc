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

// Smallest possible encodings, used to bound counts before reading.
constexpr std::size_t min_capability_len = 8 + 8 + 4 + 2 + 1 + 5 + 2;
constexpr std::size_t min_tag_len = 34 + 1 + 2 + 2;
constexpr std::size_t min_revocation_len = 51 + 1 + 2 + 2;
constexpr std::size_t min_coo_len = 30 + 10 + 1 + 2 + 2;

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

using read_fn = std::span<const std::uint8_t> (*)(reader&);

bool read_section(reader& r, std::optional<std::vector<bytes_ref>>& out, read_fn read,
                  std::size_t min_len) {
  const std::size_t n = r.be16();
  if (!r.ok() || n > r.remaining() / min_len) return false;
  std::vector<bytes_ref> v;
  v.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    v.emplace_back(read(r));
    if (!r.ok()) return false;
  }
  out = std::move(v);
  return true;
}

void write_section(writer& w, const std::optional<std::vector<bytes_ref>>& s) {
  const auto& v = s ? *s : std::vector<bytes_ref>{};
  w.be16(static_cast<std::uint16_t>(v.size()));
  for (const auto& b : v) w.bytes(b.bytes);
}

std::size_t section_len(const std::optional<std::vector<bytes_ref>>& s) {
  std::size_t n = 2;
  if (s) for (const auto& b : *s) n += b.size();
  return n;
}

}  // namespace

result<network_credentials_payload> network_credentials_payload::parse(reader& r) {
  network_credentials_payload p;
  // A COM starts with 0x01, so a 0x00 ends the list.
  while (r.remaining() > 0) {
    reader peek = r;
    if (peek.u8() == 0) break;
    p.coms.emplace_back(read_com_bytes(r));
    if (!r.ok()) return bad_payload("NETWORK_CREDENTIALS", "COM truncated or malformed");
  }
  if (r.remaining() == 0) {
    p.com_list_terminated = false;
    return p;
  }
  r.skip(1);
  struct section {
    std::optional<std::vector<bytes_ref>>& out;
    read_fn read;
    std::size_t min_len;
    const char* name;
  };
  const section sections[] = {
      {p.capabilities, read_capability_bytes, min_capability_len, "capability"},
      {p.tags, read_tag_bytes, min_tag_len, "tag"},
      {p.revocations, read_revocation_bytes, min_revocation_len, "revocation"},
      {p.certificates_of_ownership, read_coo_bytes, min_coo_len, "certificate of ownership"},
  };
  for (const auto& s : sections) {
    if (r.remaining() == 0) break;  // older senders stop early
    if (!read_section(r, s.out, s.read, s.min_len)) {
      return bad_payload("NETWORK_CREDENTIALS",
                         std::string(s.name) + " section truncated or malformed");
    }
  }
  return p;
}

void network_credentials_payload::emit(writer& w) const {
  for (const auto& c : coms) w.bytes(c.bytes);
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
  std::size_t n = 0;
  for (const auto& c : coms) n += c.size();
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
