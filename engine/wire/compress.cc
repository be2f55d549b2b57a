// LZ4 payload compression (compress.h).
#include "engine/wire/compress.h"

#include <lz4.h>

#include <algorithm>
#include <cstring>

namespace ztkit::wire {
namespace {

constexpr std::size_t max_payload = packet_max_length - packet_idx_payload;  // 9996

}  // namespace

std::string_view to_string(uncompress_result r) {
  switch (r) {
    case uncompress_result::ok: return "ok";
    case uncompress_result::too_short: return "packet too short";
    case uncompress_result::corrupt: return "LZ4 data corrupt";
    case uncompress_result::too_large: return "uncompressed packet too large";
  }
  return "?";
}

std::size_t compress(std::span<std::uint8_t> packet) {
  if (packet.size() < packet_min_length || packet.size() > packet_max_length) return packet.size();
  const packet_view v = *packet_view::checked(packet);
  if (v.compressed()) return packet.size();
  const std::size_t pl = packet.size() - packet_idx_payload;
  if (pl > compress_min_payload) {
    // Room for LZ4's worst case, so the bytes match LZ4_compress_fast(..., 1) of 1.14.
    char out[LZ4_COMPRESSBOUND(max_payload)];
    const int cl = LZ4_compress_default(reinterpret_cast<const char*>(v.payload().data()), out,
                                        static_cast<int>(pl), static_cast<int>(sizeof(out)));
    if (cl > 0 && static_cast<std::size_t>(cl) < pl) {
      std::memcpy(v.payload().data(), out, static_cast<std::size_t>(cl));
      v.set_compressed(true);
      return packet_idx_payload + static_cast<std::size_t>(cl);
    }
  }
  v.set_compressed(false);
  return packet.size();
}

uncompressed uncompress(std::span<std::uint8_t> buffer, std::size_t packet_len) {
  if (packet_len > buffer.size()) return {uncompress_result::corrupt, 0};
  const auto v = packet_view::checked(buffer.first(packet_len));
  if (!v) return {uncompress_result::too_short, 0};
  if (!v->compressed()) return {uncompress_result::ok, packet_len};
  if (packet_len > packet_idx_payload) {
    const std::size_t cap =
        std::min(buffer.size(), packet_max_length) - packet_idx_payload;
    // As 1.14: decode into a buffer of the maximum packet length, then check it fits.
    char out[packet_max_length];
    const int ucl =
        LZ4_decompress_safe(reinterpret_cast<const char*>(v->payload().data()), out,
                            static_cast<int>(packet_len - packet_idx_payload),
                            static_cast<int>(sizeof(out)));
    if (ucl <= 0) return {uncompress_result::corrupt, 0};
    if (static_cast<std::size_t>(ucl) > cap) return {uncompress_result::too_large, 0};
    std::memcpy(buffer.data() + packet_idx_payload, out, static_cast<std::size_t>(ucl));
    packet_len = packet_idx_payload + static_cast<std::size_t>(ucl);
  }
  buffer[packet_idx_verb] &= static_cast<std::uint8_t>(~verb_flag_compressed);
  return {uncompress_result::ok, packet_len};
}

}  // namespace ztkit::wire
