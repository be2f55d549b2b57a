// Helpers shared by the verbs_*.cc files (not part of the public API).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.h"
#include "engine/base/zt_address.h"
#include "engine/wire/bytes.h"

namespace ztkit::wire::internal {

inline error bad_payload(std::string_view verb, std::string_view what) {
  std::string m(verb);
  m += " payload: ";
  m += what;
  return error{errc::invalid_argument, std::move(m)};
}

// n 5-byte addresses; fails (without allocating) if fewer than 5*n bytes remain.
inline bool read_addresses(reader& r, std::size_t n, std::vector<zt_address>& out) {
  if (n > r.remaining() / 5) {
    r.fail();
    return false;
  }
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(zt_address(r.be40()));
  return r.ok();
}

inline void write_addresses(writer& w, const std::vector<zt_address>& a) {
  for (const auto& x : a) w.be40(x.value());
}

}  // namespace ztkit::wire::internal
