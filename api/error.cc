#include "ztkit/error.h"

namespace ztkit {

namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "ztkit"; }
  std::string message(int c) const override {
    switch (static_cast<Errc>(c)) {
      case Errc::ok: return "success";
      case Errc::invalid_argument: return "invalid argument";
      case Errc::not_found: return "not found";
      case Errc::not_joined: return "network not joined";
      case Errc::network_not_ready: return "network not ready (no config or address yet)";
      case Errc::no_route: return "no route to host";
      case Errc::address_in_use: return "address in use";
      case Errc::would_block: return "operation would block";
      case Errc::timed_out: return "timed out";
      case Errc::connection_refused: return "connection refused";
      case Errc::connection_reset: return "connection reset by peer";
      case Errc::not_connected: return "not connected";
      case Errc::closed: return "socket closed";
      case Errc::no_buffer: return "no buffer space";
      case Errc::io_error: return "I/O error";
      case Errc::stopped: return "node stopped";
      case Errc::internal: return "internal error";
    }
    return "unknown ztkit error";
  }
};

}  // namespace

const std::error_category& error_category() {
  static const category c;
  return c;
}

}  // namespace ztkit
