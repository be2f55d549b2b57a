// ztkit's public C++ API: a ZeroTier node inside your process.
//
//   auto node = ztkit::Node::start({.state_dir = "/var/lib/myapp/zt"});
//   node->join(0x8056c2e21c000001);
//   auto net = node->wait_network_ready(0x8056c2e21c000001, std::chrono::seconds(30));
//   auto sock = ztkit::UdpSocket::bind(*node, net->id, {{}, 7777});   // udp.h
//
// Threads: the node runs its own thread (I/O, protocol, the IP stacks of joined networks).
// Every method here may be called from any application thread. Events reach `on_event` on the
// node's thread (keep it short) and the pollable queue (next_event) of every Node.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ztkit/address.h"
#include "ztkit/error.h"
#include "ztkit/metrics.h"

namespace ztkit {

// ZT_VirtualNetworkStatus, as zerotier-one reports it.
enum class NetworkStatus {
  requesting_configuration,
  ok,
  access_denied,
  not_found,
  port_error,
  client_too_old,
  authentication_required,
};
const char* to_string(NetworkStatus s);  // "REQUESTING_CONFIGURATION", "OK", ...

struct NetworkInfo {
  std::uint64_t id = 0;
  NetworkStatus status = NetworkStatus::requesting_configuration;
  std::string name;
  std::vector<IpPrefix> addresses;  // managed addresses (from the controller, or the cache)
  std::uint32_t mtu = 0;
  bool is_private = true;
  bool from_cache = false;          // the config came from networks.d, not yet confirmed
};

struct Event {
  enum class Kind {
    online,            // the node reaches its roots (online = true) or lost them (false)
    network_status,    // network_id, status
    network_config,    // network_id, addresses (a new config is in force)
    peer_online,       // peer
    peer_offline,      // peer
    path_learned,      // peer, path
    path_lost,         // peer, path
    user_message,      // peer, message_type, data
    problem,           // text (a corrupt cached config, a fatal identity collision, ...)
  };
  Kind kind = Kind::online;
  bool online = false;
  std::uint64_t network_id = 0;
  NetworkStatus status = NetworkStatus::requesting_configuration;
  std::vector<IpPrefix> addresses;
  std::string peer;  // 10 hex digits
  SocketAddress path;
  std::uint64_t message_type = 0;
  std::string data;
  std::string text;
};
std::string to_string(const Event& e);  // one line, for logs

// A peer as zerotier-cli listpeers shows it.
struct PeerInfo {
  std::string address;               // 10 hex digits
  std::string role;                  // "PLANET" (a root), "MOON", "LEAF"
  int latency_ms = -1;               // -1: unknown
  std::string version;               // "1.14.1", "-" when it never said
  std::vector<SocketAddress> paths;  // direct paths, best first (empty: reached through a root)
};

// Settings of a network served by this node's embedded controller (NodeOptions::controller).
struct ControllerNetwork {
  std::uint32_t suffix = 0;  // network ID = (node address << 24) | suffix (24 bits)
  std::string name;
  bool is_private = true;
  bool enable_broadcast = true;
  std::uint32_t mtu = 2800;
  std::uint32_t multicast_limit = 32;
  // IPv4 pool for automatic assignment (empty: none), and its netmask length.
  std::optional<IpAddress> pool_first, pool_last;
  std::uint8_t pool_prefix_len = 24;
  // v6AssignMode rfc4193 / 6plane: every member gets fd<nwid>9993<address>/88 and/or
  // fc<nwid folded>:<address>::1/40 (NDP emulated: neighbours are found without solicitation).
  bool v6_rfc4193 = false;
  bool v6_6plane = false;
};

struct NodeOptions {
  std::string state_dir;    // required: identity, planet, networks.d, peers.d (created 0700)
  std::string planet_file;  // a planet to use (empty: <state>/planet if present, else Earth)
  std::string listen = "0.0.0.0:9993";  // UDP; port 0 lets the kernel choose
  enum class Backend { automatic, io_uring, epoll };
  Backend backend = Backend::automatic;
  // UDP GSO/GRO where the kernel has them: a bulk stream's packets (split into equal
  // datagrams) leave in one system call per run and arrive as one buffer. About 6 MB of
  // buffers per node; false sends and receives one datagram at a time, as zerotier-one does.
  bool udp_offload = true;
  // TCP connections per joined network (open ones, TIME-WAIT included): the socket table is
  // sized once at join, about 100 bytes a slot; a socket's own state and rings only when used.
  std::size_t max_tcp_connections = 16384;
  // Data shards, 1..64: shard 0 runs the UDP socket, armor/dearmor and the networks' virtual
  // ports; each further shard runs its own thread with the TCP connections whose addresses and
  // ports hash to it (new connections are spread over the shards in turn, accepted ones land
  // where their hash says). UDP sockets and pings stay on shard 0. More shards help when the
  // TCP/IP stack and the application's copies, not the crypto, are the bottleneck and the
  // machine has idle cores; with 1, as before, the node runs two threads (shard and control).
  // max_tcp_connections applies to each shard's share of a network (its socket table).
  unsigned shards = 1;
  // Accept loopback paths (1.14 never does): for demos and tests on one machine.
  bool allow_loopback = false;
  // Serve as the single root of a planet naming this node at `root_endpoint` (written to
  // <state>/planet, signed with a world key kept in <state>): a private ZeroTier world.
  std::optional<SocketAddress> root_endpoint;
  // Host an embedded network controller (networks whose IDs begin with this node's address).
  bool controller = false;
  // Join again, at start, the networks the state folder says are joined (networks.d), as
  // zerotier-one does; their cached configs bring the addresses up before the controller
  // answers.
  bool rejoin = true;
  // Serve Prometheus metrics (GET /metrics, text format 0.0.4; docs/metrics.md) over HTTP at
  // this ADDR:PORT, e.g. "127.0.0.1:9464" (port 0: the kernel picks; see metrics_endpoint()).
  // Empty: no endpoint (Node::metrics() works either way). Keep it on loopback unless the
  // counters may be public. An address in use fails start().
  std::string metrics_listen;
  std::function<void(const Event&)> on_event;  // on the node's (shard) thread
};

class Node {
 public:
  static Expected<std::unique_ptr<Node>> start(NodeOptions options);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Leaves the node's thread and closes its socket (networks stay joined in the state folder).
  void stop();

