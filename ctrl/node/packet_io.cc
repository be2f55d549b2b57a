#include "ctrl/node/packet_io.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "engine/wire/compress.h"

namespace ztkit::ctrl {

namespace {
std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
std::uint64_t splitmix(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
}  // namespace

namespace {
std::uint64_t mix64(std::uint64_t x) {  // splitmix64's finalizer
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
}  // namespace

// Word-wise: this runs for every fragmented datagram (the reassembly table's source key); the
// byte-wise FNV it replaced was 0.8% of a bulk stream's cycles.
std::uint64_t endpoint_key(socket_id local, const wire::inet_address& a) {
  std::uint64_t lo = 0, hi = 0;
  std::memcpy(&lo, a.ip.data(), 8);
  std::memcpy(&hi, a.ip.data() + 8, 8);
  const std::uint64_t tag = static_cast<std::uint64_t>(local) << 24 |
                            static_cast<std::uint64_t>(a.fam) << 16 | a.port;
  return mix64(tag ^ mix64(lo ^ mix64(hi + 0x9e3779b97f4a7c15ULL)));
}

void write_header(std::vector<std::uint8_t>& out, std::uint64_t id, zt_address dest,
                  zt_address source, wire::verb v) {
  out.assign(wire::packet_min_length, 0);
  auto view = wire::packet_view::checked(out).value();
  view.set_packet_id(id);
  view.set_destination(dest);
  view.set_source(source);
  view.set_verb(v);
}

packet_id_source::packet_id_source(std::uint64_t seed, std::uint64_t salt) {
  if (seed == 0) {
    if (sodium_init() < 0) seed = 0x5eed;  // never happens in practice
    else randombytes_buf(&seed, sizeof seed);
  }
  seed ^= salt;
  for (auto& w : s_) w = splitmix(seed);
}

std::uint64_t packet_id_source::next() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

void compress_backoff::apply(std::vector<std::uint8_t>& out) {
  if (skip > 0) {
    --skip;
    return;
  }
  const std::size_t before = out.size();
  out.resize(wire::compress(out));
  if (out.size() < before) {
    backoff = 0;
  } else if (before - wire::packet_idx_verb - 1 > wire::compress_min_payload) {
    // A real try that did not pay (short payloads are never tried: no back-off for them).
    backoff = static_cast<std::uint8_t>(std::min(64, std::max(1, backoff * 2)));
    skip = backoff;
  }
}

}  // namespace ztkit::ctrl
