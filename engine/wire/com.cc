// CertificateOfMembership: see com.h.
#include "engine/wire/com.h"

#include <map>

#include <openssl/sha.h>

namespace ztkit::wire {

std::array<std::uint64_t, 4> com_identity_hash(const crypto::identity& id) {
  // Identity::publicKeyHash: SHA-384(address(5) || public key(64)).
  std::uint8_t buf[5 + 64];
  id.address().to_bytes(buf);
  std::memcpy(buf + 5, id.public_key().bytes.data(), 64);
  std::uint8_t h[SHA384_DIGEST_LENGTH];
  SHA384(buf, sizeof(buf), h);
  std::array<std::uint64_t, 4> out{};
  for (std::size_t i = 0; i < 4; ++i) out[i] = load_be64(h + 8 * i);
  return out;
}

certificate_of_membership certificate_of_membership::issue(std::int64_t timestamp,
                                                           std::uint64_t timestamp_max_delta,
                                                           std::uint64_t network_id,
                                                           const crypto::identity& to) {
  certificate_of_membership c;
  c.qualifiers.push_back({timestamp_id, static_cast<std::uint64_t>(timestamp), timestamp_max_delta});
  c.qualifiers.push_back({network_id_id, network_id, 0});
  c.qualifiers.push_back({issued_to_id, to.address().value(), ~0ULL});
  const auto h = com_identity_hash(to);
  for (std::uint64_t i = 0; i < 4; ++i) c.qualifiers.push_back({i + 3, h[i], ~0ULL});
  return c;
}

result<certificate_of_membership> certificate_of_membership::parse(reader& r) {
  certificate_of_membership c;
  if (r.u8() != 1) {
    const bool short_input = !r.ok();
    r.fail();
    return error{errc::invalid_argument,
                 short_input ? "COM truncated" : "COM does not start with type byte 0x01"};
  }
  const std::size_t q = r.be16();
  if (q > com_max_qualifiers) {
    r.fail();
    return error{errc::invalid_argument,
                 "COM has " + std::to_string(q) + " qualifiers (at most 8 allowed)"};
  }
  std::uint64_t last = 0;
  for (std::size_t i = 0; i < q; ++i) {
    com_qualifier x;
    x.id = r.be64();
    x.value = r.be64();
    x.max_delta = r.be64();
    if (x.id < last) {
      r.fail();
      return error{errc::invalid_argument, "COM qualifiers are not sorted by id"};
    }
    last = x.id;
    c.qualifiers.push_back(x);
  }
  c.signed_by = zt_address(r.be40());
  if (c.signed_by.value() != 0) r.copy(c.signature.data(), c.signature.size());
  if (!r.ok()) return error{errc::invalid_argument, "COM truncated"};
  return c;
}

result<certificate_of_membership> certificate_of_membership::parse(
    std::span<const std::uint8_t> bytes) {
  reader r(bytes);
  auto c = parse(r);
  if (c.ok() && !r.at_end()) {
    return error{errc::invalid_argument, "trailing bytes after COM"};
  }
  return c;
}

void certificate_of_membership::emit(writer& w) const {
  w.u8(1);
  w.be16(static_cast<std::uint16_t>(qualifiers.size()));
  for (const auto& q : qualifiers) {
    w.be64(q.id);
    w.be64(q.value);
    w.be64(q.max_delta);
  }
  w.be40(signed_by.value());
  if (signed_by.value() != 0) w.bytes(signature);
}

std::size_t certificate_of_membership::buffer_len() const {
  return 1 + 2 + 24 * qualifiers.size() + 5 + (signed_by.value() != 0 ? 96 : 0);
}

std::vector<std::uint8_t> certificate_of_membership::to_bytes() const {
  std::vector<std::uint8_t> out(buffer_len());
  writer w(out);
  emit(w);
  return out;
}

std::int64_t certificate_of_membership::timestamp() const {
  for (const auto& q : qualifiers)
    if (q.id == timestamp_id) return static_cast<std::int64_t>(q.value);
  return 0;
}

std::uint64_t certificate_of_membership::network_id() const {
  for (const auto& q : qualifiers)
    if (q.id == network_id_id) return q.value;
  return 0;
}

zt_address certificate_of_membership::issued_to() const {
  for (const auto& q : qualifiers)
    if (q.id == issued_to_id) return zt_address(q.value);
  return zt_address();
}

std::vector<std::uint8_t> certificate_of_membership::signing_bytes() const {
  std::vector<std::uint8_t> out(24 * qualifiers.size());
  writer w(out);
  for (const auto& q : qualifiers) {
    w.be64(q.id);
    w.be64(q.value);
    w.be64(q.max_delta);
  }
  return out;
}

status certificate_of_membership::sign(const crypto::identity& controller) {
  if (qualifiers.size() > com_max_qualifiers) {
    return error{errc::invalid_argument, "COM has more than 8 qualifiers"};
  }
  auto sig = controller.sign(signing_bytes());
  if (!sig.ok()) return sig.status();
  signature = *sig;
  signed_by = controller.address();
  return {};
}

bool certificate_of_membership::verify(const crypto::identity& controller) const {
  if (signed_by.value() == 0 || qualifiers.size() > com_max_qualifiers) return false;
  if (signed_by != zt_address(network_id() >> 24)) return false;
  if (controller.address() != signed_by) return false;
  return controller.verify(signing_bytes(), signature);
}

bool certificate_of_membership::agrees_with(const certificate_of_membership& theirs,
                                            const crypto::identity& their_identity) const {
  return wire::agrees_with(*this, theirs, their_identity);
}

bool agrees_with(const certificate_of_membership& mine, const certificate_of_membership& theirs,
                 const crypto::identity& their_identity) {
  if (mine.qualifiers.empty() || theirs.qualifiers.empty()) return false;
  std::map<std::uint64_t, std::uint64_t> other;
  for (const auto& q : theirs.qualifiers) other[q.id] = q.value;

  bool full_identity = false;
  for (const auto& q : mine.qualifiers) {
    if (q.id >= 3 && q.id <= 6) full_identity = true;
    const auto it = other.find(q.id);
    if (it == other.end()) return false;
    const std::uint64_t a = q.value, b = it->second;
    if ((a >= b ? a - b : b - a) > q.max_delta) return false;
  }
  if (full_identity) {
    const auto h = com_identity_hash(their_identity);
    for (std::uint64_t i = 0; i < 4; ++i) {
      const auto it = other.find(i + 3);
      if (it == other.end() || it->second != h[i]) return false;
    }
  }
  return true;
}

}  // namespace ztkit::wire
