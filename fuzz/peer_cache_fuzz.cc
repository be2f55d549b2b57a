// Fuzzes the peers.d file parser (ctrl/state/peer_cache.h): every rejection says why, and
// whatever parses emits to buffer_len() bytes that parse back to the same entry. An entry of
// real addresses only (no InetAddress types 1-3, which read as nil) emits the input exactly.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "ctrl/state/peer_cache.h"

using ztkit::ctrl::peer_cache_entry;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto e = peer_cache_entry::parse({data, size});
  if (!e.ok()) {
    if (e.message().empty()) std::abort();
    return 0;
  }
  if (e->paths.size() > peer_cache_entry::max_paths) std::abort();
  const std::vector<std::uint8_t> out = e->serialize();
  if (out.size() != e->buffer_len() || out.size() > peer_cache_entry::max_bytes) std::abort();
  auto again = peer_cache_entry::parse(out);
  if (!again.ok() || !(*again == *e)) std::abort();
  if (again->serialize() != out) std::abort();
  bool all_real = true;
  for (const auto& p : e->paths) all_real = all_real && !p.is_nil();
  if (all_real && out != std::vector<std::uint8_t>(data, data + size)) std::abort();
  return 0;
}
