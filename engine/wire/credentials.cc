// Tag, Capability, CertificateOfOwnership, Revocation: see credentials.h.
#include "engine/wire/credentials.h"

#include <string>

namespace ztkit::wire {
namespace {

constexpr std::uint64_t sign_marker = 0x7f7f7f7f7f7f7f7fULL;

// [1 type = 1][2 length = 96][96 signature][2 extension length][extension] (the extension is
// skipped). Fails the reader and returns an error message, or "" on success.
std::string read_signature_tail(reader& r, crypto::c25519_signature& sig, bool with_ext = true) {
  const std::uint8_t type = r.u8();
  const std::uint16_t len = r.be16();
  if (!r.ok()) return "truncated";
  if (type != 1) {
    r.fail();
    return "signature type " + std::to_string(type) + " is not 1 (C25519)";
  }
  if (len != 96) {
    r.fail();
    return "signature length " + std::to_string(len) + " is not 96";
  }
  r.copy(sig.data(), sig.size());
  if (with_ext) r.skip(r.be16());
  return r.ok() ? "" : "truncated";
}

void write_signature_tail(writer& w, const crypto::c25519_signature& sig) {
  w.u8(1);
  w.be16(96);
  w.bytes(sig);
  w.be16(0);
}

template <typename T>
result<T> finish(reader& r, T value, const std::string& what, const std::string& problem) {
  if (!problem.empty() || !r.ok()) {
    r.fail();
    return error{errc::invalid_argument, what + ": " + (problem.empty() ? "truncated" : problem)};
  }
  return value;
}

bool controller_signed(zt_address signed_by, std::uint64_t nwid, const crypto::identity& c) {
  return signed_by.value() != 0 && signed_by == zt_address(nwid >> 24) && c.address() == signed_by;
}

// Tags, certificates of ownership and revocations are all signed by the network's controller
// over their signing_bytes() (the 0x7f-framed form) and carry signed_by + signature.
template <typename Credential>
status sign_by_controller(Credential& c, const crypto::identity& controller) {
  c.signed_by = controller.address();
  auto s = controller.sign(c.signing_bytes());
  if (!s.ok()) return s.status();
  c.signature = *s;
  return {};
}

template <typename Credential>
bool verified_by_controller(const Credential& c, const crypto::identity& controller) {
  return controller_signed(c.signed_by, c.network_id, controller) &&
         controller.verify(c.signing_bytes(), c.signature);
}

}  // namespace

// ---- Tag ----

result<tag_credential> tag_credential::parse(reader& r) {
  tag_credential t;
  t.network_id = r.be64();
  t.timestamp = static_cast<std::int64_t>(r.be64());
  t.id = r.be32();
  t.value = r.be32();
  t.issued_to = zt_address(r.be40());
  t.signed_by = zt_address(r.be40());
  const std::string problem = r.ok() ? read_signature_tail(r, t.signature) : "truncated";
  return finish(r, std::move(t), "tag", problem);
}

void tag_credential::emit(writer& w) const {
  w.be64(network_id);
  w.be64(static_cast<std::uint64_t>(timestamp));
  w.be32(id);
  w.be32(value);
  w.be40(issued_to.value());
  w.be40(signed_by.value());
  write_signature_tail(w, signature);
}

std::vector<std::uint8_t> tag_credential::signing_bytes() const {
  std::vector<std::uint8_t> out(8 + 8 + 8 + 4 + 4 + 5 + 5 + 2 + 8);
  writer w(out);
  w.be64(sign_marker);
  w.be64(network_id);
  w.be64(static_cast<std::uint64_t>(timestamp));
  w.be32(id);
  w.be32(value);
  w.be40(issued_to.value());
  w.be40(signed_by.value());
  w.be16(0);
  w.be64(sign_marker);
  return out;
}

status tag_credential::sign(const crypto::identity& controller) {
  return sign_by_controller(*this, controller);
}

bool tag_credential::verify(const crypto::identity& controller) const {
  return verified_by_controller(*this, controller);
}

// ---- Capability ----

result<capability_credential> capability_credential::parse(reader& r) {
  capability_credential c;
  c.network_id = r.be64();
  c.timestamp = static_cast<std::int64_t>(r.be64());
  c.id = r.be32();
  const std::size_t rc = r.be16();
  if (!r.ok()) return finish(r, std::move(c), "capability", "truncated");
  if (rc > max_rules) {
    return finish(r, std::move(c), "capability",
                  std::to_string(rc) + " rules (at most 64 allowed)");
  }
  auto rules = parse_rules_exact(r, rc);
  if (!rules.ok()) return finish(r, std::move(c), "capability", rules.message());
  c.rules = std::move(*rules);
  c.max_custody_chain_length = r.u8();
  if (!r.ok()) return finish(r, std::move(c), "capability", "truncated");
  if (c.max_custody_chain_length < 1 || c.max_custody_chain_length > max_custody_chain) {
    return finish(r, std::move(c), "capability",
                  "custody chain length " + std::to_string(c.max_custody_chain_length) +
                      " is outside 1..7");
  }
  for (;;) {
    const zt_address to(r.be40());
    if (!r.ok()) return finish(r, std::move(c), "capability", "truncated");
    if (to.value() == 0) break;
    if (c.chain.size() >= c.max_custody_chain_length) {
      return finish(r, std::move(c), "capability", "custody chain longer than its maximum");
    }
    custody e;
    e.to = to;
    e.from = zt_address(r.be40());
    const std::string problem = r.ok() ? read_signature_tail(r, e.signature, false) : "truncated";
    if (!problem.empty()) return finish(r, std::move(c), "capability", problem);
    c.chain.push_back(e);
  }
  r.skip(r.be16());  // extension fields
  return finish(r, std::move(c), "capability", "");
}

void capability_credential::emit(writer& w) const {
  w.be64(network_id);
  w.be64(static_cast<std::uint64_t>(timestamp));
  w.be32(id);
  w.be16(static_cast<std::uint16_t>(rules.size()));
  emit_rules(w, rules);
  w.u8(max_custody_chain_length);
  for (const custody& e : chain) {
    w.be40(e.to.value());
    w.be40(e.from.value());
    w.u8(1);
    w.be16(96);
    w.bytes(e.signature);
  }
  w.zeros(5);
  w.be16(0);
}

std::size_t capability_credential::buffer_len() const {
  return 8 + 8 + 4 + 2 + rules_buffer_len(rules) + 1 + chain.size() * (5 + 5 + 1 + 2 + 96) + 5 + 2;
}

std::vector<std::uint8_t> capability_credential::signing_bytes() const {
  std::vector<std::uint8_t> out(8 + 8 + 8 + 4 + 2 + rules_buffer_len(rules) + 1 + 2 + 8);
  writer w(out);
  w.be64(sign_marker);
  w.be64(network_id);
  w.be64(static_cast<std::uint64_t>(timestamp));
  w.be32(id);
  w.be16(static_cast<std::uint16_t>(rules.size()));
  emit_rules(w, rules);
  w.u8(max_custody_chain_length);
  w.be16(0);
  w.be64(sign_marker);
  return out;
}

status capability_credential::sign(const crypto::identity& from, zt_address to) {
  if (chain.size() >= max_custody_chain_length || chain.size() >= max_custody_chain) {
    return error{errc::failed_precondition, "capability custody chain is full"};
  }
  auto s = from.sign(signing_bytes());
  if (!s.ok()) return s.status();
  chain.push_back(custody{to, from.address(), *s});
  return {};
}

bool capability_credential::verify(const crypto::identity& controller) const {
  if (max_custody_chain_length < 1 || max_custody_chain_length > max_custody_chain) return false;
  if (chain.size() != 1) return false;
  const custody& e = chain[0];
  if (e.to.value() == 0 || e.from.value() == 0 || e.from != zt_address(network_id >> 24) ||
      controller.address() != e.from) {
    return false;
  }
  return controller.verify(signing_bytes(), e.signature);
}

// ---- CertificateOfOwnership ----

result<certificate_of_ownership> certificate_of_ownership::parse(reader& r) {
  certificate_of_ownership c;
  c.network_id = r.be64();
  c.timestamp = static_cast<std::int64_t>(r.be64());
  c.flags = r.be64();
  c.id = r.be32();
  const std::size_t n = r.be16();
  if (!r.ok()) return finish(r, std::move(c), "certificate of ownership", "truncated");
  if (n > max_things) {
    return finish(r, std::move(c), "certificate of ownership",
                  std::to_string(n) + " things (at most 16 allowed)");
  }
  for (std::size_t i = 0; i < n; ++i) {
    owned_thing t;
    t.type = r.u8();
    r.copy(t.value.data(), t.value.size());
    c.things.push_back(t);
  }
  c.issued_to = zt_address(r.be40());
  c.signed_by = zt_address(r.be40());
  const std::string problem = r.ok() ? read_signature_tail(r, c.signature) : "truncated";
  return finish(r, std::move(c), "certificate of ownership", problem);
}

void certificate_of_ownership::emit(writer& w) const {
  w.be64(network_id);
  w.be64(static_cast<std::uint64_t>(timestamp));
  w.be64(flags);
  w.be32(id);
  w.be16(static_cast<std::uint16_t>(things.size()));
  for (const owned_thing& t : things) {
    w.u8(t.type);
    w.bytes(t.value);
  }
  w.be40(issued_to.value());
  w.be40(signed_by.value());
  write_signature_tail(w, signature);
}

std::vector<std::uint8_t> certificate_of_ownership::signing_bytes() const {
  std::vector<std::uint8_t> out(8 + 8 + 8 + 8 + 4 + 2 + 17 * things.size() + 5 + 5 + 2 + 8);
  writer w(out);
  w.be64(sign_marker);
  w.be64(network_id);
  w.be64(static_cast<std::uint64_t>(timestamp));
  w.be64(flags);
  w.be32(id);
  w.be16(static_cast<std::uint16_t>(things.size()));
  for (const owned_thing& t : things) {
    w.u8(t.type);
    w.bytes(t.value);
  }
  w.be40(issued_to.value());
  w.be40(signed_by.value());
  w.be16(0);
  w.be64(sign_marker);
  return out;
}

status certificate_of_ownership::sign(const crypto::identity& controller) {
  return sign_by_controller(*this, controller);
}

bool certificate_of_ownership::verify(const crypto::identity& controller) const {
  return verified_by_controller(*this, controller);
}

// ---- Revocation ----

result<revocation> revocation::parse(reader& r) {
  revocation v;
  r.skip(4);
  v.id = r.be32();
  v.network_id = r.be64();
  r.skip(4);
  v.credential_id = r.be32();
  v.threshold = static_cast<std::int64_t>(r.be64());
  v.flags = r.be64();
  v.target = zt_address(r.be40());
  v.signed_by = zt_address(r.be40());
  v.type = static_cast<credential_type>(r.u8());
  const std::string problem = r.ok() ? read_signature_tail(r, v.signature) : "truncated";
  return finish(r, std::move(v), "revocation", problem);
}

void revocation::emit(writer& w) const {
  w.be32(0);
  w.be32(id);
  w.be64(network_id);
  w.be32(0);
  w.be32(credential_id);
  w.be64(static_cast<std::uint64_t>(threshold));
  w.be64(flags);
  w.be40(target.value());
  w.be40(signed_by.value());
  w.u8(static_cast<std::uint8_t>(type));
  write_signature_tail(w, signature);
}

std::vector<std::uint8_t> revocation::signing_bytes() const {
  std::vector<std::uint8_t> out(8 + 4 + 4 + 8 + 4 + 4 + 8 + 8 + 5 + 5 + 1 + 2 + 8);
  writer w(out);
  w.be64(sign_marker);
  w.be32(0);
  w.be32(id);
  w.be64(network_id);
  w.be32(0);
  w.be32(credential_id);
  w.be64(static_cast<std::uint64_t>(threshold));
  w.be64(flags);
  w.be40(target.value());
  w.be40(signed_by.value());
  w.u8(static_cast<std::uint8_t>(type));
  w.be16(0);
  w.be64(sign_marker);
  return out;
}

status revocation::sign(const crypto::identity& controller) {
  return sign_by_controller(*this, controller);
}

bool revocation::verify(const crypto::identity& controller) const {
  return verified_by_controller(*this, controller);
}

}  // namespace ztkit::wire
