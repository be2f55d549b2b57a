// libFuzzer target for the packet layer (engine/wire/packet.h, armor.h, compress.h): the header
// view and repr, dearmor under every cipher suite (0..7) with a fixed peer key and trusted-path
// ID, armor/dearmor and compress/uncompress round-trips, and LZ4 decompression of arbitrary
// bytes. Invariant violations trap; sanitizers catch the rest.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "engine/wire/armor.h"
#include "engine/wire/compress.h"
#include "engine/wire/packet.h"

namespace {

using namespace ztkit::wire;

constexpr std::uint64_t trusted_id = 0x0102030405060708ULL;

const peer_keys& keys() {
  static const std::uint8_t k48[48] = {
      0x78, 0xbf, 0x96, 0x68, 0xcf, 0x1b, 0x9b, 0x6f, 0x67, 0x1a, 0x58, 0x09, 0x37, 0xbc, 0xd2, 0xf3,
      0x4f, 0xb8, 0x32, 0xf7, 0x3c, 0x6d, 0x1d, 0x51, 0x40, 0x3c, 0x9d, 0x6c, 0xaf, 0x6c, 0x79, 0x13,
      0xe8, 0xab, 0xad, 0xc1, 0xdb, 0x37, 0x6c, 0x57, 0x9f, 0xe4, 0x73, 0x28, 0x75, 0x72, 0xfa, 0x54};
  static const peer_keys k(k48);
  return k;
}

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > packet_max_length) return 0;
  const std::span<const std::uint8_t> in(data, size);

  // Header: parse, emit, parse again gives the same repr.
  const auto h = packet_header::parse(in);
  check(h.ok() == (size >= packet_min_length));
  if (h.ok()) {
    std::uint8_t out[packet_header::buffer_len()];
    writer w(out);
    h->emit(w);
    check(w.ok());
    check(packet_header::parse(out).value() == *h);
  }

  std::vector<std::uint8_t> buf(packet_max_length);

  // Dearmor as received, then under every suite (the cipher bits are what dearmor trusts).
  for (int suite = -1; suite < 8; ++suite) {
    std::memcpy(buf.data(), data, size);
    std::span<std::uint8_t> pkt(buf.data(), size);
    if (suite >= 0 && size >= packet_min_length) packet_view::checked(pkt)->set_cipher(static_cast<std::uint8_t>(suite));
    const armor_result r = dearmor(pkt, keys(), suite == 2 ? trusted_id : 0);
    if (size < packet_min_length) check(r == armor_result::too_short);
    if (r == armor_result::ok) {
      const uncompressed u = uncompress(buf, size);
      if (u.ok()) check(u.size >= packet_min_length && u.size <= packet_max_length);
    }
  }

  // LZ4 on arbitrary bytes, with the flag forced on.
  if (size >= packet_min_length) {
    std::memcpy(buf.data(), data, size);
    buf[packet_idx_verb] |= verb_flag_compressed;
    const uncompressed u = uncompress(buf, size);
    if (u.ok()) check(u.size <= packet_max_length && !(buf[packet_idx_verb] & verb_flag_compressed));
  }

  if (size < packet_min_length) return 0;

  // compress -> uncompress is the identity on a packet not already flagged compressed.
  std::vector<std::uint8_t> orig(data, data + size);
  orig[packet_idx_verb] &= static_cast<std::uint8_t>(~verb_flag_compressed);
  std::memcpy(buf.data(), orig.data(), size);
  const std::size_t clen = compress(std::span<std::uint8_t>(buf.data(), size));
  check(clen <= size);
  const uncompressed u = uncompress(buf, clen);
  check(u.ok() && u.size == size && std::memcmp(buf.data(), orig.data(), size) == 0);

  // armor -> (relay hops) -> dearmor is the identity on verb + payload, for suites 0, 1, 3.
  static constexpr cipher_suite suites[] = {cipher_suite::poly1305_none,
                                            cipher_suite::poly1305_salsa2012,
                                            cipher_suite::aes_gmac_siv};
  const cipher_suite s = suites[data[0] % 3];
  std::memcpy(buf.data(), orig.data(), size);
  std::span<std::uint8_t> pkt(buf.data(), size);
  check(armor(pkt, keys(), s) == armor_result::ok);
  packet_view::checked(pkt)->set_hops(data[size - 1] & 7);
  check(dearmor(pkt, keys(), 0) == armor_result::ok);
  check(std::memcmp(buf.data() + packet_idx_verb, orig.data() + packet_idx_verb,
                    size - packet_idx_verb) == 0);
  return 0;
}
