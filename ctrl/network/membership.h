// Per-network membership table: the credentials (COMs) peers have shown us, the gate that
// decides whether a peer may exchange frames with us on a private network, and when we push our
// own COM (ZeroTierOne 1.14 node/Membership.*, Network::gate/addCredential/pushCredentials*,
// IncomingPacket _doNETWORK_CREDENTIALS and ERROR NEED_MEMBERSHIP_CERTIFICATE;
// zerotier-protocol.md §5.5). Pure: no I/O, every call takes `now` (ms).
//
// Like 1.14, a received COM is filed under its issued-to address (qualifier 2), not under the
// peer that relayed it; the gate then checks that it agrees with our COM including the
// identity hash of the peer asking to pass, so a COM shown by anyone else does not help.
//
// Received capabilities, tags and certificates of ownership are verified (signed by the
// controller, this network, timestamp within the config's credential max delta of ours, as
// 1.14's Membership::_isCredentialTimestampValid) and kept per issued-to member, newest per id
// (an older one is refused, as _addCredential does), bounded like 1.14 (caps/tags per member:
// the config limits; COOs: 4). The rules engine sees them (tags_of, capabilities_of, coos_of).
// Not modelled: revocations (COM revocation threshold).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "engine/base/zt_address.h"
#include "engine/crypto/identity.h"
#include "ctrl/network/rules_engine.h"
#include "engine/wire/com.h"
#include "engine/wire/network_config.h"
#include "engine/wire/verbs.h"

namespace ztkit::ctrl {

struct membership_limits {
  std::size_t max_peers = 4096;                  // entries kept; the least recently touched go
  std::int64_t credentials_receive_ms = 1000;    // ZT_PEER_CREDENTIALS_RATE_LIMIT (per sender)
  std::int64_t push_interval_ms = 500000;        // ZT_PEER_ACTIVITY_TIMEOUT (pushCredentialsIfNeeded)
  std::int64_t requested_push_ms = 1000;         // ZT_PEER_CREDENTIALS_REQUEST_RATE_LIMIT
};

// What happened to one COM of a NETWORK_CREDENTIALS.
enum class com_verdict {
  accepted,                  // verified and stored (replaced an older or equal one)
  redundant,                 // identical to the stored one
  malformed,                 // did not parse
  wrong_network,             // network ID is not ours
  old,                       // timestamp older than the stored one's
  invalid,                   // signature/signer does not verify with the controller
  need_controller_identity,  // we do not know the controller's identity yet (WHOIS it)
};

struct credentials_result {
  bool rate_limited = false;  // the whole packet was ignored (more than 1/s from this sender)
  std::vector<com_verdict> coms;
  // Capabilities, tags and COOs: stored, refused (malformed, not ours, bad signature, too old
  // or out of the time window), or waiting for the controller's identity.
  std::size_t others_accepted = 0, others_rejected = 0, others_need_controller = 0;
  std::size_t count(com_verdict v) const;
  bool need_controller_identity() const {
    return count(com_verdict::need_controller_identity) > 0 || others_need_controller > 0;
  }
};

struct membership_stats {
  std::uint64_t credentials_rate_limited = 0;
  std::uint64_t coms_accepted = 0;
  std::uint64_t coms_rejected = 0;  // malformed, wrong network, old, invalid
  std::uint64_t credentials_accepted = 0;  // capabilities, tags, COOs
  std::uint64_t credentials_rejected = 0;
  std::uint64_t evictions = 0;
};

class membership_table {
 public:
  membership_table(std::uint64_t network_id, zt_address controller, membership_limits limits = {});

  std::uint64_t network_id() const { return network_id_; }
  zt_address controller() const { return controller_; }

  // NETWORK_CREDENTIALS from `from` (its identity as the peer table knows it). `controller` is
  // the controller's identity, or nullptr when not known yet (then signed COMs come back as
  // need_controller_identity and nothing is stored). Caps/tags/revocations/COOs are ignored.
  credentials_result on_credentials(std::int64_t now, const crypto::identity& from,
                                    const wire::network_credentials_payload& p,
                                    const crypto::identity* controller,
                                    const wire::network_config* our_config = nullptr);

  // What member `a` has shown us (empty if nothing): its tags sorted by id for the rules
  // engine, its capabilities, its certificates of ownership.
  std::span<const rule_tag> tags_of(zt_address a) const;
  std::span<const wire::capability_credential> capabilities_of(zt_address a) const;
  std::span<const wire::certificate_of_ownership> coos_of(zt_address a) const;

