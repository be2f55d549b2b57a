#include "tools/ztdump/capture.h"

#include <pcap/pcap.h>

#include <fmt/format.h>

#include "engine/wire/bytes.h"

namespace ztkit::capture {
namespace {

using wire::reader;

constexpr std::uint16_t ethertype_ipv4 = 0x0800;
constexpr std::uint16_t ethertype_ipv6 = 0x86dd;
constexpr std::uint16_t ethertype_vlan = 0x8100;
constexpr std::uint8_t ip_proto_udp = 17;

// Fills src/dst addresses and payload from a UDP header + body; false if it is not sane.
bool read_udp(reader& r, udp_datagram& d) {
  d.src.port = r.be16();
  d.dst.port = r.be16();
  const std::uint16_t len = r.be16();
  r.skip(2);  // checksum
  if (!r.ok() || len < 8 || len - 8u > r.remaining()) return false;
  const auto body = r.bytes(len - 8u);
  d.payload.assign(body.begin(), body.end());
  return r.ok();
}

bool read_ipv4(reader& r, udp_datagram& d) {
  const std::uint8_t vihl = r.u8();
  if ((vihl >> 4) != 4 || (vihl & 0x0f) < 5) return false;
  r.skip(1);
  const std::uint16_t total = r.be16();
  r.skip(2);
  const std::uint16_t frag = r.be16();
  d.ip_ttl = r.u8();
  const std::uint8_t proto = r.u8();
  r.skip(2);
  std::array<std::uint8_t, 4> s{}, t{};
  r.copy(s.data(), 4);
  r.copy(t.data(), 4);
  r.skip((vihl & 0x0f) * 4u - 20);
  // Later fragments and first fragments of fragmented datagrams are not whole UDP datagrams.
  if (!r.ok() || proto != ip_proto_udp || (frag & 0x3fff) != 0 || total < (vihl & 0x0f) * 4u)
    return false;
  d.src = wire::inet_address::v4(s, 0);
  d.dst = wire::inet_address::v4(t, 0);
  return read_udp(r, d);
}

bool read_ipv6(reader& r, udp_datagram& d) {
  if ((r.u8() >> 4) != 6) return false;
  r.skip(3);
  r.skip(2);  // payload length
  std::uint8_t next = r.u8();
  d.ip_ttl = r.u8();
  std::array<std::uint8_t, 16> s{}, t{};
  r.copy(s.data(), 16);
  r.copy(t.data(), 16);
  // Walk hop-by-hop (0), routing (43), destination options (60); a fragment header (44) means
  // this is not a whole datagram.
  for (int hops = 0; r.ok() && hops < 8 && (next == 0 || next == 43 || next == 60); ++hops) {
    next = r.u8();
    const std::size_t ext_len = (r.u8() + 1u) * 8u;  // in 8-octet units, not counting the first
    r.skip(ext_len - 2);
  }
  if (!r.ok() || next != ip_proto_udp) return false;
  d.src = wire::inet_address::v6(s, 0);
  d.dst = wire::inet_address::v6(t, 0);
  return read_udp(r, d);
}

bool read_frame(int linktype, reader& r, udp_datagram& d) {
  std::uint16_t ethertype = 0;
  switch (linktype) {
    case DLT_EN10MB:
      r.skip(12);
      ethertype = r.be16();
      while (ethertype == ethertype_vlan && r.ok()) {
        r.skip(2);
        ethertype = r.be16();
      }
      break;
    case DLT_LINUX_SLL:
      r.skip(14);
      ethertype = r.be16();
      break;
    case DLT_RAW: {
      reader peek = r;
      ethertype = (peek.u8() >> 4) == 6 ? ethertype_ipv6 : ethertype_ipv4;
      break;
    }
    default:
      return false;
  }
  if (!r.ok()) return false;
  if (ethertype == ethertype_ipv4) return read_ipv4(r, d);
  if (ethertype == ethertype_ipv6) return read_ipv6(r, d);
  return false;
}

}  // namespace

result<capture_file> read_udp_capture(const std::string& path) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* pcap = pcap_open_offline(path.c_str(), errbuf);
  if (!pcap) return error{errc::io_error, fmt::format("cannot read capture {}: {}", path, errbuf)};
  const int linktype = pcap_datalink(pcap);
  if (linktype != DLT_EN10MB && linktype != DLT_LINUX_SLL && linktype != DLT_RAW) {
    pcap_close(pcap);
    return error{errc::unsupported,
                 fmt::format("capture {}: unsupported link type {}", path, linktype)};
  }
  capture_file out;
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  double first = -1;
  int rc = 0;
  while ((rc = pcap_next_ex(pcap, &header, &data)) == 1) {
    ++out.frames;
    const double t = header->ts.tv_sec + header->ts.tv_usec / 1e6;
    if (first < 0) first = t;
    udp_datagram d;
    d.frame = out.frames;
    d.seconds = t - first;
    reader r({data, header->caplen});
    if (read_frame(linktype, r, d)) {
      out.datagrams.push_back(std::move(d));
    } else {
      ++out.skipped;
    }
  }
  std::string failure = rc == -1 ? pcap_geterr(pcap) : "";
  pcap_close(pcap);
  if (!failure.empty()) {
    return error{errc::data_loss, fmt::format("capture {}: {}", path, failure)};
  }
  return out;
}

}  // namespace ztkit::capture
