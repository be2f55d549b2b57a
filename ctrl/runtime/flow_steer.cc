#include "ctrl/runtime/flow_steer.h"

#include <cstring>

namespace ztkit::ctrl::flow_steer {

namespace {

constexpr std::size_t eth_len = 14;
constexpr std::uint16_t ethertype_ipv4 = 0x0800, ethertype_arp = 0x0806, ethertype_ipv6 = 0x86dd;
constexpr std::uint8_t proto_tcp = 6, proto_icmpv6 = 58;
constexpr std::uint8_t ndp_neighbor_advert = 136;

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }

// FNV-1a over the 4-tuple, then splitmix64's finalizer: consecutive ephemeral ports (and
// addresses differing in one byte) spread evenly over any number of lanes.
std::uint64_t mix(std::uint64_t h, const std::uint8_t* p, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}
unsigned hash_lane(const std::uint8_t* local_ip, std::uint16_t local_port,
                   const std::uint8_t* remote_ip, std::uint16_t remote_port, std::size_t ip_len,
                   unsigned lanes) {
  const std::uint8_t ports[4] = {static_cast<std::uint8_t>(local_port >> 8),
                                 static_cast<std::uint8_t>(local_port),
                                 static_cast<std::uint8_t>(remote_port >> 8),
                                 static_cast<std::uint8_t>(remote_port)};
  std::uint64_t h = 0xcbf29ce484222325ull;
  h = mix(h, local_ip, ip_len);
  h = mix(h, remote_ip, ip_len);
  h = mix(h, ports, 4);
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  return static_cast<unsigned>(h % lanes);
}

}  // namespace

unsigned lane_of(const wire::inet_address& local, const wire::inet_address& remote, unsigned lanes) {
  if (lanes <= 1) return 0;
  const std::size_t n = local.fam == wire::inet_address::family::ipv6 ? 16 : 4;
  return hash_lane(local.ip.data(), local.port, remote.ip.data(), remote.port, n, lanes);
}

frame_route route_frame(std::span<const std::uint8_t> f, unsigned lanes) {
  if (lanes <= 1 || f.size() < eth_len) return {};
  const std::uint8_t* ip = f.data() + eth_len;
  const std::size_t len = f.size() - eth_len;
  switch (be16(f.data() + 12)) {
    case ethertype_arp:
      // Opcode 2: a reply.
      if (len >= 8 && be16(ip + 6) == 2) return {frame_route::kind::every_lane, 0};
      return {};
    case ethertype_ipv4: {
      if (len < 20 || (ip[0] >> 4) != 4 || ip[9] != proto_tcp) return {};
      const std::size_t ihl = static_cast<std::size_t>(ip[0] & 0x0f) * 4;
      if ((be16(ip + 6) & 0x3fff) != 0) return {frame_route::kind::drop, 0};  // MF or offset
      if (ihl < 20 || len < ihl + 4) return {};  // malformed: lane 0 counts it
      const std::uint8_t* tcp = ip + ihl;
      return {frame_route::kind::lane,
              hash_lane(ip + 16, be16(tcp + 2), ip + 12, be16(tcp), 4, lanes)};
    }
    case ethertype_ipv6: {
      if (len < 40 + 4 || (ip[0] >> 4) != 6) return {};
      if (ip[6] == proto_tcp) {
        const std::uint8_t* tcp = ip + 40;
        return {frame_route::kind::lane,
                hash_lane(ip + 24, be16(tcp + 2), ip + 8, be16(tcp), 16, lanes)};
      }
      if (ip[6] == proto_icmpv6 && ip[40] == ndp_neighbor_advert)
        return {frame_route::kind::every_lane, 0};
      return {};
    }
    default:
      return {};
  }
}

std::uint16_t port_for_lane(wire::inet_address local, const wire::inet_address& remote,
                            unsigned lane, unsigned lanes, std::uint32_t* cursor) {
  constexpr std::uint32_t first = 49152, count = 16384;
  for (std::uint32_t n = 0; n < count; ++n) {
    local.port = static_cast<std::uint16_t>(first + ((*cursor)++ % count));
    if (lane_of(local, remote, lanes) == lane) return local.port;
  }
  return 0;
}

}  // namespace ztkit::ctrl::flow_steer