  std::string address() const;           // 10 hex digits
  std::uint64_t address_value() const;
  SocketAddress local_endpoint() const;   // where the UDP socket listens
  std::string planet_file() const;        // the planet in use as a file others can be given
  bool online() const;
  bool wait_online(std::chrono::milliseconds timeout) const;

  // Joins network `nwid`: the config request leaves at once. Idempotent.
  Expected<void> join(std::uint64_t nwid);
  // Leaves it and forgets its cached config.
  Expected<void> leave(std::uint64_t nwid);
  Expected<NetworkInfo> network(std::uint64_t nwid) const;
  std::vector<NetworkInfo> networks() const;
  // Waits until `nwid` is OK and has a managed address confirmed by its controller.
  Expected<NetworkInfo> wait_network_ready(std::uint64_t nwid,
                                           std::chrono::milliseconds timeout) const;

  // The peers the node knows now.
  std::vector<PeerInfo> peers() const;

  // The next event from the queue (every event is also queued; the oldest are dropped beyond
  // 4096), waiting up to `timeout`.
  std::optional<Event> next_event(std::chrono::milliseconds timeout);

  // An ICMP/ICMPv6 echo to `dst` on network `nwid` through the node's own IP stack; the
  // round-trip time, or timed_out / no_route / not_joined.
  Expected<std::chrono::microseconds> ping(std::uint64_t nwid, const IpAddress& dst,
                                           std::chrono::milliseconds timeout = std::chrono::seconds(2),
                                           std::size_t payload_bytes = 56);

  // The node's counters (ztkit/metrics.h), gathered on the node's thread as one consistent
  // snapshot; timed_out if its thread does not get to it within `timeout`, stopped after stop().
  // Not from on_event (the node's thread would wait for itself until `timeout`).
  Expected<Metrics> metrics(std::chrono::milliseconds timeout = std::chrono::seconds(2)) const;
  // Where NodeOptions::metrics_listen serves, if it does.
  std::optional<SocketAddress> metrics_endpoint() const;

  // Sends a USER_MESSAGE (a small datagram between nodes, outside any network).
  Expected<void> send_user_message(const std::string& to, std::uint64_t type, std::string data);

  // ---- The embedded controller (NodeOptions::controller) ----
  Expected<std::uint64_t> create_network(const ControllerNetwork& settings);
  Expected<void> authorize(std::uint64_t nwid, const std::string& member, bool authorized = true);
  Expected<void> assign_addresses(std::uint64_t nwid, const std::string& member,
                                  std::vector<IpPrefix> addresses);

  struct Impl;
  Impl& impl() { return *impl_; }
  struct MetricsServer;  // NodeOptions::metrics_listen

 private:
  explicit Node(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::unique_ptr<MetricsServer> metrics_server_;
};

}  // namespace ztkit
