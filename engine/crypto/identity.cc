#include "engine/crypto/identity.h"

#include <cstring>

#include <fmt/format.h>

#include "engine/base/hex.h"
#include "engine/crypto/identity_hash.h"

namespace ztkit::crypto {
namespace {

// generateSatisfying() in C25519.hpp steps the private X25519 half by bumping two 64-bit words
// (host order) and re-deriving the public half, rather than drawing fresh randomness each try.
void step_private_key(c25519_pair& pair) {
  std::uint64_t w1, w2;
  std::memcpy(&w1, pair.priv.data() + 8, 8);
  std::memcpy(&w2, pair.priv.data() + 16, 8);
  ++w1;
  --w2;
  std::memcpy(pair.priv.data() + 8, &w1, 8);
  std::memcpy(pair.priv.data() + 16, &w2, 8);
  c25519_refresh_dh_public(pair);
}

error parse_error(std::string_view what) {
  return {errc::invalid_argument, fmt::format("invalid identity: {}", what)};
}

error invalid(const zt_address& a, std::string_view what) {
  return {errc::invalid_argument, fmt::format("identity {}: {}", a.to_string(), what)};
}

std::string_view strip_whitespace(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split_fields(std::string_view s) {
  std::vector<std::string_view> out;
  for (;;) {
    const auto colon = s.find(':');
    out.push_back(s.substr(0, colon));
    if (colon == std::string_view::npos) return out;
    s.remove_prefix(colon + 1);
  }
}

}  // namespace

identity identity::generate() {
  for (;;) {
    c25519_pair pair = c25519_generate();
    std::array<std::uint8_t, 64> digest;
    do {
      step_private_key(pair);
      digest = identity_memory_hard_hash(pair.pub.bytes.data());
    } while (digest[0] >= identity_hash_first_byte_limit);
    const zt_address address = zt_address::from_bytes(digest.data() + 59);
    if (address.reserved()) continue;  // as Identity::generate: start over with a new key
    identity id;
    id.address_ = address;
    id.public_key_ = pair.pub;
    id.private_key_ = pair.priv;
    return id;
  }
}

result<identity> identity::from_string(std::string_view text) {
  text = strip_whitespace(text);
  const std::vector<std::string_view> fields = split_fields(text);
  if (fields.size() != 3 && fields.size() != 4) {
    return parse_error(fmt::format(
        "expected 3 or 4 ':'-separated fields (address:0:public[:private]), got {}",
        fields.size()));
  }
  identity id;
  const auto address = zt_address::parse(fields[0]);
  if (!address) {
    return parse_error(
        fmt::format("address must be 10 hex digits, got '{}'", fields[0].substr(0, 32)));
  }
  if (address->reserved()) {
    return parse_error(
        fmt::format("address {} is reserved (0 or first byte 0xff)", address->to_string()));
  }
  id.address_ = *address;
  if (fields[1] != "0") {
    return parse_error(fmt::format("unsupported identity type '{}' (only type 0, C25519, exists)",
                                   fields[1].substr(0, 16)));
  }
  if (!from_hex(fields[2], id.public_key_.bytes)) {
    return parse_error(fmt::format("public key must be 128 hex digits, got {} characters",
                                   fields[2].size()));
  }
  if (fields.size() == 4) {
    c25519_private priv;
    if (!from_hex(fields[3], priv.bytes)) {
      // Never echo the private field: it is secret even when malformed.
      return parse_error(fmt::format("private key must be 128 hex digits, got {} characters",
                                     fields[3].size()));
    }
    id.private_key_ = priv;
  }
  return id;
}

result<identity> identity::deserialize(std::span<const std::uint8_t> bytes,
                                       std::size_t* consumed) {
  if (bytes.size() < public_binary_bytes) {
    return parse_error(fmt::format("binary identity truncated: {} bytes, need at least {}",
                                   bytes.size(), public_binary_bytes));
  }
  identity id;
  id.address_ = zt_address::from_bytes(bytes.data());
  if (id.address_.reserved()) {
    return parse_error(fmt::format("address {} is reserved", id.address_.to_string()));
  }
  if (bytes[5] != 0) {
    return parse_error(fmt::format("unsupported identity type {}", bytes[5]));
  }
  std::memcpy(id.public_key_.bytes.data(), bytes.data() + 6, 64);
  const std::size_t private_len = bytes[70];
  if (private_len != 0 && private_len != c25519_private_bytes) {
    return parse_error(
        fmt::format("private key length byte is {}, must be 0 or 64", private_len));
  }
  if (private_len != 0) {
    if (bytes.size() < secret_binary_bytes) {
      return parse_error(fmt::format("binary identity truncated in private key: {} bytes, need {}",
                                     bytes.size(), secret_binary_bytes));
    }
    c25519_private priv;
    std::memcpy(priv.data(), bytes.data() + public_binary_bytes, 64);
    id.private_key_ = priv;
  }
  if (consumed) *consumed = public_binary_bytes + private_len;
  return id;
}

std::string identity::to_string(bool include_private) const {
  std::string s = fmt::format("{}:0:{}", address_.to_string(), to_hex(public_key_.bytes));
  if (include_private && private_key_) {
    s += ':';
    s += to_hex(private_key_->bytes);
  }
  return s;
}

void identity::serialize(std::vector<std::uint8_t>& out, bool include_private) const {
  std::uint8_t addr[5];
  address_.to_bytes(addr);
  out.insert(out.end(), addr, addr + 5);
  out.push_back(0);
  out.insert(out.end(), public_key_.bytes.begin(), public_key_.bytes.end());
  if (include_private && private_key_) {
    out.push_back(static_cast<std::uint8_t>(c25519_private_bytes));
    out.insert(out.end(), private_key_->bytes.begin(), private_key_->bytes.end());
  } else {
    out.push_back(0);
  }
}

status identity::validate() const {
  if (address_.reserved()) return invalid(address_, "address is reserved");
  const auto digest = identity_memory_hard_hash(public_key_.bytes.data());
  if (digest[0] >= identity_hash_first_byte_limit) {
    return invalid(address_, fmt::format("public key fails the memory-hard hash difficulty "
                                         "(first byte {} >= {})",
                                         digest[0], identity_hash_first_byte_limit));
  }
  const zt_address derived = zt_address::from_bytes(digest.data() + 59);
  if (derived != address_) {
    return invalid(address_,
                   fmt::format("address does not match the memory-hard hash of the public key "
                               "(which gives {})",
                               derived.to_string()));
  }
  if (private_key_ && c25519_public_from_private(*private_key_) != public_key_) {
    return invalid(address_, "private key does not match the public key");
  }
  return {};
}

status identity::agree(const identity& other, agreed_key& out) const {
  if (!private_key_) {
    return error{errc::failed_precondition,
                 fmt::format("identity {} has no private key to agree with",
                             address_.to_string())};
  }
  if (!c25519_agree(*private_key_, other.public_key_, out)) {
    return invalid(other.address_, "low-order X25519 public key; refusing this peer");
  }
  return {};
}

result<c25519_signature> identity::sign(std::span<const std::uint8_t> msg) const {
  if (!private_key_) {
    return error{errc::failed_precondition,
                 fmt::format("identity {} has no private key to sign with",
                             address_.to_string())};
  }
  c25519_pair pair{public_key_, *private_key_};
  return c25519_sign(pair, msg);
}

bool identity::verify(std::span<const std::uint8_t> msg,
                      std::span<const std::uint8_t> sig) const {
  return c25519_verify(public_key_, msg, sig);
}

}  // namespace ztkit::crypto
