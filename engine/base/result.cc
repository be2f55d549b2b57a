#include "engine/base/result.h"

namespace ztkit {

const char* to_string(errc code) {
  switch (code) {
    case errc::invalid_argument: return "invalid argument";
    case errc::failed_precondition: return "failed precondition";
    case errc::data_loss: return "data loss";
    case errc::not_found: return "not found";
    case errc::io_error: return "I/O error";
    case errc::unsupported: return "unsupported";
  }
  return "unknown error";
}

}  // namespace ztkit
