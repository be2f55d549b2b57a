// Network credentials other than the COM: Tag, Capability, CertificateOfOwnership, Revocation
// (ZeroTierOne 1.14 node/Tag.hpp, Capability.hpp/.cpp, CertificateOfOwnership.hpp,
// Revocation.hpp; zerotier-protocol.md §5.5). They travel in netconf (`CAP`, `TAG`, `COO`) and in
// NETWORK_CREDENTIALS. Each ends with [1 signature type = 1][2 length = 96][96 signature]
// [2 extension length] (a Capability has a custody chain instead). The signed bytes are
// 0x7f x 8 || the fields without the signature part || [2 extension length = 0] || 0x7f x 8.
//
// Stricter than 1.14: a signature type other than 1 is rejected (1.14 skips it and the
// credential then fails verification); extension fields are skipped on reading and not kept.
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
#include "engine/wire/rules.h"

namespace ztkit::wire {

// Credential types (Credential.hpp), as used by Revocation.
enum class credential_type : std::uint8_t {
  null = 0, com = 1, capability = 2, tag = 3, coo = 4, revocation = 6,
};

struct tag_credential {
  std::uint64_t network_id = 0;
  std::int64_t timestamp = 0;
  std::uint32_t id = 0;
  std::uint32_t value = 0;
  zt_address issued_to;
  zt_address signed_by;
  crypto::c25519_signature signature{};

  static result<tag_credential> parse(reader& r);
  void emit(writer& w) const;
  std::size_t buffer_len() const { return 8 + 8 + 4 + 4 + 5 + 5 + 1 + 2 + 96 + 2; }
  std::vector<std::uint8_t> signing_bytes() const;
  status sign(const crypto::identity& controller);
  // signed_by == network_id >> 24 == controller's address, and the signature checks.
  bool verify(const crypto::identity& controller) const;
  bool operator==(const tag_credential&) const = default;
};

struct capability_credential {
  static constexpr std::size_t max_rules = 64;               // ZT_MAX_CAPABILITY_RULES
  static constexpr std::size_t max_custody_chain = 7;        // ZT_MAX_CAPABILITY_CUSTODY_CHAIN_LENGTH
  struct custody {
    zt_address to;
    zt_address from;
    crypto::c25519_signature signature{};
    bool operator==(const custody&) const = default;
  };

  std::uint64_t network_id = 0;
  std::int64_t timestamp = 0;
  std::uint32_t id = 0;
  std::vector<rule> rules;                 // at most max_rules
  std::uint8_t max_custody_chain_length = 1;  // 1..7
  std::vector<custody> chain;              // at most max_custody_chain_length entries

  static result<capability_credential> parse(reader& r);
  void emit(writer& w) const;
  std::size_t buffer_len() const;
  zt_address issued_to() const { return chain.empty() ? zt_address() : chain.back().to; }
  std::vector<std::uint8_t> signing_bytes() const;
  // Appends a custody entry from `from` to `to` (1.14 Capability::sign).
  status sign(const crypto::identity& from, zt_address to);
  // Capability::verify with only the controller's identity known: a chain of one entry from
  // the controller (longer chains need the holders' identities; they are not verified here).
  bool verify(const crypto::identity& controller) const;
  bool operator==(const capability_credential&) const = default;
};

struct certificate_of_ownership {
  static constexpr std::size_t max_things = 16;  // ZT_CERTIFICATEOFOWNERSHIP_MAX_THINGS
  enum class thing : std::uint8_t { null = 0, mac = 1, ipv4 = 2, ipv6 = 3 };
  struct owned_thing {
    std::uint8_t type = 0;
    std::array<std::uint8_t, 16> value{};  // zero-padded
    bool operator==(const owned_thing&) const = default;
  };

  std::uint64_t network_id = 0;
  std::int64_t timestamp = 0;
  std::uint64_t flags = 0;
  std::uint32_t id = 0;
  std::vector<owned_thing> things;  // at most max_things
  zt_address issued_to;
  zt_address signed_by;
  crypto::c25519_signature signature{};

  static result<certificate_of_ownership> parse(reader& r);
  void emit(writer& w) const;
  std::size_t buffer_len() const { return 8 + 8 + 8 + 4 + 2 + 17 * things.size() + 5 + 5 + 1 + 2 + 96 + 2; }
  std::vector<std::uint8_t> signing_bytes() const;
  status sign(const crypto::identity& controller);
  bool verify(const crypto::identity& controller) const;
  bool operator==(const certificate_of_ownership&) const = default;
};

struct revocation {
  std::uint32_t id = 0;
  std::uint64_t network_id = 0;
  std::uint32_t credential_id = 0;
  std::int64_t threshold = 0;
  std::uint64_t flags = 0;
  zt_address target;
  zt_address signed_by;
  credential_type type = credential_type::null;
  crypto::c25519_signature signature{};

  static result<revocation> parse(reader& r);
  void emit(writer& w) const;
  std::size_t buffer_len() const { return 4 + 4 + 8 + 4 + 4 + 8 + 8 + 5 + 5 + 1 + 1 + 2 + 96 + 2; }
  std::vector<std::uint8_t> signing_bytes() const;
  status sign(const crypto::identity& controller);
  bool verify(const crypto::identity& controller) const;
  bool operator==(const revocation&) const = default;
};

}  // namespace ztkit::wire
