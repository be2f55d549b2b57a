// Fuzzes the identity parsers: text (identity.public / identity.secret) and binary (HELLO,
// OK(WHOIS), worlds). Whatever parses must re-encode to a form that parses to the same identity.
// The memory-hard validation is not run: it is a fixed computation over 64 bytes, not a parser.
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "engine/crypto/identity.h"

using ztkit::crypto::identity;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto id = identity::from_string(text); id.ok()) {
    auto again = identity::from_string(id->to_string(true));
    if (!again.ok() || !(*again == *id) || again->has_private() != id->has_private()) std::abort();
    std::vector<std::uint8_t> bin;
    id->serialize(bin, true);
    auto back = identity::deserialize(bin);
    if (!back.ok() || !(*back == *id)) std::abort();
  } else if (id.message().empty()) {
    std::abort();  // every rejection must say why
  }

  std::size_t used = 0;
  if (auto id = identity::deserialize({data, size}, &used); id.ok()) {
    if (used > size) std::abort();
    std::vector<std::uint8_t> bin;
    id->serialize(bin, true);
    if (bin.size() != used || !std::equal(bin.begin(), bin.end(), data)) std::abort();
  } else if (id.message().empty()) {
    std::abort();
  }
  return 0;
}