  // Network::gate / Membership::isAllowedOnNetwork: no config → false; public → true; private →
  // we hold a verified COM issued to `peer` that agrees with our config's COM (identity hash
  // included).
  bool allowed(const crypto::identity& peer, const wire::network_config* our_config) const;

  // A new config was applied at `now` (1.14 _lastConfigUpdate): every peer gets a fresh push.
  void on_config_update(std::int64_t now) { last_config_update_ = now; }

  // pushCredentialsIfNeeded(): call before sending `peer` any FRAME, EXT_FRAME, MULTICAST_FRAME
  // or MULTICAST_LIKE. Returns the NETWORK_CREDENTIALS payload to send first (and records the
  // push) if never pushed, pushed before the last config update, or more than push_interval_ms
  // ago; nullopt otherwise, or when our config carries no credentials at all.
  std::optional<std::vector<std::uint8_t>> credentials_to_push(std::int64_t now, zt_address peer,
                                                               const wire::network_config& our_config);

  // ERROR(NEED_MEMBERSHIP_CERTIFICATE) from `peer` (peerRequestedCredentials): the same, with
  // the interval requested_push_ms (at most one push per second per peer).
  std::optional<std::vector<std::uint8_t>> on_need_certificate(std::int64_t now, zt_address peer,
                                                               const wire::network_config& our_config);

  // The payload 1.14 pushCredentials() sends for `c`: [our COM][0x00][2 n][capabilities]
  // [2 n][tags][2 revocations = 0][2 n][certificates of ownership]. One packet: 1.14 splits
  // configs whose credentials exceed a packet, this does not (a 1.14 controller issues at most
  // a few COOs and no caps/tags unless rules use them).
  static std::vector<std::uint8_t> credentials_payload(const wire::network_config& c);
  // The same for a config holding only `com`: [COM][0x00][2 0][2 0][2 0][2 0].
  static std::vector<std::uint8_t> credentials_payload(const wire::certificate_of_membership& com);

  // The stored COM issued to `a`, if any.
  const wire::certificate_of_membership* com_of(zt_address a) const;
  std::size_t size() const { return entries_.size(); }
  const membership_stats& stats() const { return stats_; }

 private:
  struct entry {
    std::optional<wire::certificate_of_membership> com;
    std::vector<wire::tag_credential> tags;                // sorted by id
    std::vector<rule_tag> tag_values;                      // the same, for the rules engine
    std::vector<wire::capability_credential> capabilities;  // by id
    std::vector<wire::certificate_of_ownership> coos;      // by id
    std::optional<std::int64_t> last_credentials_received;
    std::optional<std::int64_t> last_pushed;
    std::int64_t last_touched = 0;
    // allowed() is the gate of every frame, and agrees_with() builds a map and hashes the
    // peer's identity (SHA-384 through OpenSSL, 5 % of a bulk stream's cycles): its verdict is
    // kept until either COM changes. Ours is recognised by its signature (a new COM from the
    // controller has a new one); theirs resets the cache when replaced (add_com).
    mutable bool agree_cached = false;
    mutable bool agrees = false;
    mutable crypto::c25519_signature agreed_with{};
  };
  entry& touch(std::int64_t now, zt_address a);
  com_verdict add_com(std::int64_t now, const wire::certificate_of_membership& com,
                      const crypto::identity* controller);
  enum class cred_verdict { accepted, rejected, need_controller };
  // Network::addCredential for a tag / capability / COO.
  template <typename C>
  cred_verdict check_credential(const C& c, std::uint64_t network_id, std::int64_t timestamp,
                                const crypto::identity* controller,
                                const wire::network_config* our_config) const;
  cred_verdict add_tag(std::int64_t now, const wire::tag_credential& t,
                       const crypto::identity* controller, const wire::network_config* cfg);
  cred_verdict add_capability(std::int64_t now, const wire::capability_credential& c,
                              const crypto::identity* controller, const wire::network_config* cfg);
  cred_verdict add_coo(std::int64_t now, const wire::certificate_of_ownership& c,
                       const crypto::identity* controller, const wire::network_config* cfg);
  std::optional<std::vector<std::uint8_t>> push_if(std::int64_t now, zt_address peer,
                                                   const wire::network_config& our_config,
                                                   std::int64_t interval);

  std::uint64_t network_id_;
  zt_address controller_;
  membership_limits limits_;
  std::int64_t last_config_update_ = 0;
  std::map<zt_address, entry> entries_;
  membership_stats stats_;
};

}  // namespace ztkit::ctrl
