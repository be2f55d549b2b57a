// Reading UDP datagrams out of a pcap file (libpcap), for ztdump and the capture tests.
// Understands Ethernet (with 802.1Q tags), Linux cooked (SLL) and raw-IP link types, IPv4 and
// IPv6 (extension headers walked); IPv4 fragments and non-UDP packets are skipped and counted.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/base/result.h"
#include "engine/wire/inet_address.h"

namespace ztkit::capture {

struct udp_datagram {
  std::uint32_t frame = 0;      // 1-based, as Wireshark counts
  double seconds = 0;           // since the file's first frame
  wire::inet_address src;       // ip + UDP port
  wire::inet_address dst;
  int ip_ttl = 0;               // IPv4 TTL / IPv6 hop limit
  std::vector<std::uint8_t> payload;
};

struct capture_file {
  std::vector<udp_datagram> datagrams;
  std::uint32_t frames = 0;        // every frame in the file
  std::uint32_t skipped = 0;       // frames that were not (unfragmented) UDP
};

// Reads every UDP datagram of `path`. Errors: file missing or unreadable, unsupported link type.
result<capture_file> read_udp_capture(const std::string& path);

}  // namespace ztkit::capture
