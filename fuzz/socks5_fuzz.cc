// Fuzzes the SOCKS5 parsers of `zt proxy` (tools/zt/socks5_wire.h): the first byte picks the
// message (greeting, RFC 1929 credentials, request, UDP header). Every parser must agree with
// itself on prefixes (a prefix of a message that parsed whole is `incomplete`, never an error
// or a different message), never take more bytes than given, and what it parsed must emit
// back to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "tools/zt/socks5_wire.h"

namespace s5 = ztkit::tools::socks5;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

template <typename Parse>
void prefixes(std::span<const std::uint8_t> in, const s5::parsed& whole, Parse parse) {
  if (!whole.ok()) return;
  check(whole.size <= in.size());
  for (std::size_t n = 0; n < whole.size; ++n) check(parse(in.first(n)).st == s5::status::incomplete);
  check(parse(in.first(whole.size)).ok());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::span<const std::uint8_t> in(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {
      s5::greeting g;
      const auto p = s5::parse_greeting(in, g);
      prefixes(in, p, [&](auto b) { return s5::parse_greeting(b, g); });
      if (p.ok()) check(g.methods.size() + 2 == p.size);
      break;
    }
    case 1: {
      s5::credentials c;
      const auto p = s5::parse_credentials(in, c);
      prefixes(in, p, [&](auto b) { return s5::parse_credentials(b, c); });
      if (p.ok()) check(c.user.size() + c.pass.size() + 3 == p.size && !c.user.empty());
      break;
    }
    case 2: {
      s5::request r;
      const auto p = s5::parse_request(in, r);
      prefixes(in, p, [&](auto b) { return s5::parse_request(b, r); });
      if (p.ok()) {
        // A reply carrying the parsed address has the request's length and address bytes.
        const auto out = s5::reply_message(static_cast<s5::reply>(r.cmd), r.dst);
        check(out.size() == p.size);
        check(std::equal(out.begin() + 3, out.end(), in.begin() + 3));
      }
      break;
    }
    default: {
      s5::udp_header h;
      const auto p = s5::parse_udp_header(in, h);
      if (p.ok()) {
        check(p.size <= in.size());
        const auto out = s5::udp_header_bytes(h.dst);
        check(out.size() == p.size);
        check(std::equal(out.begin() + 3, out.end(), in.begin() + 3));
        (void)s5::to_string(h.dst);
      }
      break;
    }
  }
  return 0;
}
