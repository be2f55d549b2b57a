#include "engine/shard/timer_wheel.h"

#include <algorithm>

namespace ztkit::shard {

timer_wheel::timer_wheel(const config& cfg, std::int64_t start_ns)
    : tick_ns_(std::max<std::int64_t>(cfg.tick_ns, 1)),
      capacity_(std::max<std::size_t>(cfg.capacity, 1)),
      now_tick_(static_cast<std::uint64_t>(std::max<std::int64_t>(start_ns, 0) / tick_ns_)),
      nodes_(new node[capacity_]) {
  for (auto& level : wheel_)
    for (auto& l : level) l.init();
  due_.init();
  for (std::size_t i = capacity_; i-- > 0;) {
    node& n = nodes_[i];
    n.generation = 0;
    n.level = is_free;
    n.next = free_;
    free_ = &n;
  }
}

timer_handle timer_wheel::insert(std::int64_t deadline_ns, std::uint64_t token) {
  if (!free_) return {};
  node* n = free_;
  free_ = n->next;
  n->deadline = deadline_ns;
  n->token = token;
  ++armed_;
  if (deadline_ns <= now_ns()) {
    n->expire_tick = now_tick_;
    n->level = in_due;
    push_back(due_, n);
  } else {
    // Round up: a timer never fires before its deadline.
    n->expire_tick = static_cast<std::uint64_t>((deadline_ns + tick_ns_ - 1) / tick_ns_);
    place(n);
  }
  return timer_handle{static_cast<std::uint32_t>(n - nodes_.get()), n->generation};
}

void timer_wheel::place(node* n) {
  const std::uint64_t expire = n->expire_tick;
  const std::uint64_t delta = expire - now_tick_;  // expire >= now_tick_ here
  int level;
  std::uint64_t at = expire;
  if (delta < (std::uint64_t{1} << slot_bits)) {
    level = 0;
  } else if (delta < (std::uint64_t{1} << 2 * slot_bits)) {
    level = 1;
  } else if (delta < (std::uint64_t{1} << 3 * slot_bits)) {
    level = 2;
  } else {
    level = 3;
    // Beyond the top level's range: park in the last slot it reaches; re-filed from there.
    const std::uint64_t range = std::uint64_t{1} << 4 * slot_bits;
    if (delta >= range) at = now_tick_ + range - 1;
  }
  const unsigned s = static_cast<unsigned>((at >> (slot_bits * level)) & (slots - 1));
  n->level = static_cast<std::int16_t>(level);
  n->slot = static_cast<std::uint8_t>(s);
  push_back(wheel_[level][s], n);
  occupied_[level] |= std::uint64_t{1} << s;
}

void timer_wheel::cascade(std::uint64_t tick) {
  for (int level = 1; level < levels; ++level) {
    const unsigned s = static_cast<unsigned>((tick >> (slot_bits * level)) & (slots - 1));
    if (occupied_[level] & (std::uint64_t{1} << s)) {
      list moving;
      moving.init();
      take(wheel_[level][s], moving);
      occupied_[level] &= ~(std::uint64_t{1} << s);
      while (!moving.empty()) {
        node* n = moving.head.next;
        unlink(n);
        place(n);
      }
    }
    if (s != 0) break;  // the next level turns only when this one wraps
  }
}

void timer_wheel::take(list& from, list& to) {
  if (from.empty()) return;
  node* first = from.head.next;
  node* last = from.head.prev;
  first->prev = to.head.prev;
  to.head.prev->next = first;
  last->next = &to.head;
  to.head.prev = last;
  from.init();
}

void timer_wheel::release(node* n) {
  n->level = is_free;
  ++n->generation;
  n->next = free_;
  free_ = n;
  --armed_;
}

bool timer_wheel::armed(timer_handle h) const {
  if (!h.valid() || h.index >= capacity_) return false;
  const node& n = nodes_[h.index];
  return n.generation == h.generation && n.level != is_free;
}

bool timer_wheel::cancel(timer_handle h) {
  if (!armed(h)) return false;
  node* n = &nodes_[h.index];
  unlink(n);
  if (n->level >= 0 && wheel_[n->level][n->slot].empty())
    occupied_[n->level] &= ~(std::uint64_t{1} << n->slot);
  release(n);
  return true;
}

std::optional<std::int64_t> timer_wheel::next_deadline() const {
  if (armed_ == 0) return std::nullopt;
  if (!due_.empty()) return now_ns();
  std::uint64_t best = ~std::uint64_t{0};
  for (int level = 0; level < levels; ++level) {
    const std::uint64_t occ = occupied_[level];
    if (!occ) continue;
    const int shift = slot_bits * level;
    const std::uint64_t base = now_tick_ >> shift;
    const unsigned cur = static_cast<unsigned>(base & (slots - 1));
    // Slots after cur come in this rotation, cur and before it in the next one.
    const std::uint64_t after = cur == slots - 1 ? 0 : (~std::uint64_t{0} << (cur + 1));
    std::uint64_t k;  // slots from cur to the first occupied one
    if (occ & after) {
      k = static_cast<std::uint64_t>(__builtin_ctzll(occ & after)) - cur;
      // A level-0 slot in this rotation comes before the next boundary, hence before every
      // cascade: it is the answer, and exact (a level-0 slot holds one tick).
      if (level == 0) return static_cast<std::int64_t>(base + k) * tick_ns_;
    } else {
      k = static_cast<std::uint64_t>(__builtin_ctzll(occ)) + slots - cur;
    }
    // Level 0: exact; higher levels: the cascade point, no later than any timer there.
    best = std::min(best, (base + k) << shift);
  }
  return static_cast<std::int64_t>(best) * tick_ns_;
}

}  // namespace ztkit::shard
