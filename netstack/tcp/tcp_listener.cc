#include "netstack/tcp/tcp_listener.h"

#include <cstring>

#include "engine/wire/bytes.h"

namespace ztkit::netstack {

namespace syn_cookie {
namespace {
constexpr std::uint16_t mss_table[8] = {536, 1220, 1360, 1440, 1460, 2760, 4000, 8960};

std::size_t tuple(std::uint8_t domain, const inet_address& l, const inet_address& r,
                  std::uint32_t extra, std::uint8_t* out) {
  out[0] = domain;
  out[1] = static_cast<std::uint8_t>(l.fam);
  std::memcpy(out + 2, l.ip.data(), 16);
  std::memcpy(out + 18, r.ip.data(), 16);
  ztkit::wire::store_be16(out + 34, l.port);
  ztkit::wire::store_be16(out + 36, r.port);
  ztkit::wire::store_be32(out + 38, extra);
  return 42;
}
std::uint32_t h1(const siphash_key& k, const inet_address& l, const inet_address& r) {
  std::uint8_t b[42];
  return static_cast<std::uint32_t>(siphash24(k, {b, tuple(3, l, r, 0, b)}));
}
std::uint32_t h2(const siphash_key& k, const inet_address& l, const inet_address& r,
                 std::uint32_t peer_isn, std::uint32_t t) {
  std::uint8_t b[46];
  std::size_t n = tuple(4, l, r, peer_isn, b);
  ztkit::wire::store_be32(b + n, t);
  return static_cast<std::uint32_t>(siphash24(k, {b, n + 4})) & 0xffffffu;
}
std::uint32_t counter(std::uint64_t now_ms) { return static_cast<std::uint32_t>(now_ms / 64000) & 31; }
}  // namespace

std::uint8_t mss_index(std::uint16_t mss) {
  std::uint8_t i = 0;
  while (i + 1 < 8 && mss_table[i + 1] <= mss) ++i;
  return i;
}
std::uint16_t mss_value(std::uint8_t index) { return mss_table[index & 7]; }

std::uint32_t make(const siphash_key& key, const inet_address& local, const inet_address& remote,
                   std::uint32_t peer_isn, std::uint8_t idx, std::uint64_t now_ms) {
  std::uint32_t t = counter(now_ms);
  std::uint32_t v = (t << 27) | (std::uint32_t{idx & 7u} << 24) | h2(key, local, remote, peer_isn, t);
  return h1(key, local, remote) + v;
}

std::optional<std::uint16_t> check(const siphash_key& key, const inet_address& local,
                                   const inet_address& remote, std::uint32_t peer_isn,
                                   std::uint32_t iss, std::uint64_t now_ms) {
  std::uint32_t v = iss - h1(key, local, remote);
  std::uint32_t t = v >> 27;
  if (((counter(now_ms) - t) & 31) > 1) return std::nullopt;  // older than two periods
  if ((v & 0xffffffu) != h2(key, local, remote, peer_isn, t)) return std::nullopt;
  return mss_table[(v >> 24) & 7];
}
}  // namespace syn_cookie

bool tcp_listener::matches(const inet_address& dst) const {
  if (dst.port != local_.port) return false;
  if (local_.fam == inet_address::family::nil) return true;  // any address, both families
  if (local_.fam != dst.fam) return false;
  if (local_.ip == inet_address{}.ip) return true;  // any address of this family
  return local_.ip == dst.ip;
}

}  // namespace ztkit::netstack
