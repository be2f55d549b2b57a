// CertificateOfMembership (COM): the controller-signed proof that a node belongs to a private
// network (ZeroTierOne 1.14 node/CertificateOfMembership.hpp/.cpp; zerotier-protocol.md §5.5;
// netconf.json `parsed.com`, `com_agreement`).
//
//   [1 = 0x01][2 qualifier count q][q x (8 id, 8 value, 8 maxDelta)][5 signer][96 sig if signer != 0]
//
// Qualifiers are sorted by id (equal ids allowed, as 1.14 accepts them), at most 8. A 1.14
// controller issues 7: 0 timestamp (maxDelta = ctmd), 1 network ID (0), 2 issued-to address,
// 3..6 the big-endian words of SHA-384(address(5) || public key(64))[0..32) (maxDelta all ones).
// The signature covers the concatenated big-endian (id, value, maxDelta) triples.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "engine/base/result.h"
#include "engine/base/zt_address.h"
#include "engine/crypto/c25519.h"
#include "engine/crypto/identity.h"
#include "engine/wire/bytes.h"
#include "engine/wire/com_extent.h"

namespace ztkit::wire {

struct com_qualifier {
  std::uint64_t id = 0;
  std::uint64_t value = 0;
  std::uint64_t max_delta = 0;
  bool operator==(const com_qualifier&) const = default;
};

// The four qualifier values (ids 3..6) binding a COM to an identity.
std::array<std::uint64_t, 4> com_identity_hash(const crypto::identity& id);

struct certificate_of_membership {
  enum reserved_id : std::uint64_t { timestamp_id = 0, network_id_id = 1, issued_to_id = 2 };

  std::vector<com_qualifier> qualifiers;  // sorted by id, at most com_max_qualifiers
  zt_address signed_by;                   // zero: unsigned (no signature on the wire)
  crypto::c25519_signature signature{};   // all zero when unsigned

  // What a 1.14 controller issues (unsigned; call sign()).
  static certificate_of_membership issue(std::int64_t timestamp, std::uint64_t timestamp_max_delta,
                                         std::uint64_t network_id, const crypto::identity& to);

  // Reads one COM from `r`; rejects a first byte other than 1, more than 8 qualifiers,
  // qualifiers out of order and truncation (the reader is failed too).
  static result<certificate_of_membership> parse(reader& r);
  // The whole span must be one COM.
  static result<certificate_of_membership> parse(std::span<const std::uint8_t> bytes);
  void emit(writer& w) const;
  std::size_t buffer_len() const;
  std::vector<std::uint8_t> to_bytes() const;

  bool empty() const { return qualifiers.empty(); }
  std::int64_t timestamp() const;    // qualifier 0, or 0
  std::uint64_t network_id() const;  // qualifier 1, or 0
  zt_address issued_to() const;      // qualifier 2, or 0

  // The bytes the signature covers.
  std::vector<std::uint8_t> signing_bytes() const;
  // Signs with `controller` (needs its private key); sets signed_by.
  status sign(const crypto::identity& controller);
  // 1.14 verify(): signed, signer == network_id() >> 24 == controller's address, at most 8
  // qualifiers, and the signature checks with the controller's key.
  bool verify(const crypto::identity& controller) const;

  // 1.14 agreesWith(): see agrees_with() below.
  bool agrees_with(const certificate_of_membership& theirs,
                   const crypto::identity& their_identity) const;

  bool operator==(const certificate_of_membership&) const = default;
};

// Every qualifier of `mine` exists in `theirs` (the last one of a duplicated id counts, as in
// 1.14's std::map) with |mine - theirs| <= mine's maxDelta; if `mine` has any id in 3..6,
// `theirs` must carry ids 3..6 equal to the hash of `their_identity` (a stolen COM fails).
// An empty COM on either side never agrees.
bool agrees_with(const certificate_of_membership& mine, const certificate_of_membership& theirs,
                 const crypto::identity& their_identity);

}  // namespace ztkit::wire
