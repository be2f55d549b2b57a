// Helpers shared by the verbs_*.cc files (not part of the public API).
#pragma once

#include <string>
#include <string_view>

#include "engine/base/result.h"

namespace ztkit::wire::internal {

// Only on the error path: a message allocates, a successful parse does not.
inline error bad_payload(std::string_view verb, std::string_view what) {
  std::string m(verb);
  m += " payload: ";
  m += what;
  return error{errc::invalid_argument, std::move(m)};
}

}  // namespace ztkit::wire::internal
