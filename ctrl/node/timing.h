// The 1.14 timers and limits the node core follows (ZeroTierOne 1.14.1 node/Constants.hpp;
// zerotier-protocol.md §4.4, §4.6). All in milliseconds.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ztkit::ctrl::timing {

inline constexpr std::int64_t ping_check_interval = 5000;        // ZT_PING_CHECK_INTERVAL
inline constexpr std::int64_t path_heartbeat_period = 14000;     // ZT_PATH_HEARTBEAT_PERIOD
inline constexpr std::int64_t path_alive_timeout = path_heartbeat_period + 5000;  // Path::alive
inline constexpr std::int64_t peer_ping_period = 60000;          // ZT_PEER_PING_PERIOD
inline constexpr std::int64_t path_expiration = peer_ping_period * 4 + 3000;  // ZT_PEER_PATH_EXPIRATION
inline constexpr std::int64_t peer_activity_timeout = 500000;    // ZT_PEER_ACTIVITY_TIMEOUT
inline constexpr std::int64_t housekeeping_period = 30000;       // ZT_HOUSEKEEPING_PERIOD
inline constexpr std::int64_t whois_retry_delay = 500;           // ZT_WHOIS_RETRY_DELAY
inline constexpr std::int64_t transmit_queue_timeout = 5000;     // ZT_TRANSMIT_QUEUE_TIMEOUT
inline constexpr std::int64_t receive_queue_timeout = 5000;      // ZT_RECEIVE_QUEUE_TIMEOUT
inline constexpr std::int64_t path_hello_rate_limit = 1000;      // ZT_PATH_HELLO_RATE_LIMIT
inline constexpr std::int64_t min_unite_interval = 30000;        // ZT_MIN_UNITE_INTERVAL
inline constexpr std::int64_t direct_path_push_interval = 15000; // ZT_DIRECT_PATH_PUSH_INTERVAL
inline constexpr std::int64_t direct_path_push_interval_have_path = 120000;
inline constexpr std::int64_t push_direct_paths_cutoff_time = 30000;
inline constexpr unsigned push_direct_paths_cutoff_limit = 8;
inline constexpr unsigned push_direct_paths_max_per_scope_and_family = 8;
inline constexpr std::int64_t whois_rate_limit = 100;            // ZT_PEER_WHOIS_RATE_LIMIT
inline constexpr std::int64_t echo_rate_limit = 166;             // Path::rateGateEcho (~6/s)
inline constexpr std::int64_t trust_expiration = 600000;         // ZT_TRUST_EXPIRATION
// Node::rateGateIdentityVerification on x86-64 (5 s on 32-bit x86, 10 s elsewhere).
inline constexpr std::int64_t identity_verification_rate_limit = 2000;
// Upstreams with a path are contacted when more than 14 s x 16 have passed (_PingPeersThatNeedPing).
inline constexpr std::int64_t upstream_hello_period = path_heartbeat_period * 16;
// Best-upstream penalty: roots silent for this long are worst (Topology::getUpstreamPeer).
inline constexpr std::int64_t upstream_silence_limit = 500000;

}  // namespace ztkit::ctrl::timing
