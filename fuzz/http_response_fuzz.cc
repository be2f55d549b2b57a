// Fuzzes `zt call`'s HTTP/1.1 response parser (tools/zt/http_message.h): the same bytes fed
// whole and fed in pieces (sizes taken from the input) give the same verdict, head and body;
// sizes stay within the limits; and the URL parser never yields a request line with a space
// or control character in its target.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "tools/zt/http_message.h"

namespace http = ztkit::tools::http;

namespace {

struct outcome {
  http::parse_error error;
  bool done;
  std::string head;
  std::string body;
};

outcome run(std::string_view in, bool head_request, std::uint8_t step_seed) {
  http::limits lim;
  lim.max_head = 2048;
  lim.max_headers = 16;
  lim.max_body = 1 << 16;
  lim.max_chunk_line = 256;
  lim.max_interim = 4;
  http::response_parser p(lim, head_request);
  std::string body;
  std::size_t at = 0;
  std::uint32_t step = step_seed;
  while (at < in.size()) {
    // step_seed 0: everything at once; otherwise pieces of 1..N bytes, varying.
    std::size_t n = in.size() - at;
    if (step_seed != 0) {
      step = step * 1103515245u + 12345u;
      n = std::min<std::size_t>(n, 1 + (step >> 16) % (step_seed + 1u));
    }
    (void)p.feed(in.substr(at, n), body);
    at += n;
  }
  const auto e = p.finish();
  if (e != p.error()) std::abort();
  if (p.body_bytes() != body.size() || body.size() > lim.max_body) std::abort();
  if (p.done() && e != http::parse_error::ok) std::abort();
  if (e == http::parse_error::ok && !p.done()) std::abort();
  if (e == http::parse_error::ok) {
    const auto& h = p.head();
    if (h.status < 100 || h.status > 599 || h.headers.size() > lim.max_headers) std::abort();
    if (!p.chunked() && !head_request && h.status != 204 && h.status != 304 && h.status >= 200)
      if (auto cl = h.find("Content-Length"); cl && !h.find("Transfer-Encoding"))
        if (std::strtoull(std::string(*cl).c_str(), nullptr, 10) != body.size()) std::abort();
  }
  return {e, p.done(), e == http::parse_error::ok ? p.head().emit() : std::string(), body};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const bool head_request = (data[0] & 0x80) != 0;
  const std::uint8_t seed = static_cast<std::uint8_t>(data[0] & 0x7f);
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  const outcome whole = run(in, head_request, 0);
  const outcome bytes = run(in, head_request, 1);
  const outcome pieces = run(in, head_request, seed ? seed : 7);
  for (const outcome* o : {&bytes, &pieces})
    if (o->error != whole.error || o->done != whole.done || o->head != whole.head || o->body != whole.body)
      std::abort();

  std::string why;
  if (auto u = http::parse_url(in, &why)) {
    for (char c : u->target)
      if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) std::abort();
    if (u->target.empty() || u->target.front() != '/' || u->port == 0) std::abort();
    http::request r;
    r.to = *u;
    const std::string req = r.emit();
    if (req.find("\r\n") != 4 + u->target.size() + 9) std::abort();  // "GET " target " HTTP/1.1"
  } else if (why.empty()) {
    std::abort();
  }
  http::header h;
  if (http::valid_header_line(in, &h) && (h.name.empty() || h.value.find('\n') != std::string::npos)) std::abort();
  return 0;
}
