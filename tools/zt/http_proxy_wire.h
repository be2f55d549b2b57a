// The request head an HTTP proxy reads (RFC 9110 §9.3.6 CONNECT, RFC 9112 §3 request line,
// §3.2.2 absolute-form): a parser over bytes with no state and no I/O. The head is bounded
// (max_head bytes): a longer one is an error, never a growing buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ztkit::tools::http_proxy {

inline constexpr std::size_t max_head = 16 * 1024;
inline constexpr std::size_t max_headers = 100;

enum class status {
  ok,
  incomplete,         // no blank line yet: read more and call again
  too_large,          // no end of head within max_head bytes (or more than max_headers)
  bad_request_line,   // not "METHOD SP TARGET SP HTTP/x.y"
  bad_version,        // not HTTP/1.0 or HTTP/1.1
  bad_header,         // a header line without ':' or with a bad name
  bad_target,         // CONNECT without host:port, or a non-http absolute URI, or an origin-form
};
const char* to_string(status s);

struct request_head {
  std::string method;       // "CONNECT", "GET", ...
  std::string target;       // as sent
  std::string version;      // "HTTP/1.1"
  std::string host;         // without brackets ("fd00::1")
  std::uint16_t port = 0;
  std::string path;         // absolute-form only: "/x?y" ("/" when empty)
  std::vector<std::pair<std::string, std::string>> headers;  // in order, values trimmed
  std::size_t size = 0;     // bytes of the head including the blank line
  // The first value of header `name` (case-insensitive), if any.
  std::optional<std::string_view> header(std::string_view name) const;
};

struct parsed {
  status st = status::incomplete;
  bool ok() const { return st == status::ok; }
};

// Parses a proxy request head: CONNECT with an authority-form target, or any method with an
// absolute-form "http://host[:port][/path]" target. Lines end in CRLF (a bare LF is accepted).
parsed parse_request_head(std::span<const std::uint8_t> in, request_head& out);

// "host:port" or "[v6]:port" -> host without brackets and the port; nullopt if malformed.
std::optional<std::pair<std::string, std::uint16_t>> split_authority(std::string_view s, std::uint16_t default_port = 0);

// The head to send to the origin for an absolute-form request: origin-form request line,
// Proxy-* and Connection headers dropped, "Connection: close" (one request per connection).
std::string origin_head(const request_head& h);

// RFC 4648 base64 decoding (for Proxy-Authorization: Basic); nullopt if malformed.
std::optional<std::string> base64_decode(std::string_view s);

}  // namespace ztkit::tools::http_proxy
