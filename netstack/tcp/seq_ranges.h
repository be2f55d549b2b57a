// A bounded, sorted set of disjoint sequence ranges [left, right): the receiver's out-of-order
// data (what it reports in SACK blocks, RFC 2018 §4) and the sender's SACK scoreboard (RFC 6675
// §3). At most N ranges: a range that would need an (N+1)th slot is refused, and the caller
// drops what it describes (the receiver the segment, the sender the SACK information), which
// bounds memory whatever the peer sends. Each range remembers when it last grew (`stamp`) so
// the receiver can report the most recent block first.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "netstack/tcp/seq.h"

namespace ztkit::netstack {

template <std::size_t N>
class seq_ranges {
 public:
  struct range {
    std::uint32_t left = 0, right = 0;
    std::uint64_t stamp = 0;
  };

  std::size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  const range& operator[](std::size_t i) const { return r_[i]; }
  void clear() { n_ = 0; }
  // Limits the ranges kept (<= N), e.g. from a socket's config.
  void set_limit(std::size_t limit) { limit_ = limit < N ? limit : N; }

  // Adds [l, r), merging with neighbours. False (nothing changes) if it needs a new slot and
  // none is left.
  bool add(std::uint32_t l, std::uint32_t r, std::uint64_t stamp) {
    using namespace tcp_seq;
    if (!lt(l, r)) return true;
    std::size_t i = 0;
    while (i < n_ && lt(r_[i].right, l)) ++i;  // first range that touches or follows
    std::size_t j = i;
    while (j < n_ && le(r_[j].left, r)) ++j;  // [i, j) touch [l, r)
    if (i == j) {
      if (n_ >= limit_) return false;
      for (std::size_t k = n_; k > i; --k) r_[k] = r_[k - 1];
      r_[i] = {l, r, stamp};
      ++n_;
      return true;
    }
    range m{min(l, r_[i].left), max(r, r_[j - 1].right), stamp};
    r_[i] = m;
    std::size_t gone = j - i - 1;
    for (std::size_t k = i + 1; k + gone < n_; ++k) r_[k] = r_[k + gone];
    n_ -= gone;
    return true;
  }
  // Forgets everything below `seq` (cumulatively acknowledged or delivered).
  void remove_below(std::uint32_t seq) {
    using namespace tcp_seq;
    std::size_t drop = 0;
    while (drop < n_ && le(r_[drop].right, seq)) ++drop;
    for (std::size_t k = 0; k + drop < n_; ++k) r_[k] = r_[k + drop];
    n_ -= drop;
    if (n_ && lt(r_[0].left, seq)) r_[0].left = seq;
  }
  // Bytes covered.
  std::uint32_t bytes() const {
    std::uint32_t t = 0;
    for (std::size_t k = 0; k < n_; ++k) t += r_[k].right - r_[k].left;
    return t;
  }
  // Is `seq` inside a range? Then `end` is that range's right edge.
  bool contains(std::uint32_t seq, std::uint32_t* end = nullptr) const {
    for (std::size_t k = 0; k < n_; ++k)
      if (tcp_seq::in_range(seq, r_[k].left, r_[k].right)) {
        if (end) *end = r_[k].right;
        return true;
      }
    return false;
  }

 private:
  std::array<range, N> r_{};
  std::size_t n_ = 0;
  std::size_t limit_ = N;
};

}  // namespace ztkit::netstack
