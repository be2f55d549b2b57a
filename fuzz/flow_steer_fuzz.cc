// Fuzzes flow_steer::route_frame (ctrl/runtime/flow_steer.h), which reads every frame a
// network's port delivers when the node runs several data shards. Input: [lanes][frame...].
// Invariants: no read past the frame, a lane within range, and a TCP frame's lane equal to
// lane_of() of the addresses and ports it carries.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>

#include "ctrl/runtime/flow_steer.h"

using namespace ztkit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const unsigned lanes = 1u + data[0] % 64;
  const std::span<const std::uint8_t> f(data + 1, size - 1);
  const auto r = ctrl::flow_steer::route_frame(f, lanes);
  if (r.lane >= lanes) std::abort();
  if (r.what == ctrl::flow_steer::frame_route::kind::lane && r.lane != 0 && lanes > 1) {
    // Only TCP is routed away from lane 0: recompute its lane from the headers.
    const std::uint8_t* ip = f.data() + 14;
    wire::inet_address local, remote;
    const std::uint8_t* tcp;
    if (f[12] == 0x08 && f[13] == 0x00) {
      local.fam = remote.fam = wire::inet_address::family::ipv4;
      std::memcpy(remote.ip.data(), ip + 12, 4);
      std::memcpy(local.ip.data(), ip + 16, 4);
      tcp = ip + (ip[0] & 0x0f) * 4;
    } else if (f[12] == 0x86 && f[13] == 0xdd) {
      local.fam = remote.fam = wire::inet_address::family::ipv6;
      std::memcpy(remote.ip.data(), ip + 8, 16);
      std::memcpy(local.ip.data(), ip + 24, 16);
      tcp = ip + 40;
    } else {
      std::abort();
    }
    remote.port = static_cast<std::uint16_t>(tcp[0] << 8 | tcp[1]);
    local.port = static_cast<std::uint16_t>(tcp[2] << 8 | tcp[3]);
    if (ctrl::flow_steer::lane_of(local, remote, lanes) != r.lane) std::abort();
  }
  return 0;
}
