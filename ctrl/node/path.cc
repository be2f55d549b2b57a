#include "ctrl/node/path.h"

namespace ztkit::ctrl {

std::uint64_t path::quality(std::int64_t now) const {
  const std::uint64_t age = now > last_receive ? static_cast<std::uint64_t>(now - last_receive) : 0;
  std::uint64_t q = latency;
  if (!alive(now)) q += 0xffff + age;
  const unsigned scope = static_cast<unsigned>(scope_of(remote));
  return q * (8 - (scope > 7 ? 7 : scope));
}

void path::update_latency(std::uint32_t sample) {
  if (sample > latency_unknown) sample = latency_unknown;
  latency = latency == latency_unknown ? sample : (latency + sample) / 2;
}

}  // namespace ztkit::ctrl
