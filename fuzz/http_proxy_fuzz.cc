// Fuzzes the HTTP proxy's request-head parser of `zt proxy` (tools/zt/http_proxy_wire.h): it
// never reads past max_head, a head that parsed whole parses the same with bytes after it and
// is incomplete on every prefix that cuts its blank line, a parsed target has a port, and the
// head forwarded to an origin parses again as a request line without control characters.
// Also fuzzes base64_decode and split_authority.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include "tools/zt/http_proxy_wire.h"

namespace hp = ztkit::tools::http_proxy;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)hp::base64_decode(text);
  if (auto a = hp::split_authority(text, 80)) check(a->second != 0 && !a->first.empty());

  hp::request_head h;
  const auto p = hp::parse_request_head(in, h);
  if (!p.ok()) return 0;
  check(h.size <= size && h.size <= hp::max_head);
  check(h.port != 0 && !h.host.empty());
  check(h.headers.size() <= hp::max_headers);
  // The same head with its blank line cut is incomplete (or too large at the limit).
  hp::request_head again;
  const auto cut = hp::parse_request_head(in.first(h.size - 1), again);
  check(cut.st == hp::status::incomplete || cut.st == hp::status::too_large);
  check(hp::parse_request_head(in.first(h.size), again).ok() && again.host == h.host && again.port == h.port);
  if (h.method != "CONNECT") {
    check(!h.path.empty() && h.path.front() == '/');
    const std::string o = hp::origin_head(h);
    const std::string_view line = std::string_view(o).substr(0, o.find("\r\n"));
    for (char c : line) check(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
  }
  return 0;
}
