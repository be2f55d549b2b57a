// HTTP/1.1 for `zt call URL` (RFC 9110 semantics, RFC 9112 message syntax): the URL, the
// request it sends, and an incremental response parser. No I/O: bytes go in, the response's
// head (a repr) and body bytes come out, so the same code is unit-tested and fuzzed.
//
//   auto u = http::parse_url("http://[fd80::1]:8080/status");   // IP-literal hosts only
//   std::string req = http::request{"GET", *u}.emit();
//   http::response_parser p;
//   while (!p.done()) { n = read(buf); if (n == 0) err = p.finish(); else err = p.feed(buf, body); }
//
// The parser frames the body as RFC 9112 §6.3 says: no body for 1xx/204/304 or a HEAD
// request; Transfer-Encoding ending in chunked: chunked (§7.1; extensions and trailers are
// read and dropped); another Transfer-Encoding: until the connection closes; Content-Length
// (equal repeated values only): exactly that many bytes; neither: until the connection closes.
// Interim 1xx responses (100 Continue) are skipped. Every size is bounded (limits); an error
// names what was wrong and the parser stays in that error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ztkit::tools::http {

// http://HOST[:PORT][/PATH][?QUERY]; HOST is an IPv4 literal or a bracketed IPv6 literal.
struct url {
  std::string host;      // as written, brackets included for IPv6 ("[fd80::1]")
  std::string ip;        // without brackets
  std::uint16_t port = 80;
  bool port_given = false;
  std::string target = "/";  // path and query, "/" if empty
};
// nullopt with `why` set when the text is not such a URL.
std::optional<url> parse_url(std::string_view text, std::string* why = nullptr);
inline bool looks_like_url(std::string_view text) { return text.find("://") != std::string_view::npos; }

struct header {
  std::string name;
  std::string value;
};

// Case-insensitive ASCII comparison (header names, tokens).
bool iequals(std::string_view a, std::string_view b);

struct request {
  std::string method = "GET";
  url to;
  std::vector<header> headers;  // replace the defaults of the same name
  std::string body;
  // "METHOD target HTTP/1.1", Host, User-Agent, Accept, Connection: close, Content-Length
  // (and Content-Type: application/x-www-form-urlencoded for a body, as curl -d sends) unless
  // `headers` names them, then `headers`, a blank line and the body.
  std::string emit() const;
};

// A header line is valid: "Name: value" with a token name and no CR/LF anywhere.
bool valid_header_line(std::string_view line, header* out = nullptr);

// The parsed status line and header fields (the repr of a response's head).
struct response_head {
  int version_minor = 1;  // HTTP/1.x
  int status = 0;
  std::string reason;
  std::vector<header> headers;

  // The first field named `name` (case-insensitive), if any.
  std::optional<std::string_view> find(std::string_view name) const;
  // "HTTP/1.1 200 OK\r\nName: value\r\n...\r\n\r\n" (what curl -i shows).
  std::string emit() const;
};

enum class parse_error {
  ok = 0,
  bad_status_line,       // not "HTTP/1.x NNN reason"
  bad_header,            // a field line without a colon, a bad name, an obs-fold, a CR alone
  head_too_large,        // status line + fields beyond limits::max_head bytes
  too_many_headers,      // beyond limits::max_headers
  bad_content_length,    // not digits, differing repeats, or too large
  bad_chunk,             // a malformed chunk-size line or a missing CRLF after chunk data
  body_too_large,        // beyond limits::max_body
  truncated,             // the connection closed before the framing said the body ended
  too_many_interim,      // more than limits::max_interim 1xx responses
};
const char* to_string(parse_error e);

struct limits {
  std::size_t max_head = 64 * 1024;       // one response's status line + fields
  std::size_t max_headers = 128;
  std::uint64_t max_body = 1ull << 32;     // 4 GiB
  std::size_t max_chunk_line = 4096;       // chunk-size line or trailer field, with extensions
  std::size_t max_interim = 16;            // 1xx responses before the final one
};

class response_parser {
 public:
  explicit response_parser(limits l = {}, bool head_request = false) : lim_(l), head_request_(head_request) {}

  // Consumes all of `in`; body bytes are appended to `body`. Bytes after the end of the
  // response are ignored (a server that sends more after Content-Length). Returns the error
  // (sticky) or ok.
  parse_error feed(std::span<const std::uint8_t> in, std::string& body);
  parse_error feed(std::string_view in, std::string& body) {
    return feed({reinterpret_cast<const std::uint8_t*>(in.data()), in.size()}, body);
  }
  // The peer closed the connection: ok if the response is complete or its body runs until
  // the close; truncated otherwise.
  parse_error finish();

  bool head_done() const { return state_ > state::head; }
  bool done() const { return state_ == state::done; }
  parse_error error() const { return err_; }
  const response_head& head() const { return head_; }
  std::uint64_t body_bytes() const { return body_seen_; }
  bool chunked() const { return chunked_; }

 private:
  enum class state { head, body_length, body_close, chunk_size, chunk_data, chunk_data_end, trailers, done, failed };
  parse_error fail(parse_error e);
  parse_error on_head_complete();
  parse_error parse_head();
  std::size_t body_limit_left() const { return static_cast<std::size_t>(lim_.max_body - body_seen_); }
  // Takes one line ending in LF from `in` into line_ (bounded); true when a whole line is in.
  bool take_line(std::span<const std::uint8_t>& in, std::size_t max, bool& too_long);

  limits lim_;
  bool head_request_;
  state state_ = state::head;
  parse_error err_ = parse_error::ok;
  std::string buf_;   // the head being collected
  std::string line_;  // a chunk-size or trailer line being collected
  response_head head_;
  std::size_t interim_ = 0;
  bool chunked_ = false;
  std::uint64_t left_ = 0;       // body_length: bytes to go; chunk_data: bytes of the chunk
  std::uint64_t body_seen_ = 0;
  std::size_t trailer_bytes_ = 0;
  std::size_t trailer_count_ = 0;
};

}  // namespace ztkit::tools::http
