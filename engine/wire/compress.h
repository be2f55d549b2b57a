// LZ4 compression of a packet's payload (ZeroTierOne 1.14 Packet::compress / uncompress;
// zerotier-protocol.md §2.6; lz4.json), on Debian's liblz4 (LZ4 block format, no frame).
//
// Only the bytes after the verb byte (offset 28..) are compressed; verb flag 0x80 says so.
// Order: compose -> compress -> armor on send; dearmor -> uncompress on receive.
// Both work in place with a bounded stack buffer and allocate nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "engine/wire/packet.h"

namespace ztkit::wire {

// Payloads after the verb byte of at most this many bytes are never compressed.
inline constexpr std::size_t compress_min_payload = 64;

// Compresses packet[28..) in place when it pays, as Packet::compress: only if the payload after
// the verb byte is longer than 64 bytes, the compressed flag is not already set, and the LZ4
// block is strictly smaller; then sets verb flag 0x80 and returns the new (shorter) packet
// length. Otherwise clears flag 0x80 and returns packet.size() (a packet already flagged
// compressed is returned untouched). Packets shorter than 28 or longer than 10024 bytes are
// returned untouched.
std::size_t compress(std::span<std::uint8_t> packet);

enum class uncompress_result : std::uint8_t {
  ok,
  too_short,     // fewer than 28 bytes
  corrupt,       // LZ4 block malformed, decoding to zero bytes or to more than 10024 bytes
  too_large,     // the decompressed packet would not fit the buffer (or 10024 bytes)
};

std::string_view to_string(uncompress_result r);

struct uncompressed {
  uncompress_result result = uncompress_result::ok;
  std::size_t size = 0;  // the packet's length after uncompressing (valid when ok)
  bool ok() const { return result == uncompress_result::ok; }
};

// Uncompresses a packet of `packet_len` bytes at the start of `buffer` in place, as
// Packet::uncompress: if verb flag 0x80 is set, the bytes 28..packet_len are an LZ4 block that
// must decode to at least one byte and to a packet of at most min(buffer.size(), 10024) bytes;
// the flag is then cleared. A packet without the flag is returned unchanged (ok). On error the
// buffer is unchanged and the packet must be dropped. packet_len > buffer.size() (a caller
// error) is reported as corrupt.
[[nodiscard]] uncompressed uncompress(std::span<std::uint8_t> buffer, std::size_t packet_len);

}  // namespace ztkit::wire
