// Errors as values (std::expected is C++23; this is the small part of it we need).
// `status` is success or an error; `result<T>` is a T or an error. Every error carries a code
// and a message a person can act on ("invalid identity: address ff55811c5e is reserved").
#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <variant>

namespace ztkit {

enum class errc {
  invalid_argument,     // malformed input: text, bytes, options
  failed_precondition,  // the call needs state that is not there (no private key, not joined)
  data_loss,            // a stored file is truncated or corrupt
  not_found,
  io_error,
  unsupported,
};

const char* to_string(errc code);

struct error {
  errc code;
  std::string message;
};

class [[nodiscard]] status {
 public:
  status() = default;  // success
  status(error e) : error_(std::move(e)) {}
  static status ok_status() { return {}; }

  bool ok() const { return !error_.has_value(); }
  errc code() const { return error_->code; }
  // Empty on success.
  const std::string& message() const {
    static const std::string empty;
    return error_ ? error_->message : empty;
  }

 private:
  std::optional<error> error_;
};

template <typename T>
class [[nodiscard]] result {
 public:
  result(T value) : v_(std::move(value)) {}
  result(error e) : v_(std::move(e)) {}

  bool ok() const { return v_.index() == 0; }
  // value() on an error is a programming error: it prints the message and aborts.
  T& value() & { check(); return std::get<0>(v_); }
  const T& value() const& { check(); return std::get<0>(v_); }
  T&& value() && { check(); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // The error as a status (success if ok()).
  ztkit::status status() const { return ok() ? ztkit::status{} : ztkit::status{std::get<1>(v_)}; }
  errc code() const { return std::get<1>(v_).code; }
  const std::string& message() const { return status_message(); }

 private:
  const std::string& status_message() const {
    static const std::string empty;
    return ok() ? empty : std::get<1>(v_).message;
  }
  void check() const {
    if (!ok()) {
      std::fprintf(stderr, "ztkit: value() of an error result: %s\n",
                   std::get<1>(v_).message.c_str());
      std::abort();
    }
  }
  std::variant<T, error> v_;
};

inline std::ostream& operator<<(std::ostream& os, const status& s) {
  return os << (s.ok() ? std::string("ok") : std::string(to_string(s.code())) + ": " + s.message());
}

}  // namespace ztkit
