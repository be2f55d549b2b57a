// FRAME (0x06) and EXT_FRAME (0x07): Switch::onLocalEthernet, IncomingPacket::_doFRAME and
// _doEXT_FRAME (ZeroTierOne 1.14.1); zerotier-protocol.md §3.
#include "engine/wire/com_extent.h"
#include "engine/wire/internal/verbs_common.h"
#include "engine/wire/verbs.h"

namespace ztkit::wire {

using internal::bad_payload;

result<frame_payload> frame_payload::parse(reader& r) {
  frame_payload f;
  f.network_id = r.be64();
  f.ethertype = r.be16();
  if (!r.ok()) return bad_payload("FRAME", "truncated before the Ethernet payload");
  f.data = r.rest();
  return f;
}

void frame_payload::emit(writer& w) const {
  w.be64(network_id);
  w.be16(ethertype);
  w.bytes(data.bytes);
}

result<ext_frame_payload> ext_frame_payload::parse(reader& r) {
  ext_frame_payload f;
  f.network_id = r.be64();
  f.flags = r.u8();
  if (!r.ok()) return bad_payload("EXT_FRAME", "truncated in the header");
  if (f.flags & flag_com) {
    f.com = read_com_bytes(r);
    if (!r.ok()) return bad_payload("EXT_FRAME", "COM truncated or malformed");
  }
  f.dest = mac_address::parse(r);
  f.source = mac_address::parse(r);
  f.ethertype = r.be16();
  if (!r.ok()) return bad_payload("EXT_FRAME", "truncated before the Ethernet payload");
  f.data = r.rest();
  return f;
}

void ext_frame_payload::emit(writer& w) const {
  w.be64(network_id);
  w.u8(flags);
  if (flags & flag_com) w.bytes(com.bytes);
  dest.emit(w);
  source.emit(w);
  w.be16(ethertype);
  w.bytes(data.bytes);
}

std::size_t ext_frame_payload::buffer_len() const {
  return 8 + 1 + ((flags & flag_com) ? com.size() : 0) + 6 + 6 + 2 + data.size();
}

}  // namespace ztkit::wire
