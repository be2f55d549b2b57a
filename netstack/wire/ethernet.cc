#include "netstack/wire/ethernet.h"

#include <cstring>

namespace ztkit::netstack::wire {

void ethernet_repr::emit(std::span<std::uint8_t> out) const {
  std::memcpy(out.data(), dst.bytes.data(), 6);
  std::memcpy(out.data() + 6, src.bytes.data(), 6);
  ztkit::wire::store_be16(out.data() + 12, ethertype);
}

}  // namespace ztkit::netstack::wire
