// Bounded fragment reassembly (zerotier-protocol.md §1.4). See reassembly.h for the rules.
#include "engine/wire/reassembly.h"

#include <algorithm>
#include <cstring>

#include "engine/wire/bytes.h"

namespace ztkit::wire {

const char* to_string(reassembly_status s) {
  switch (s) {
    case reassembly_status::not_fragmented: return "not_fragmented";
    case reassembly_status::incomplete: return "incomplete";
    case reassembly_status::complete: return "complete";
    case reassembly_status::duplicate: return "duplicate";
    case reassembly_status::invalid: return "invalid";
    case reassembly_status::too_big: return "too_big";
    case reassembly_status::inconsistent_total: return "inconsistent_total";
  }
  return "unknown";
}

reassembly_table::reassembly_table(reassembly_config config) : config_(config) {
  config_.max_entries = std::max<std::size_t>(config_.max_entries, 1);
  config_.max_entries_per_source =
      std::clamp<std::size_t>(config_.max_entries_per_source, 1, config_.max_entries);
  config_.timeout_ms = std::max<std::int64_t>(config_.timeout_ms, 1);
  slots_.resize(config_.max_entries);
  storage_.resize(config_.max_entries * fragment_max_packet_length);
  output_.resize(fragment_max_packet_length);
  free_stack_.reserve(config_.max_entries);
  done_fifo_.resize(config_.max_entries);
  for (std::size_t i = config_.max_entries; i > 0; --i) {  // slot 0 on top
    free_stack_.push_back(static_cast<std::uint32_t>(i - 1));
    slots_[i - 1].in_free_stack = true;
  }
}

std::size_t reassembly_table::memory_bytes() const {
  return sizeof(*this) + slots_.capacity() * sizeof(slot) + storage_.capacity() +
         output_.capacity();
}

std::size_t reassembly_table::active_entries() const {
  return static_cast<std::size_t>(std::count_if(
      slots_.begin(), slots_.end(), [](const slot& s) { return s.state == slot_state::open; }));
}

std::size_t reassembly_table::active_entries_for(std::uint64_t source) const {
  return static_cast<std::size_t>(std::count_if(slots_.begin(), slots_.end(), [&](const slot& s) {
    return s.state == slot_state::open && s.source == source;
  }));
}

void reassembly_table::release(slot& s, bool count_expired) {
  if (s.state == slot_state::open) {
    --open_count_;
    if (count_expired) ++counters_.expired;
  }
  s.state = slot_state::free;
  s.have = 0;
  s.total = 0;
  s.used = 0;
  if (!s.in_free_stack) {
    s.in_free_stack = true;
    free_stack_.push_back(static_cast<std::uint32_t>(&s - slots_.data()));
  }
}

void reassembly_table::mark_done(slot& s) {
  --open_count_;
  s.state = slot_state::done;
  if (!s.in_done_fifo) {
    s.in_done_fifo = true;
    done_fifo_[(done_head_ + done_count_) % done_fifo_.size()] =
        static_cast<std::uint32_t>(&s - slots_.data());
    ++done_count_;
  }
}

reassembly_table::slot* reassembly_table::claim_fast() {
  if (open_count_ >= config_.max_entries_per_source) return nullptr;  // a source may be at its cap
  while (!free_stack_.empty()) {
    slot& s = slots_[free_stack_.back()];
    free_stack_.pop_back();
    s.in_free_stack = false;
    if (s.state == slot_state::free) return &s;
  }
  while (done_count_ > 0) {
    slot& s = slots_[done_fifo_[done_head_]];
    done_head_ = (done_head_ + 1) % done_fifo_.size();
    --done_count_;
    s.in_done_fifo = false;
    if (s.state == slot_state::done) return &s;
  }
  return nullptr;
}

void reassembly_table::expire(std::int64_t now) {
  for (slot& s : slots_) {
    if (s.state != slot_state::free && expired(s, now)) release(s, true);
  }
}

reassembly_table::slot* reassembly_table::find(std::uint64_t source, std::uint64_t id,
                                               std::int64_t now) {
  for (slot& s : slots_) {
    if (s.state == slot_state::free || s.id != id || s.source != source) continue;
    if (expired(s, now)) {
      release(s, true);
      return nullptr;
    }
    return &s;
  }
  return nullptr;
}

reassembly_table::slot* reassembly_table::claim(std::uint64_t source, std::uint64_t id,
                                                std::int64_t now) {
  if (slot* fast = claim_fast()) return open_slot(*fast, source, id, now);
  // One pass: release expired slots, and note a free slot, the oldest tombstone, the oldest
  // open entry of this source (and how many it has), and the oldest open entry overall.
  slot* free_slot = nullptr;
  slot* oldest_done = nullptr;
  slot* oldest_mine = nullptr;
  slot* oldest_any = nullptr;
  std::size_t mine = 0;
  for (slot& s : slots_) {
    if (s.state != slot_state::free && expired(s, now)) release(s, true);
    switch (s.state) {
      case slot_state::free:
        if (!free_slot) free_slot = &s;
        break;
      case slot_state::done:
        if (!oldest_done || s.created < oldest_done->created) oldest_done = &s;
        break;
      case slot_state::open:
        if (s.source == source) {
          ++mine;
          if (!oldest_mine || s.created < oldest_mine->created) oldest_mine = &s;
        }
        if (!oldest_any || s.created < oldest_any->created) oldest_any = &s;
        break;
    }
  }
  slot* chosen;
  if (mine >= config_.max_entries_per_source) {
    chosen = oldest_mine;  // this source is at its cap: it pays, nobody else does
  } else if (free_slot) {
    chosen = free_slot;
  } else if (oldest_done) {
    chosen = oldest_done;  // forget the oldest completed packet before dropping a live one
  } else {
    chosen = oldest_mine ? oldest_mine : oldest_any;
  }
  if (chosen->state == slot_state::open) {
    ++counters_.evicted;
    --open_count_;
  }
  return open_slot(*chosen, source, id, now);
}

reassembly_table::slot* reassembly_table::open_slot(slot& s, std::uint64_t source, std::uint64_t id,
                                                    std::int64_t now) {
  // Not release(): that would list the slot as free again. A tombstone's pieces are forgotten.
  s.have = 0;
  s.total = 0;
  s.used = 0;
  s.state = slot_state::open;
  ++open_count_;
  s.source = source;
  s.id = id;
  s.created = now;
  return &s;
}

reassembly_outcome reassembly_table::store(slot& s, unsigned number,
                                           std::span<const std::uint8_t> bytes) {
  if (s.used + bytes.size() > fragment_max_packet_length) {
    // The packet would exceed the receiver's buffer: it can never be valid, so drop it whole.
    ++counters_.too_big;
    release(s, false);
    return {reassembly_status::too_big, {}, 0};
  }
  std::uint8_t* base = storage(s);
  std::memcpy(base + s.used, bytes.data(), bytes.size());
  s.offset[number] = s.used;
  s.length[number] = static_cast<std::uint16_t>(bytes.size());
  s.used = static_cast<std::uint16_t>(s.used + bytes.size());
  s.have = static_cast<std::uint8_t>(s.have | (1u << number));
  if (number == 0) ++counters_.heads;
  else ++counters_.fragments;

  const unsigned full = (1u << s.total) - 1;  // total == 0 (unknown) never matches: have >= 1
  if (s.total == 0 || s.have != full) return {reassembly_status::incomplete, {}, s.have};

  // Complete. If the pieces arrived in order they already lie head-to-tail in the slot's
  // storage; otherwise gather them into the output buffer.
  bool in_order = true;
  for (unsigned p = 0, at = 0; p < s.total; at += s.length[p], ++p) {
    if (s.offset[p] != at) {
      in_order = false;
      break;
    }
  }
  std::span<const std::uint8_t> packet;
  if (in_order) {
    packet = std::span<const std::uint8_t>(base, s.used);
  } else {
    std::size_t at = 0;
    for (unsigned p = 0; p < s.total; ++p) {
      std::memcpy(output_.data() + at, base + s.offset[p], s.length[p]);
      at += s.length[p];
    }
    packet = std::span<const std::uint8_t>(output_.data(), at);
  }
  ++counters_.completed;
  // Keep a tombstone so that replayed pieces of this packet are recognised as duplicates. Its
  // storage stays intact until the slot is claimed again, which only a later call can do.
  mark_done(s);
  return {reassembly_status::complete, packet, s.have};
}

reassembly_outcome reassembly_table::on_head(std::uint64_t source,
                                             std::span<const std::uint8_t> head,
                                             std::int64_t now) {
  if (head.size() > fragment_max_packet_length) {
    ++counters_.too_big;
    return {reassembly_status::too_big, {}, 0};
  }
  if (head.size() < fragment_head_min_length || is_fragment(head) ||
      (head[fragment_head_flags_index] & fragment_head_flag) == 0) {
    ++counters_.invalid;
    return {reassembly_status::invalid, {}, 0};
  }
  const std::uint64_t id = load_be64(head.data());
  slot* s = find(source, id, now);
  if (s && (s->state == slot_state::done || (s->have & 1u))) {
    ++counters_.duplicate;
    return {reassembly_status::duplicate, {}, 0};
  }
  if (!s) s = claim(source, id, now);
  return store(*s, 0, head);
}

reassembly_outcome reassembly_table::on_fragment(std::uint64_t source,
                                                 const fragment_view& fragment,
                                                 std::int64_t now) {
  const std::span<const std::uint8_t> datagram = fragment.bytes();
  if (fragment_view::check(datagram) != fragment_error::none ||
      fragment.number() >= fragment.total()) {
    ++counters_.invalid;
    return {reassembly_status::invalid, {}, 0};
  }
  const std::span<const std::uint8_t> piece = fragment.payload();
  if (piece.size() > fragment_max_packet_length - fragment_head_min_length) {
    ++counters_.too_big;
    return {reassembly_status::too_big, {}, 0};
  }
  const std::uint64_t id = fragment.packet_id();
  const unsigned number = fragment.number();
  const unsigned total = fragment.total();
  slot* s = find(source, id, now);
  if (s && s->state == slot_state::done) {
    ++counters_.duplicate;
    return {reassembly_status::duplicate, {}, 0};
  }
  if (s && s->total != 0 && s->total != total) {
    ++counters_.inconsistent_total;
    return {reassembly_status::inconsistent_total, {}, 0};
  }
  if (s && (s->have & (1u << number))) {
    ++counters_.duplicate;
    return {reassembly_status::duplicate, {}, 0};
  }
  if (!s) s = claim(source, id, now);
  s->total = static_cast<std::uint8_t>(total);
  return store(*s, number, piece);
}

reassembly_outcome reassembly_table::on_datagram(std::uint64_t source,
                                                 std::span<const std::uint8_t> datagram,
                                                 std::int64_t now) {
  if (is_fragment(datagram)) {
    return on_fragment(source, fragment_view::unchecked(datagram), now);
  }
  if (datagram.size() >= fragment_head_min_length &&
      (datagram[fragment_head_flags_index] & fragment_head_flag) != 0) {
    return on_head(source, datagram, now);
  }
  return {reassembly_status::not_fragmented, datagram, 0};
}

}  // namespace ztkit::wire
