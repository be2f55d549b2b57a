// UDP sockets (RFC 768) and the set that holds them. A socket does no I/O: datagrams arrive
// from the interface (deliver) and wait in a receive ring bounded in bytes and datagrams;
// send_to queues into a transmit ring that the interface drains in poll(), where addresses are
// resolved and datagrams larger than the MTU are fragmented.
//
// Binding (like BSD sockets): a local address (one of the interface's, or nil = any address of
// the family given by `port`'s endpoint family, or nil family = any address of both families)
// and a port (0 = pick an ephemeral one in 49152..65535, RFC 6335 §6). Two sockets may not
// share a port when their addresses overlap. Broadcast sends (255.255.255.255 or a subnet's
// broadcast address) need set_broadcast(true), like SO_BROADCAST, and the interface's
// allow_broadcast (the network's broadcast flag).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "netstack/socket/packet_ring.h"
#include "netstack/wire/ip_address.h"

namespace ztkit::netstack {

using wire::inet_address;

enum class udp_error {
  ok,
  invalid,         // bad endpoint (nil destination, port 0, wrong family for the binding)
  address_in_use,
  no_ports,        // no ephemeral port left
  would_block,     // transmit ring full (counted)
  too_large,       // larger than a UDP datagram or the transmit ring
  not_open,
};
const char* to_string(udp_error e);

struct udp_socket_counters {
  std::uint64_t rx_datagrams = 0;
  std::uint64_t rx_bytes = 0;
  std::uint64_t rx_dropped_full = 0;  // receive ring full: datagram dropped
  std::uint64_t tx_datagrams = 0;     // queued by send_to
  std::uint64_t tx_dropped = 0;       // send_to refused (would_block)
};

struct udp_recv_meta {
  std::size_t len = 0;  // the datagram's size (may exceed what was copied)
  inet_address src;     // sender's address and port
  inet_address dst;     // the local address and port it was sent to
  bool truncated = false;
};

class udp_socket {
 public:
  struct config {
    std::size_t rx_bytes = 256 * 1024;
    std::size_t rx_datagrams = 256;
    std::size_t tx_bytes = 256 * 1024;
    std::size_t tx_datagrams = 256;
  };

  explicit udp_socket(const config& cfg);

  const inet_address& local() const { return local_; }
  bool is_bound() const { return local_.port != 0; }
  void set_broadcast(bool on) { broadcast_ = on; }
  bool broadcast() const { return broadcast_; }

  // Queues a datagram. An unbound socket is bound to an ephemeral port first by the set.
  udp_error send_to(std::span<const std::uint8_t> payload, const inet_address& dst);
  // Copies the oldest datagram into `out` (truncating), or nullopt if none.
  std::optional<udp_recv_meta> recv_from(std::span<std::uint8_t> out);
  bool can_recv() const { return !rx_.empty(); }
  std::size_t rx_queued() const { return rx_.size(); }
  std::size_t tx_queued() const { return tx_.size(); }

  const udp_socket_counters& counters() const { return counters_; }

  // Interface side.
  struct rx_meta {
    inet_address src, dst;
  };
  struct tx_meta {
    inet_address dst;
  };
  // Puts a received datagram in the ring; false (counted) when it does not fit.
  bool deliver(const inet_address& src, const inet_address& dst,
               std::span<const std::uint8_t> payload);
  packet_ring<tx_meta>& tx_ring() { return tx_; }
  // Does this socket accept a datagram to dst (address and port)?
  bool accepts(const inet_address& dst) const;

 private:
  friend class udp_socket_set;
  inet_address local_;
  bool open_ = false;
  bool broadcast_ = false;
  class udp_socket_set* set_ = nullptr;
  packet_ring<rx_meta> rx_;
  packet_ring<tx_meta> tx_;
  udp_socket_counters counters_;
};

// A socket handle: an index in the set.
struct udp_handle {
  std::uint32_t index = ~0u;
  bool operator==(const udp_handle&) const = default;
};

class udp_socket_set {
 public:
  explicit udp_socket_set(std::size_t max_sockets = 64) { sockets_.reserve(max_sockets); max_ = max_sockets; }

  // Opens a socket (allocates its rings: this is the only allocation a socket makes).
  std::optional<udp_handle> open(const udp_socket::config& cfg = {});
  void close(udp_handle h);
  // Binds to `local` (see the header comment); fills in the chosen port.
  udp_error bind(udp_handle h, inet_address local);
  udp_socket& get(udp_handle h) { return *sockets_[h.index]; }
  std::size_t size() const { return sockets_.size(); }

  // The socket a datagram to dst goes to: an exact address match before a wildcard one.
  udp_socket* find(const inet_address& dst);
  udp_error bind_ephemeral(udp_socket& s, inet_address::family fam);

  template <typename F>
  void for_each_open(F&& f) {
    for (auto& s : sockets_)
      if (s && s->open_) f(*s);
  }

 private:
  bool port_conflicts(const inet_address& local, const udp_socket* except) const;
  std::vector<std::unique_ptr<udp_socket>> sockets_;
  std::size_t max_ = 64;
  std::uint16_t next_ephemeral_ = 49152;
};

}  // namespace ztkit::netstack
