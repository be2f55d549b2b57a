#include "tools/zt/socks5_wire.h"

#include <algorithm>
#include <cstdio>

namespace ztkit::tools::socks5 {

namespace {

parsed done(status s, std::size_t size = 0) { return {s, size}; }

// ATYP DST.ADDR DST.PORT starting at in[0]; `size` is what it took.
parsed parse_address(std::span<const std::uint8_t> in, address& out) {
  if (in.empty()) return done(status::incomplete);
  std::size_t addr_len = 0, at = 1;
  switch (in[0]) {
    case static_cast<std::uint8_t>(atyp::ipv4): addr_len = 4; break;
    case static_cast<std::uint8_t>(atyp::ipv6): addr_len = 16; break;
    case static_cast<std::uint8_t>(atyp::domain):
      if (in.size() < 2) return done(status::incomplete);
      addr_len = in[1];
      if (addr_len == 0) return done(status::empty_field);
      at = 2;
      break;
    default: return done(status::bad_address_type);
  }
  if (in.size() < at + addr_len + 2) return done(status::incomplete);
  out.type = static_cast<atyp>(in[0]);
  out.ip = {};
  out.domain.clear();
  if (out.type == atyp::domain) out.domain.assign(reinterpret_cast<const char*>(in.data() + at), addr_len);
  else std::copy_n(in.data() + at, addr_len, out.ip.begin());
  out.port = static_cast<std::uint16_t>(in[at + addr_len] << 8 | in[at + addr_len + 1]);
  return done(status::ok, at + addr_len + 2);
}

void put_address(std::vector<std::uint8_t>& out, const address& a) {
  out.push_back(static_cast<std::uint8_t>(a.type));
  switch (a.type) {
    case atyp::ipv4: out.insert(out.end(), a.ip.begin(), a.ip.begin() + 4); break;
    case atyp::ipv6: out.insert(out.end(), a.ip.begin(), a.ip.end()); break;
    case atyp::domain: {
      const std::size_t n = std::min<std::size_t>(a.domain.size(), 255);
      out.push_back(static_cast<std::uint8_t>(n));
      out.insert(out.end(), a.domain.begin(), a.domain.begin() + static_cast<std::ptrdiff_t>(n));
      break;
    }
  }
  out.push_back(static_cast<std::uint8_t>(a.port >> 8));
  out.push_back(static_cast<std::uint8_t>(a.port));
}

}  // namespace

const char* to_string(status s) {
  switch (s) {
    case status::ok: return "ok";
    case status::incomplete: return "incomplete message";
    case status::bad_version: return "not a SOCKS5 message (bad version)";
    case status::no_methods: return "no authentication methods offered";
    case status::bad_reserved: return "reserved byte is not zero";
    case status::bad_command: return "unknown command";
    case status::bad_address_type: return "unknown address type";
    case status::empty_field: return "empty name";
  }
  return "?";
}

std::string to_string(const address& a) {
  char buf[64];
  switch (a.type) {
    case atyp::ipv4:
      std::snprintf(buf, sizeof buf, "%u.%u.%u.%u:%u", a.ip[0], a.ip[1], a.ip[2], a.ip[3], a.port);
      return buf;
    case atyp::ipv6: {
      std::string s = "[";
      for (int i = 0; i < 16; i += 2) {
        std::snprintf(buf, sizeof buf, "%s%x", i ? ":" : "", a.ip[i] << 8 | a.ip[i + 1]);
        s += buf;
      }
      return s + "]:" + std::to_string(a.port);
    }
    case atyp::domain: return a.domain + ":" + std::to_string(a.port);
  }
  return "?";
}

bool greeting::offers(method m) const {
  return std::find(methods.begin(), methods.end(), static_cast<std::uint8_t>(m)) != methods.end();
}

parsed parse_greeting(std::span<const std::uint8_t> in, greeting& out) {
  if (in.empty()) return done(status::incomplete);
  if (in[0] != version) return done(status::bad_version);
  if (in.size() < 2) return done(status::incomplete);
  const std::size_t n = in[1];
  if (n == 0) return done(status::no_methods);
  if (in.size() < 2 + n) return done(status::incomplete);
  out.methods.assign(in.begin() + 2, in.begin() + 2 + static_cast<std::ptrdiff_t>(n));
  return done(status::ok, 2 + n);
}

parsed parse_credentials(std::span<const std::uint8_t> in, credentials& out) {
  if (in.empty()) return done(status::incomplete);
  if (in[0] != auth_version) return done(status::bad_version);
  if (in.size() < 2) return done(status::incomplete);
  const std::size_t ulen = in[1];
  if (ulen == 0) return done(status::empty_field);
  if (in.size() < 2 + ulen + 1) return done(status::incomplete);
  const std::size_t plen = in[2 + ulen];  // an empty password is allowed
  if (in.size() < 3 + ulen + plen) return done(status::incomplete);
  out.user.assign(reinterpret_cast<const char*>(in.data() + 2), ulen);
  out.pass.assign(reinterpret_cast<const char*>(in.data() + 3 + ulen), plen);
  return done(status::ok, 3 + ulen + plen);
}

parsed parse_request(std::span<const std::uint8_t> in, request& out) {
  if (in.empty()) return done(status::incomplete);
  if (in[0] != version) return done(status::bad_version);
  if (in.size() < 4) return done(status::incomplete);
  out.cmd = in[1];
  if (in[2] != 0) return done(status::bad_reserved);
  const parsed a = parse_address(in.subspan(3), out.dst);
  if (a.st == status::incomplete || a.st == status::bad_address_type || a.st == status::empty_field)
    return a;
  if (out.cmd < 1 || out.cmd > 3) return done(status::bad_command, 3 + a.size);
  return done(status::ok, 3 + a.size);
}

parsed parse_udp_header(std::span<const std::uint8_t> in, udp_header& out) {
  if (in.size() < 4) return done(status::incomplete);
  if (in[0] != 0 || in[1] != 0) return done(status::bad_reserved);
  out.frag = in[2];
  const parsed a = parse_address(in.subspan(3), out.dst);
  if (!a.ok()) return a;
  return done(status::ok, 3 + a.size);
}

std::vector<std::uint8_t> method_selection(method m) { return {version, static_cast<std::uint8_t>(m)}; }

std::vector<std::uint8_t> auth_status(bool success) {
  return {auth_version, static_cast<std::uint8_t>(success ? 0 : 1)};
}

std::vector<std::uint8_t> reply_message(reply rep, const address& bnd) {
  std::vector<std::uint8_t> out{version, static_cast<std::uint8_t>(rep), 0};
  put_address(out, bnd);
  return out;
}

std::vector<std::uint8_t> udp_header_bytes(const address& a) {
  std::vector<std::uint8_t> out{0, 0, 0};
  put_address(out, a);
  return out;
}

}  // namespace ztkit::tools::socks5
