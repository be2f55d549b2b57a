// `zt call URL` over the public API: write the request, feed what arrives to the response
// parser, stream the body out. The connection ends the exchange when the framing says the
// body is complete (Content-Length, the last chunk) or when the server closes it.
#include "tools/zt/http_call.h"

#include <array>

#include <fmt/format.h>

namespace ztkit::tools {

http_call_result http_call(TcpStream& stream, const http::request& req, bool include_head,
                           std::chrono::milliseconds timeout, std::FILE* out) {
  http_call_result r;
  const auto fail = [&](std::string why) {
    r.exit_code = 1;
    r.error = std::move(why);
    return r;
  };
  const std::string wire = req.emit();
  if (auto w = stream.write_all(std::as_bytes(std::span(wire.data(), wire.size())), timeout); !w)
    return fail("sending the request: " + w.error().message);
  http::response_parser parser({}, req.method == "HEAD");
  std::array<std::byte, 16384> buf;
  std::string body;
  bool head_printed = false;
  while (!parser.done()) {
    auto n = stream.read(buf, timeout);
    if (!n) return fail("reading the response: " + n.error().message);
    http::parse_error e;
    if (*n == 0) {
      e = parser.finish();
    } else {
      e = parser.feed({reinterpret_cast<const std::uint8_t*>(buf.data()), *n}, body);
    }
    if (parser.head_done() && !head_printed) {
      head_printed = true;
      r.status = parser.head().status;
      if (include_head) {
        const std::string h = parser.head().emit();
        std::fwrite(h.data(), 1, h.size(), out);
      }
    }
    if (!body.empty()) {
      std::fwrite(body.data(), 1, body.size(), out);
      body.clear();
    }
    std::fflush(out);
    if (e != http::parse_error::ok) return fail(fmt::format("bad HTTP response: {}", http::to_string(e)));
    if (*n == 0 && !parser.done()) return fail("the connection closed before the response was complete");
  }
  stream.close();
  if (r.status < 200 || r.status > 299) {
    r.exit_code = 22;
    r.error = fmt::format("HTTP {} {}", r.status, parser.head().reason);
  }
  return r;
}

}  // namespace ztkit::tools
