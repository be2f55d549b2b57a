// Fuzzes the World (planet/moon) parser (engine/wire/world.h): whatever parses must emit to
// buffer_len() bytes that parse back to the same world; the signature paths must not crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "engine/wire/world.h"

using ztkit::wire::reader;
using ztkit::wire::world;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  reader r({data, size});
  auto w = world::parse(r);
  if (!w.ok()) {
    if (w.message().empty()) std::abort();  // every rejection must say why
    return 0;
  }
  if (r.position() > size) std::abort();
  const std::vector<std::uint8_t> out = w->serialize();
  if (out.size() != w->buffer_len()) std::abort();
  auto again = world::parse(out);
  if (!again.ok() || !(*again == *w)) std::abort();
  (void)w->signed_by(w->update_key);
  (void)ztkit::wire::earth_planet().should_be_replaced_by(*w);
  return 0;
}
