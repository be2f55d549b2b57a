// Fuzzes the netconf path: dictionary -> network_config (with every credential and rule
// parser behind it), and the config chunk parser. A parsed config re-encodes to a dictionary
// that parses to the same config.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "engine/wire/config_chunks.h"
#include "engine/wire/network_config.h"

using namespace ztkit::wire;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (auto c = network_config::parse({data, size}); c.ok()) {
    auto bytes = c->to_bytes();
    if (!bytes.ok()) std::abort();
    auto again = network_config::parse(*bytes);
    if (!again.ok()) std::abort();
    // SSO v1 fields are only kept when enabled; compare the rest.
    if (again->network_id != c->network_id || again->rules != c->rules ||
        again->capabilities != c->capabilities || again->tags != c->tags ||
        again->certificates_of_ownership != c->certificates_of_ownership ||
        again->routes != c->routes || again->static_ips != c->static_ips ||
        again->specialists != c->specialists || again->com != c->com || again->dns != c->dns ||
        again->name != c->name || again->mtu != c->mtu)
      std::abort();
  } else if (c.message().empty()) {
    std::abort();
  }
  if (auto ch = config_chunk::parse({data, size}); ch.ok()) {
    auto b = ch->to_bytes();
    auto again = config_chunk::parse(b);
    if (!again.ok() || !(*again == *ch)) std::abort();
  }
  // Re-encoding may grow (a raw '=' in a value is written escaped), so only requests whose
  // metadata still fits 1.14's 1024-byte dictionary must round-trip.
  if (auto q = config_request::parse({data, size});
      q.ok() && q->metadata.buffer_len() < dictionary::metadata_capacity) {
    auto again = config_request::parse(q->to_bytes());
    if (!again.ok() || !(again->metadata == q->metadata)) std::abort();
  }
  return 0;
}
