#include "tools/zt/http_proxy_wire.h"

#include <algorithm>
#include <cctype>

namespace ztkit::tools::http_proxy {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// RFC 9110 §5.6.2 tchar.
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

// RFC 9110 §5.5: no control characters but HTAB in a field value (nor any in a request line).
bool has_ctl(std::string_view s, bool allow_tab) {
  return std::any_of(s.begin(), s.end(), [allow_tab](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && !(allow_tab && c == '\t')) || u == 0x7f;
  });
}

// Where the head ends (after the blank line), or 0 if not within `in`.
std::size_t head_end(std::string_view in) {
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '\n') continue;
    if (i + 1 < in.size() && in[i + 1] == '\n') return i + 2;
    if (i + 2 < in.size() && in[i + 1] == '\r' && in[i + 2] == '\n') return i + 3;
  }
  return 0;
}

}  // namespace

const char* to_string(status s) {
  switch (s) {
    case status::ok: return "ok";
    case status::incomplete: return "incomplete request head";
    case status::too_large: return "request head too large";
    case status::bad_request_line: return "malformed request line";
    case status::bad_version: return "unsupported HTTP version";
    case status::bad_header: return "malformed header line";
    case status::bad_target: return "the target is neither host:port (CONNECT) nor an http:// URI";
  }
  return "?";
}

std::optional<std::string_view> request_head::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return std::string_view(v);
  return std::nullopt;
}

std::optional<std::pair<std::string, std::uint16_t>> split_authority(std::string_view s, std::uint16_t default_port) {
  std::string_view host, port;
  if (!s.empty() && s.front() == '[') {
    const auto close = s.find(']');
    if (close == std::string_view::npos || close == 1) return std::nullopt;
    host = s.substr(1, close - 1);
    const auto rest = s.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
      if (port.empty()) return std::nullopt;
    }
  } else {
    const auto colon = s.rfind(':');
    if (colon != std::string_view::npos) {
      if (s.find(':') != colon) return std::nullopt;  // a bare IPv6 address needs brackets
      host = s.substr(0, colon);
      port = s.substr(colon + 1);
      if (port.empty()) return std::nullopt;
    } else {
      host = s;
    }
  }
  if (host.empty()) return std::nullopt;
  if (host.find_first_of(" \t/@?#") != std::string_view::npos) return std::nullopt;
  std::uint32_t p = default_port;
  if (!port.empty()) {
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return std::nullopt;
    p = 0;
    for (char c : port) p = p * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (p == 0 || p > 65535) return std::nullopt;
  return std::pair{std::string(host), static_cast<std::uint16_t>(p)};
}

parsed parse_request_head(std::span<const std::uint8_t> bytes, request_head& out) {
  const std::string_view in(reinterpret_cast<const char*>(bytes.data()), std::min(bytes.size(), max_head));
  const std::size_t end = head_end(in);
  if (end == 0) return {bytes.size() >= max_head ? status::too_large : status::incomplete};
  out = {};
  out.size = end;
  std::string_view head = in.substr(0, end);
  auto next_line = [&head]() {
    const auto nl = head.find('\n');
    std::string_view line = head.substr(0, nl);
    head.remove_prefix(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  };
  // Request line: METHOD SP TARGET SP VERSION (RFC 9112 §3).
  const std::string_view line = next_line();
  const auto sp1 = line.find(' ');
  const auto sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) return {status::bad_request_line};
  const std::string_view method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1),
                         version = line.substr(sp2 + 1);
  if (!is_token(method) || target.empty() || target.find(' ') != std::string_view::npos || has_ctl(line, false))
    return {status::bad_request_line};
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return {status::bad_version};
  out.method = method;
  out.target = target;
  out.version = version;
  // Headers: name ":" OWS value OWS (RFC 9112 §5); obsolete line folding is refused.
  for (std::string_view h = next_line(); !h.empty(); h = next_line()) {
    if (out.headers.size() >= max_headers) return {status::too_large};
    const auto colon = h.find(':');
    if (colon == std::string_view::npos || !is_token(h.substr(0, colon)) || has_ctl(h.substr(colon + 1), true))
      return {status::bad_header};
    out.headers.emplace_back(std::string(h.substr(0, colon)), std::string(trim(h.substr(colon + 1))));
  }
  if (method == "CONNECT") {  // authority-form, port required (RFC 9110 §9.3.6)
    auto hp = split_authority(target);
    if (!hp) return {status::bad_target};
    out.host = std::move(hp->first);
    out.port = hp->second;
    return {status::ok};
  }
  // absolute-form: http://authority[/path] (no userinfo).
  constexpr std::string_view scheme = "http://";
  if (target.size() <= scheme.size() || !iequals(target.substr(0, scheme.size()), scheme)) return {status::bad_target};
  std::string_view rest = target.substr(scheme.size());
  const auto slash = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, slash);
  auto hp = split_authority(authority, 80);
  if (!hp) return {status::bad_target};
  out.host = std::move(hp->first);
  out.port = hp->second;
  out.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (out.path.front() != '/') out.path.insert(out.path.begin(), '/');
  if (const auto hash = out.path.find('#'); hash != std::string::npos) out.path.resize(hash);
  return {status::ok};
}

std::string origin_head(const request_head& h) {
  std::string s = h.method + " " + h.path + " " + h.version + "\r\n";
  bool has_host = false;
  for (const auto& [k, v] : h.headers) {
    if (iequals(k, "Proxy-Authorization") || iequals(k, "Proxy-Connection") || iequals(k, "Connection") ||
        iequals(k, "Keep-Alive"))
      continue;
    if (iequals(k, "Host")) has_host = true;
    s += k + ": " + v + "\r\n";
  }
  if (!has_host) {
    const bool v6 = h.host.find(':') != std::string::npos;
    s += "Host: " + (v6 ? "[" + h.host + "]" : h.host) + (h.port != 80 ? ":" + std::to_string(h.port) : "") + "\r\n";
  }
  s += "Connection: close\r\n\r\n";
  return s;
}

std::optional<std::string> base64_decode(std::string_view s) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  while (!s.empty() && s.back() == '=') s.remove_suffix(1);
  if (s.size() % 4 == 1) return std::nullopt;
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    const int v = value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

}  // namespace ztkit::tools::http_proxy
