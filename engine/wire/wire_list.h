// Lists inside verb payloads that own no storage (smoltcp's approach), so parsing a payload
// allocates nothing however many elements it holds (issue 4: no allocation on the parse path).
//
// A wire_list is one of two things:
//   - a view of a parsed list: its bytes in the payload and its element count. parse() checks
//     every element once, up front, so iterating decodes each element on the fly and cannot
//     fail. It must not outlive the parsed buffer (like bytes_ref).
//   - a reference to elements the caller owns (a vector, an array, a span), for emit(). It
//     must not outlive them; building one from a temporary container does not compile.
// Both iterate the same way (a forward iterator that yields T by value) and compare by
// content, so parse(emit(x)) == x holds across the two forms.
//
// How one element is encoded comes from a codec:
//   struct codec {
//     static constexpr std::size_t min_len;   // fewest bytes one element takes (> 0)
//     static constexpr bool fixed;            // every element takes exactly min_len bytes
//     static void skip(reader& r);            // past one element; fails r if it is malformed
//     static T read(reader& r);               // one element already checked by skip()
//     static void write(writer& w, const T& x);
//     static std::size_t wire_len(const T& x);
//   };
// The count (if the wire has one) is not part of the list: the payload repr reads and
// writes it, so a list can follow any count encoding (16-bit count, "until the end", "until a
// 0x00").
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <ranges>
#include <span>
#include <type_traits>

#include "engine/wire/bytes.h"

namespace ztkit::wire {

template <typename T, typename Codec>
class wire_list {
 public:
  using value_type = T;
  using codec = Codec;

  class iterator {
   public:
    using value_type = T;
    using reference = T;
    using difference_type = std::ptrdiff_t;
    using iterator_concept = std::forward_iterator_tag;
    using iterator_category = std::input_iterator_tag;  // yields values, not references

    iterator() = default;

    T operator*() const {
      if (item_) return *item_;
      reader r(rest_);
      return Codec::read(r);
    }
    iterator& operator++() {
      --left_;
      if (item_) {
        ++item_;
      } else if constexpr (Codec::fixed) {
        rest_ = rest_.subspan(Codec::min_len);
      } else {
        reader r(rest_);
        Codec::skip(r);
        rest_ = rest_.subspan(r.position());
      }
      return *this;
    }
    iterator operator++(int) {
      iterator old = *this;
      ++*this;
      return old;
    }
    // Iterators of one list are equal when as many elements are left after them.
    bool operator==(const iterator& o) const { return left_ == o.left_; }

   private:
    friend class wire_list;
    iterator(const T* item, std::span<const std::uint8_t> rest, std::size_t left)
        : item_(item), rest_(rest), left_(left) {}

    const T* item_ = nullptr;              // caller-owned form
    std::span<const std::uint8_t> rest_;  // view form: the bytes from this element on
    std::size_t left_ = 0;                 // elements from this one to the end
  };

  wire_list() = default;

  // Refers to caller-owned elements (for emit()); they must outlive the list.
  wire_list(std::span<const T> items)  // NOLINT: implicit by design, like bytes_ref
      : items_(items), size_(items.size()) {}
  template <typename R>
    requires(std::ranges::contiguous_range<R> && std::ranges::sized_range<R> &&
             std::is_same_v<std::ranges::range_value_t<R>, T>)
  wire_list(const R& items)  // NOLINT: implicit by design
      : wire_list(std::span<const T>(std::ranges::data(items), std::ranges::size(items))) {}
  // A temporary container would dangle as soon as the statement ends.
  template <typename R>
    requires(std::ranges::contiguous_range<R> && !std::is_lvalue_reference_v<R> &&
             !std::ranges::borrowed_range<R>)
  wire_list(R&&) = delete;

  // Parses n elements at r: checks each one, then views their bytes. A malformed or
  // truncated element fails r and yields an empty list. Counts are bounded by the bytes left
  // before anything is read, so a huge count off the wire costs nothing.
  static wire_list read(reader& r, std::size_t n) {
    if (n > r.remaining() / Codec::min_len) {
      r.fail();
      return {};
    }
    reader probe = r;
    const std::size_t start = probe.position();
    for (std::size_t i = 0; i < n && probe.ok(); ++i) Codec::skip(probe);
    if (!probe.ok()) {
      r.fail();
      return {};
    }
    return view(r.bytes(probe.position() - start), n);
  }

  // Parses fixed-size elements while a whole one remains; a shorter tail stays in r.
  static wire_list read_while_fits(reader& r) {
    static_assert(Codec::fixed, "read_while_fits needs fixed-size elements");
    return read(r, r.remaining() / Codec::min_len);
  }

  // Views `bytes`, which the caller has already checked hold exactly n well-formed elements
  // (for lists whose end is found another way, e.g. NETWORK_CREDENTIALS' 0x00 after the COMs).
  static wire_list view(std::span<const std::uint8_t> bytes, std::size_t n) {
    wire_list l;
    l.wire_ = bytes;
    l.size_ = n;
    l.is_view_ = true;
    return l;
  }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  iterator begin() const {
    return is_view_ ? iterator(nullptr, wire_, size_) : iterator(items_.data(), {}, size_);
  }
  iterator end() const { return iterator(nullptr, {}, 0); }

  // Element i (i < size()): direct for caller-owned and fixed-size elements, else a walk.
  T operator[](std::size_t i) const {
    if (!is_view_) return items_[i];
    if constexpr (Codec::fixed) {
      reader r(wire_.subspan(i * Codec::min_len, Codec::min_len));
      return Codec::read(r);
    } else {
      return *std::next(begin(), static_cast<std::ptrdiff_t>(i));
    }
  }
  T front() const { return (*this)[0]; }

  // Whether this views parsed bytes (else it refers to caller-owned elements).
  bool is_view() const { return is_view_; }
  // The parsed bytes (empty for the caller-owned form).
  std::span<const std::uint8_t> wire_bytes() const { return wire_; }

  // The elements' bytes, without any count.
  void emit(writer& w) const {
    if (is_view_) {
      w.bytes(wire_);
      return;
    }
    for (const T& x : items_) Codec::write(w, x);
  }
  std::size_t buffer_len() const {
    if (is_view_) return wire_.size();
    if constexpr (Codec::fixed) {
      return size_ * Codec::min_len;
    } else {
      std::size_t n = 0;
      for (const T& x : items_) n += Codec::wire_len(x);
      return n;
    }
  }

  // By content, whichever form either side has.
  friend bool operator==(const wire_list& a, const wire_list& b) {
    if (a.size_ != b.size_) return false;
    if (a.is_view_ && b.is_view_) {
      // Every element has one encoding, so equal bytes mean equal elements; unequal bytes can
      // still decode to equal elements (e.g. an ignored field), hence the walk below.
      if (a.wire_.size() == b.wire_.size() &&
          std::ranges::equal(a.wire_, b.wire_)) {
        return true;
      }
    }
    auto i = a.begin();
    auto j = b.begin();
    for (; i != a.end(); ++i, ++j) {
      if (!(*i == *j)) return false;
    }
    return true;
  }

 private:
  std::span<const T> items_;            // caller-owned form
  std::span<const std::uint8_t> wire_;  // view form
  std::size_t size_ = 0;
  bool is_view_ = false;
};

}  // namespace ztkit::wire
