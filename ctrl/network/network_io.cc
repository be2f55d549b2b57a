#include "ctrl/network/network_io.h"

namespace ztkit::ctrl {

bool node_core_io::send_verb(std::int64_t now, zt_address to, wire::verb v,
                             std::span<const std::uint8_t> payload, bool compress) {
  return core_.send_verb(now, to, v, payload, compress);
}

const crypto::identity* node_core_io::identity_of(zt_address a) {
  if (a == core_.address()) return &core_.identity();
  if (const peer* p = core_.topo().get(a)) return &p->identity();
  return nullptr;
}

}  // namespace ztkit::ctrl
