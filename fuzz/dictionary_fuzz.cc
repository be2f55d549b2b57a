// Fuzzes the Dictionary text parser: whatever parses re-encodes to text that parses to the
// same entries, and every lookup helper stays in bounds.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "engine/wire/dictionary.h"

using ztkit::wire::dictionary;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto d = dictionary::parse({data, size}, dictionary::metadata_capacity * 64);
  if (!d.ok()) {
    if (d.message().empty()) std::abort();
    return 0;
  }
  for (const auto& e : d->entries()) {
    (void)d->get_u64(e.key, 1);
    (void)d->get_i64(e.key, 1);
    (void)d->get_bool(e.key);
    (void)d->get_string(e.key, 128);
  }
  auto bytes = d->to_bytes(dictionary::netconf_capacity * 4);
  if (!bytes.ok()) std::abort();
  auto again = dictionary::parse(*bytes, dictionary::netconf_capacity * 4);
  if (!again.ok() || !(*again == *d)) std::abort();
  return 0;
}
