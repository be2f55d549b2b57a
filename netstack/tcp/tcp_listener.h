// A listening TCP endpoint (RFC 9293 §3.10.7.2) with a bounded SYN backlog and SYN cookies
// (RFC 4987 §3.6). The listener itself holds no connections: tcp_socket_set creates a socket
// in SYN-RECEIVED for each SYN while fewer than `backlog` are half-open, and answers further
// SYNs statelessly with a cookie SYN-ACK whose sequence number encodes the peer's MSS:
//
//   ISS = H1(4-tuple) + ( [5 bits: minute counter t][3 bits: MSS index][24 bits: H2] )
//   H2  = SipHash(secret, 4-tuple, peer ISN, t) mod 2^24,  t = now / 64 s mod 32
//
// An ACK that matches no socket is checked against it (ACK - 1, within two counter steps,
// i.e. 64 to 128 s) and, if valid, becomes an ESTABLISHED socket with that MSS. Cookie
// connections have no window scaling, SACK or timestamps (the SYN-ACK offered none), like
// Linux without TCP timestamps. Established sockets wait in a bounded accept queue.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "netstack/tcp/siphash.h"
#include "netstack/wire/ip_address.h"

namespace ztkit::netstack {

using wire::inet_address;

struct tcp_listener_config {
  std::size_t backlog = 128;       // half-open (SYN-RECEIVED) sockets before cookies
  std::size_t accept_queue = 128;  // established sockets waiting for accept()
  bool syn_cookies = true;         // false: SYNs beyond the backlog are dropped
};

struct tcp_listener_counters {
  std::uint64_t syns = 0;
  std::uint64_t cookies_sent = 0;
  std::uint64_t cookies_accepted = 0;
  std::uint64_t cookies_rejected = 0;  // an ACK with a wrong or stale cookie (answered by RST)
  std::uint64_t syn_dropped = 0;       // backlog full and no cookies, or no socket slot
  std::uint64_t accept_overflow = 0;   // established but the accept queue was full (reset)
};

namespace syn_cookie {
// The MSS values a cookie can carry (index 0..7); encode picks the largest <= mss.
std::uint8_t mss_index(std::uint16_t mss);
std::uint16_t mss_value(std::uint8_t index);
// Our ISS for a cookie SYN-ACK to `remote` from `local`, for the peer's ISN `peer_isn`.
std::uint32_t make(const siphash_key& key, const inet_address& local, const inet_address& remote,
                   std::uint32_t peer_isn, std::uint8_t mss_index, std::uint64_t now_ms);
// The MSS the cookie `iss` (= SEG.ACK - 1) carries, if it is ours and fresh.
std::optional<std::uint16_t> check(const siphash_key& key, const inet_address& local,
                                   const inet_address& remote, std::uint32_t peer_isn,
                                   std::uint32_t iss, std::uint64_t now_ms);
}  // namespace syn_cookie

class tcp_listener {
 public:
  tcp_listener(const inet_address& local, const tcp_listener_config& cfg)
      : local_(local), cfg_(cfg) {
    queue_.reserve(cfg.accept_queue);
  }

  const inet_address& local() const { return local_; }
  const tcp_listener_config& config() const { return cfg_; }
  const tcp_listener_counters& counters() const { return counters_; }
  std::size_t half_open() const { return half_open_; }
  std::size_t pending() const { return queue_.size(); }
  // Does a segment to `dst` belong here (same port; our address or we listen on any)?
  bool matches(const inet_address& dst) const;

 private:
  friend class tcp_socket_set;
  inet_address local_;
  tcp_listener_config cfg_;
  tcp_listener_counters counters_;
  std::size_t half_open_ = 0;
  std::vector<std::uint32_t> queue_;  // socket indices, oldest first (capacity fixed)
};

}  // namespace ztkit::netstack
