// Fuzzes every verb payload repr (engine/wire/verbs.h). The first input byte selects the verb,
// the rest is the payload. Whatever parses must emit buffer_len() bytes that parse back,
// exactly, to an equal repr.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "engine/wire/verbs.h"

namespace {
constexpr std::uint8_t verbs[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                  0x09, 0x0a, 0x0d, 0x0e, 0x10, 0x14, 0x15};
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ztkit::wire;
  if (size == 0) return 0;
  const std::uint8_t v = verbs[data[0] % sizeof verbs];
  const std::span<const std::uint8_t> payload(data + 1, size - 1);
  auto p = parse_verb_payload(v, payload);
  if (!p.ok()) {
    if (p.message().empty()) std::abort();
    return 0;
  }
  if (p->left_over > payload.size()) std::abort();
  const std::size_t len = std::visit([](const auto& x) { return x.buffer_len(); }, p->value);
  const std::vector<std::uint8_t> out = emit_any_payload(p->value);
  if (out.size() != len) std::abort();
  auto again = parse_verb_payload(v, out);
  if (!again.ok() || again->left_over != 0 || !(again->value == p->value)) std::abort();
  if (v == 0x01) {
    const auto& h = std::get<hello_payload>(p->value);
    if (h.planet) {
      auto off = hello_payload::masked_offset(out);
      if (!off.ok() || *off != h.masked_offset()) std::abort();
    }
  }
  if (v == 0x03) {
    if (const auto* oh = std::get_if<ok_hello>(&std::get<ok_payload>(p->value).body)) {
      (void)oh->worlds();
    }
  }
  return 0;
}
