// Errors of the public API: a std::error_code in ztkit's own category plus a message a person
// understands, carried by Expected<T> (std::expected is C++23; this is the C++20 stand-in with
// the same shape: has_value(), value(), error(), operator*, operator->).
#pragma once

#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace ztkit {

enum class Errc {
  ok = 0,
  invalid_argument = 1,   // a bad address, port, network ID, option value
  not_found = 2,          // no such network / socket
  not_joined = 3,         // the network was never joined (or was left)
  network_not_ready = 4,  // joined, but no config or no address yet
  no_route = 5,           // no managed address or route covers the destination
  address_in_use = 6,
  would_block = 7,        // non-blocking mode and nothing to do now
  timed_out = 8,
  connection_refused = 9,
  connection_reset = 10,
  not_connected = 11,
  closed = 12,            // the socket (or node) was closed
  no_buffer = 13,         // a queue is full
  io_error = 14,          // the state directory or the UDP socket failed
  stopped = 15,           // the node is stopped
  internal = 16,
};

const std::error_category& error_category();
inline std::error_code make_error_code(Errc e) { return {static_cast<int>(e), error_category()}; }

struct Error {
  std::error_code code;
  std::string message;  // e.g. "network 8056c2e21c000001 is not joined"

  Error() = default;
  Error(Errc e, std::string msg) : code(make_error_code(e)), message(std::move(msg)) {}
  bool is(Errc e) const { return code == make_error_code(e); }
};

template <typename T>
class Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}  // NOLINT: implicit, like std::expected
  Expected(Error e) : v_(std::move(e)) {}      // NOLINT
  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class Expected<void> {
 public:
  Expected() = default;
  Expected(Error e) : e_(std::move(e)), ok_(false) {}  // NOLINT
  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return e_; }

 private:
  Error e_;
  bool ok_ = true;
};

}  // namespace ztkit

template <>
struct std::is_error_code_enum<ztkit::Errc> : std::true_type {};
