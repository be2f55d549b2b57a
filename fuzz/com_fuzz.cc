// Fuzzes the COM and the other credential parsers: whatever parses re-emits byte-exact (the
// fields 1.14 writes; extension fields are dropped, so compare by re-parsing).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "engine/wire/com.h"
#include "engine/wire/credentials.h"

using namespace ztkit::wire;

template <typename T>
void round_trip(const std::uint8_t* data, std::size_t size) {
  reader r({data, size});
  auto x = T::parse(r);
  if (!x.ok()) {
    if (x.message().empty() || r.ok()) std::abort();
    return;
  }
  std::vector<std::uint8_t> out(x->buffer_len());
  writer w(out);
  x->emit(w);
  if (!w.ok() || w.size() != out.size()) std::abort();
  reader r2(out);
  auto y = T::parse(r2);
  if (!y.ok() || !(*y == *x) || !r2.at_end()) std::abort();
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  round_trip<certificate_of_membership>(data, size);
  round_trip<tag_credential>(data, size);
  round_trip<capability_credential>(data, size);
  round_trip<certificate_of_ownership>(data, size);
  round_trip<revocation>(data, size);
  if (auto c = certificate_of_membership::parse(std::span<const std::uint8_t>(data, size)); c.ok()) {
    if (c->to_bytes() != std::vector<std::uint8_t>(data, data + size)) std::abort();
    (void)c->signing_bytes();
  }
  return 0;
}
