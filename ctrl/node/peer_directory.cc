#include "ctrl/node/peer_directory.h"

#include "ctrl/node/ip_scope.h"

namespace ztkit::ctrl {

std::uint64_t peer_directory::trusted_path_id(const wire::inet_address& remote) const {
  for (const auto& [addr, id] : trusted_paths)
    if (ips_equal(addr, remote)) return id;
  return 0;
}

}  // namespace ztkit::ctrl
