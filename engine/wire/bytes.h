// Big-endian fields and bounded cursors over byte spans: the only way wire code reads or writes
// bytes. ZeroTier puts every multi-byte integer on the wire big-endian
// (../shared/docs/zerotier-protocol.md, conventions).
//
// `reader` is sticky: the first read past the end sets !ok(), and every later read returns
// zeros / empty spans without touching memory. A parser reads a whole structure, then checks
// ok() once, so no field is ever read out of bounds and no length field is trusted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace ztkit::wire {

inline std::uint16_t load_be16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t load_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         p[3];
}
inline std::uint64_t load_be_n(const std::uint8_t* p, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}
inline std::uint64_t load_be64(const std::uint8_t* p) { return load_be_n(p, 8); }

inline void store_be16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
inline void store_be32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * (3 - i)));
}
inline void store_be_n(std::uint8_t* p, std::uint64_t v, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * (n - 1 - i)));
}
inline void store_be64(std::uint8_t* p, std::uint64_t v) { store_be_n(p, v, 8); }

class reader {
 public:
  explicit reader(std::span<const std::uint8_t> data) : data_(data) {}

  bool ok() const { return ok_; }
  std::size_t position() const { return pos_; }
  std::size_t remaining() const { return ok_ ? data_.size() - pos_ : 0; }
  bool at_end() const { return ok_ && pos_ == data_.size(); }

  // Marks the reader failed (e.g. a field value is invalid, not just short).
  void fail() { ok_ = false; }

  std::uint8_t u8() { const auto* p = take(1); return p ? p[0] : 0; }
  std::uint16_t be16() { const auto* p = take(2); return p ? load_be16(p) : 0; }
  std::uint32_t be32() { const auto* p = take(4); return p ? load_be32(p) : 0; }
  std::uint64_t be40() { const auto* p = take(5); return p ? load_be_n(p, 5) : 0; }
  std::uint64_t be64() { const auto* p = take(8); return p ? load_be64(p) : 0; }

  // The next n bytes (empty span, and !ok(), if fewer remain).
  std::span<const std::uint8_t> bytes(std::size_t n) {
    const auto* p = take(n);
    return p ? std::span<const std::uint8_t>(p, n) : std::span<const std::uint8_t>{};
  }
  void copy(std::uint8_t* out, std::size_t n) {
    const auto* p = take(n);
    if (p) std::memcpy(out, p, n);
    else std::memset(out, 0, n);
  }
  void skip(std::size_t n) { take(n); }
  // Everything not yet read.
  std::span<const std::uint8_t> rest() { return bytes(remaining()); }

 private:
  const std::uint8_t* take(std::size_t n) {
    if (!ok_ || n > data_.size() - pos_) {
      ok_ = false;
      return nullptr;
    }
    const std::uint8_t* p = data_.data() + pos_;
    pos_ += n;
    return p;
  }

  std::span<const std::uint8_t> data_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

// The writing twin: writes past the end of `out` set !ok() and write nothing.
class writer {
 public:
  explicit writer(std::span<std::uint8_t> out) : out_(out) {}

  bool ok() const { return ok_; }
  std::size_t size() const { return pos_; }
  std::span<std::uint8_t> written() const { return out_.first(pos_); }

  void u8(std::uint8_t v) { if (auto* p = take(1)) p[0] = v; }
  void be16(std::uint16_t v) { if (auto* p = take(2)) store_be16(p, v); }
  void be32(std::uint32_t v) { if (auto* p = take(4)) store_be32(p, v); }
  void be40(std::uint64_t v) { if (auto* p = take(5)) store_be_n(p, v, 5); }
  void be64(std::uint64_t v) { if (auto* p = take(8)) store_be64(p, v); }
  void bytes(std::span<const std::uint8_t> b) {
    if (auto* p = take(b.size()); p && !b.empty()) std::memcpy(p, b.data(), b.size());
  }
  void zeros(std::size_t n) { if (auto* p = take(n); p && n) std::memset(p, 0, n); }
  // Reserves n bytes to fill later (e.g. a length known only after the body is written).
  std::uint8_t* reserve(std::size_t n) { return take(n); }

 private:
  std::uint8_t* take(std::size_t n) {
    if (!ok_ || n > out_.size() - pos_) {
      ok_ = false;
      return nullptr;
    }
    std::uint8_t* p = out_.data() + pos_;
    pos_ += n;
    return p;
  }

  std::span<std::uint8_t> out_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace ztkit::wire
