// MULTICAST_LIKE (0x09), MULTICAST_GATHER (0x0d), MULTICAST_FRAME (0x0e):
// Network::_announceMulticastGroupsTo, Multicaster::send, OutboundMulticast::init and the
// IncomingPacket handlers (ZeroTierOne 1.14.1); zerotier-protocol.md §3, §6.4.
#include "engine/wire/com_extent.h"
#include "engine/wire/internal/verbs_common.h"
#include "engine/wire/verbs.h"

namespace ztkit::wire {

using internal::bad_payload;

result<multicast_like_payload> multicast_like_payload::parse(reader& r) {
  multicast_like_payload p;
  p.entries = entry_list::read_while_fits(r);
  return p;
}

result<multicast_gather_payload> multicast_gather_payload::parse(reader& r) {
  multicast_gather_payload p;
  p.network_id = r.be64();
  p.flags = r.u8();
  p.group = multicast_group::parse(r);
  p.gather_limit = r.be32();
  if (!r.ok()) return bad_payload("MULTICAST_GATHER", "truncated");
  if (p.flags & flag_com) {
    p.com = read_com_bytes(r);
    if (!r.ok()) return bad_payload("MULTICAST_GATHER", "COM truncated or malformed");
  }
  return p;
}

void multicast_gather_payload::emit(writer& w) const {
  w.be64(network_id);
  w.u8(flags);
  group.emit(w);
  w.be32(gather_limit);
  if (flags & flag_com) w.bytes(com.bytes);
}

result<multicast_frame_payload> multicast_frame_payload::parse(reader& r) {
  multicast_frame_payload p;
  p.network_id = r.be64();
  p.flags = r.u8();
  if (!r.ok()) return bad_payload("MULTICAST_FRAME", "truncated in the header");
  // 1.14 reads the optional COM first, then the gather limit, then the source MAC.
  if (p.flags & flag_com) {
    p.com = read_com_bytes(r);
    if (!r.ok()) return bad_payload("MULTICAST_FRAME", "COM truncated or malformed");
  }
  if (p.flags & flag_gather_limit) p.gather_limit = r.be32();
  if (p.flags & flag_source_mac) p.source = mac_address::parse(r);
  p.dest = multicast_group::parse(r);
  p.ethertype = r.be16();
  if (!r.ok()) return bad_payload("MULTICAST_FRAME", "truncated before the Ethernet payload");
  p.data = r.rest();
  return p;
}

void multicast_frame_payload::emit(writer& w) const {
  w.be64(network_id);
  w.u8(flags);
  if (flags & flag_com) w.bytes(com.bytes);
  if (flags & flag_gather_limit) w.be32(gather_limit);
  if (flags & flag_source_mac) source.emit(w);
  dest.emit(w);
  w.be16(ethertype);
  w.bytes(data.bytes);
}

std::size_t multicast_frame_payload::buffer_len() const {
  return 8 + 1 + ((flags & flag_com) ? com.size() : 0) + ((flags & flag_gather_limit) ? 4 : 0) +
         ((flags & flag_source_mac) ? 6 : 0) + 10 + 2 + data.size();
}

}  // namespace ztkit::wire
