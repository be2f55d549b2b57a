#include "netstack/iface/fragments.h"

#include <cstring>

namespace ztkit::netstack {

reassembler::reassembler(const config& cfg) : cfg_(cfg) {
  if (cfg_.slots == 0) cfg_.slots = 1;
  if (cfg_.max_ranges == 0) cfg_.max_ranges = 1;
  storage_.reset(new std::uint8_t[cfg_.slots * cfg_.max_datagram]);
  range_storage_.reset(new range[cfg_.slots * cfg_.max_ranges]);
  slots_.reset(new slot[cfg_.slots]);
  for (std::size_t i = 0; i < cfg_.slots; ++i) {
    slots_[i].data = storage_.get() + i * cfg_.max_datagram;
    slots_[i].ranges = range_storage_.get() + i * cfg_.max_ranges;
  }
}

std::size_t reassembler::in_progress() const {
  std::size_t n = 0;
  for (std::size_t i = 0; i < cfg_.slots; ++i) n += slots_[i].used;
  return n;
}

void reassembler::poll(std::uint64_t now) {
  for (std::size_t i = 0; i < cfg_.slots; ++i) {
    if (slots_[i].used && now >= slots_[i].started + cfg_.timeout) {
      slots_[i].used = false;
      ++counters_.timed_out;
    }
  }
}

reassembler::slot* reassembler::find_or_take(std::uint64_t now, const key& k) {
  slot* free_slot = nullptr;
  slot* oldest = nullptr;
  for (std::size_t i = 0; i < cfg_.slots; ++i) {
    slot& s = slots_[i];
    if (s.used && now >= s.started + cfg_.timeout) {
      s.used = false;
      ++counters_.timed_out;
    }
    if (s.used && s.k == k) return &s;
    if (!s.used) {
      if (!free_slot) free_slot = &s;
    } else if (!oldest || s.started < oldest->started) {
      oldest = &s;
    }
  }
  slot* s = free_slot;
  if (!s) {
    s = oldest;
    ++counters_.evicted;
  }
  s->used = true;
  s->k = k;
  s->started = now;
  s->total = 0;
  s->protocol = 0;
  s->nranges = 0;
  return s;
}

std::optional<reassembler::datagram> reassembler::add(std::uint64_t now, const key& k,
                                                      std::uint32_t offset, bool more,
                                                      std::span<const std::uint8_t> data,
                                                      std::uint8_t first_protocol) {
  ++counters_.fragments;
  const std::uint64_t end64 = std::uint64_t{offset} + data.size();
  if (end64 > cfg_.max_datagram) {
    ++counters_.too_big;
    // Drop what we have of this datagram too: it can never complete.
    for (std::size_t i = 0; i < cfg_.slots; ++i)
      if (slots_[i].used && slots_[i].k == k) slots_[i].used = false;
    return std::nullopt;
  }
  if ((more && (data.size() % 8 != 0 || data.empty())) || (offset % 8) != 0) {
    ++counters_.malformed;
    return std::nullopt;
  }
  const auto end = static_cast<std::uint32_t>(end64);
  slot* s = find_or_take(now, k);
  auto fail = [&](std::uint64_t& counter) -> std::optional<datagram> {
    ++counter;
    s->used = false;
    return std::nullopt;
  };
  if (!more) {
    if (s->total != 0 && s->total != end) return fail(counters_.malformed);
    s->total = end;
  }
  if (s->total != 0 && end > s->total) return fail(counters_.malformed);
  if (s->total != 0) {
    for (std::size_t i = 0; i < s->nranges; ++i)
      if (s->ranges[i].end > s->total) return fail(counters_.malformed);
  }
  // Insert [offset, end) into the sorted disjoint range list, merging neighbors.
  std::size_t pos = 0;
  while (pos < s->nranges && s->ranges[pos].end <= offset) ++pos;
  if (pos < s->nranges && s->ranges[pos].begin < end) {
    // Overlap with range `pos` (ranges before it end at or before `offset`).
    if (s->ranges[pos].begin == offset && s->ranges[pos].end == end) return std::nullopt;  // dup
    return fail(counters_.overlaps);
  }
  if (!data.empty()) std::memcpy(s->data + offset, data.data(), data.size());
  if (offset == 0) s->protocol = first_protocol;
  bool merge_prev = pos > 0 && s->ranges[pos - 1].end == offset;
  bool merge_next = pos < s->nranges && s->ranges[pos].begin == end;
  if (merge_prev && merge_next) {
    s->ranges[pos - 1].end = s->ranges[pos].end;
    for (std::size_t i = pos; i + 1 < s->nranges; ++i) s->ranges[i] = s->ranges[i + 1];
    --s->nranges;
  } else if (merge_prev) {
    s->ranges[pos - 1].end = end;
  } else if (merge_next) {
    s->ranges[pos].begin = offset;
  } else {
    if (s->nranges == cfg_.max_ranges) return fail(counters_.too_many_ranges);
    for (std::size_t i = s->nranges; i > pos; --i) s->ranges[i] = s->ranges[i - 1];
    s->ranges[pos] = {offset, end};
    ++s->nranges;
  }
  if (s->total != 0 && s->nranges == 1 && s->ranges[0].begin == 0 &&
      s->ranges[0].end == s->total) {
    s->used = false;  // the storage stays valid until the next add()
    ++counters_.completed;
    return datagram{{s->data, s->total}, s->protocol};
  }
  return std::nullopt;
}

}  // namespace ztkit::netstack
