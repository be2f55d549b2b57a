// A ZeroTier identity (type 0, C25519): a 40-bit address, a 64-byte public key and optionally
// the 64-byte private key (ZeroTierOne 1.14 node/Identity.hpp/.cpp; identities.json).
//
// Text forms (identity.public / identity.secret):
//   "<10 hex address>:0:<128 hex public>"  and  "...:<128 hex private>"
// Binary form (HELLO, OK(WHOIS), worlds):
//   [5 address][1 type = 0][64 public][1 private length: 0 or 64][private]
//
// Parsing is stricter than 1.14 where 1.14 would accept garbage (extra hex digits, non-hex
// address text); every rejection carries a message naming the reason. Private key bytes are
// wiped on destruction and are never part of a message or log line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.h"
#include "engine/base/zt_address.h"
#include "engine/crypto/c25519.h"

namespace ztkit::crypto {

class identity {
 public:
  static constexpr std::size_t public_binary_bytes = 5 + 1 + 64 + 1;         // 71
  static constexpr std::size_t secret_binary_bytes = public_binary_bytes + 64;  // 135

  identity() = default;

  // Generates a new identity: walks key pairs until the memory-hard hash meets the difficulty
  // and yields a non-reserved address (~0.3-1 s of CPU).
  static identity generate();

  // Parses identity.public or identity.secret text (surrounding whitespace, as left by an
  // editor or `echo`, is ignored). Does not run the memory-hard check: see validate().
  static result<identity> from_string(std::string_view text);

  // Parses the binary form at the start of `bytes`; `consumed` (if given) gets its length.
  static result<identity> deserialize(std::span<const std::uint8_t> bytes,
                                              std::size_t* consumed = nullptr);

  std::string to_string(bool include_private) const;
  void serialize(std::vector<std::uint8_t>& out, bool include_private) const;

  // ZeroTier's locallyValidate(): address not reserved, hash difficulty met, address equals
  // the hash's last 5 bytes; for an identity with a private key, also that the private key
  // really yields the public key (a corrupt identity.secret must not be used).
  status validate() const;
  bool locally_validate() const { return validate().ok(); }

  zt_address address() const { return address_; }
  const c25519_public& public_key() const { return public_key_; }
  bool has_private() const { return private_key_.has_value(); }

  // Agreement with another identity's public key (48 bytes, agree.json). Requires our private
  // key; fails on a missing private key or a low-order peer key.
  status agree(const identity& other, agreed_key& out) const;

  // Signature by this identity (requires the private key).
  result<c25519_signature> sign(std::span<const std::uint8_t> msg) const;
  bool verify(std::span<const std::uint8_t> msg, std::span<const std::uint8_t> sig) const;

  // Same address and public key (private key not compared).
  bool operator==(const identity& o) const {
    return address_ == o.address_ && public_key_ == o.public_key_;
  }

 private:
  zt_address address_;
  c25519_public public_key_;
  std::optional<c25519_private> private_key_;
};

}  // namespace ztkit::crypto
