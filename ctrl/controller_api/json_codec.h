// JSON <-> the embedded controller's networks and members, as zerotier-one 1.14's controller
// shows and stores them (controller/EmbeddedNetworkController.cpp networkUpdateFromPostData,
// the member POST handler, _parseRule/_renderRule; controller/DB.cpp initNetwork/initMember).
//
//   network: {id, nwid, objtype "network", name, private, enableBroadcast, mtu, multicastLimit,
//             v4AssignMode {zt}, v6AssignMode {zt, rfc4193, 6plane},
//             ipAssignmentPools [{ipRangeStart, ipRangeEnd}], routes [{target, via}],
//             rules [{type, not, or, ...}], creationTime, revision, and 1.14's other defaults}
//   member:  {id, address, nwid, objtype "member", authorized, ipAssignments [IP strings],
//             activeBridge, noAutoAssignIps, name, identity, revision, creationTime,
//             lastAuthorizedTime, lastDeauthorizedTime, and 1.14's other defaults}
//
// Updates merge like 1.14's POST: only the fields present change, unknown fields are ignored.
// Unlike 1.14 (which coerces or silently drops), a field of the wrong type or an unusable value
// is an error naming the field ("rules[2].etherType: must be an integer 0..65535").
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "ctrl/network/controller.h"
#include "engine/base/result.h"
#include "engine/wire/rules.h"

namespace ztkit::ctrl::api {

using json = nlohmann::json;

// ZT_NETCONF_CONTROLLER_API_VERSION in 1.14.
inline constexpr int controller_api_version = 4;

// "8056c2e21c000001" / "8056c2e21c".
std::string nwid_string(std::uint64_t nwid);
// Exactly 16 hex digits.
std::optional<std::uint64_t> parse_nwid(std::string_view s);

// "10.147.17.5" (the IP without the port or prefix); "" for nil.
std::string ip_string(const wire::inet_address& a);

// A rule of the rules array (1.14's _parseRule): nullopt for a type 1.14 does not know
// (skipped, as 1.14 does); an error for a known type with a bad field.
result<std::optional<wire::rule>> rule_from_json(const json& r);
// _renderRule; null for a rule type without a JSON form.
json rule_to_json(const wire::rule& r);

// The network object (members are not part of it).
json network_to_json(const controller_network& n);
// Merges a POST body into `s`. `s` is left unchanged on error.
status apply_network_json(const json& body, controller_network_settings& s);
// Defaults for a network made through the API (1.14's initNetwork: one ACTION_ACCEPT rule).
controller_network_settings api_network_defaults();

json member_to_json(std::uint64_t nwid, const controller_member& m);
// A member POST body as an update. Stored IPs have no prefix (port 0), as 1.14 stores them.
result<controller_member_update> member_update_from_json(const json& body);

// Stored records (controller.d): the object above plus what the store must keep. The network's
// ID and the member's address must be present and well-formed; `nwid` must match the member's.
result<controller_network> network_from_stored_json(const json& j);
result<controller_member> member_from_stored_json(std::uint64_t nwid, const json& j);

}  // namespace ztkit::ctrl::api
