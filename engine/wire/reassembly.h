// Reassembly of fragmented ZeroTier packets (zerotier-protocol.md §1.4; ZeroTierOne 1.14
// Switch::onRemotePacket and its RX queue), made safe against hostile senders.
//
// Pieces of one packet (the head datagram, number 0, and fragment datagrams 1..total-1) are
// matched by (source key, 64-bit packet id). The source key is opaque to the table: the caller
// passes whatever identifies the sender (a hash of the physical endpoint, or a peer id), so
// that one sender cannot evict or complete another sender's packets. Pieces may come in any
// order; when all `total` are there the packet is head || frag1 data || frag2 data ...
//
// What 1.14 does and what we do differently, and why:
//   - 1.14 keys entries by packet id only, in a 32-entry ring overwritten blindly. We add the
//     source key and bound entries both in total and per source, evicting the oldest incomplete
//     entry of the same source first, so a flood from one source cannot push out others.
//   - 1.14 accepts a fragment number >= total and lets a later fragment change the total; we
//     drop such fragments (counted as `invalid` and `inconsistent_total`).
//   - 1.14 frees an entry when its packet decodes, so a replayed set is delivered again; we keep
//     a tombstone of each completed packet until it expires (or its slot is needed), and count
//     pieces of it as duplicates.
//   - Incomplete entries expire `timeout_ms` after their first piece (1.14: 5 s,
//     ZT_RECEIVE_QUEUE_TIMEOUT). Later pieces do not extend the deadline.
//
// Memory: every byte is allocated by the constructor (max_entries x 10024 bytes of piece
// storage plus one 10024-byte output buffer); nothing is allocated per datagram. Lookups scan
// the slots linearly, which is cheap for the tens of entries a node needs. A new entry takes
// a free slot, else the oldest tombstone, in O(1) while fewer than max_entries_per_source
// entries are open (so no source can be at its cap); otherwise one pass over the slots
// applies the rules above (the pass was 3% of a bulk stream's cycles when every head paid it).
// Entries that expired are then released by expire() or by that pass.
//
// Time is the caller's `now` in milliseconds; the table reads no clock and does no I/O. Not
// thread-safe: one table per receiving core.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "engine/wire/fragment.h"

namespace ztkit::wire {

struct reassembly_config {
  std::size_t max_entries = 64;             // incomplete packets held at once, all sources
  std::size_t max_entries_per_source = 16;  // of which one source may hold at most this many
  std::int64_t timeout_ms = 5000;           // ZT_RECEIVE_QUEUE_TIMEOUT
};

// Every datagram handed to the table lands in exactly one of heads, fragments, duplicate,
// invalid, too_big or inconsistent_total (not_fragmented datagrams are not counted).
// evicted and expired count entries, not datagrams.
struct reassembly_counters {
  std::uint64_t heads = 0;               // head datagrams stored
  std::uint64_t fragments = 0;           // fragment datagrams stored
  std::uint64_t completed = 0;           // packets reassembled
  std::uint64_t duplicate = 0;           // piece already held, or piece of a completed packet
  std::uint64_t invalid = 0;             // fails 1.14's accept rule, number >= total, bad head
  std::uint64_t too_big = 0;             // datagram, or the sum of an entry's pieces, > 10024
  std::uint64_t inconsistent_total = 0;  // fragment's total differs from the entry's
  std::uint64_t evicted = 0;             // incomplete entries pushed out to make room
  std::uint64_t expired = 0;             // incomplete entries that timed out

  bool operator==(const reassembly_counters&) const = default;
};

enum class reassembly_status : std::uint8_t {
  not_fragmented,      // neither a fragment nor a flagged head; `packet` is the datagram
  incomplete,          // piece stored, packet not complete yet
  complete,            // `packet` is the reassembled armored packet
  duplicate,           // dropped (counted)
  invalid,             // dropped (counted)
  too_big,             // dropped, and the entry with it (counted)
  inconsistent_total,  // dropped (counted)
};
const char* to_string(reassembly_status s);

struct reassembly_outcome {
  reassembly_status status = reassembly_status::invalid;
  // complete: the whole packet, in the table's own storage, valid until the next non-const
  // call on the table (copy it, or dearmor it in place, before that).
  // not_fragmented: the datagram passed in. Empty otherwise.
  std::span<const std::uint8_t> packet;
  // After a stored piece (incomplete / complete): the pieces the entry holds, bit n = piece n.
  std::uint8_t have_mask = 0;
};

class reassembly_table {
 public:
  // Out-of-range settings are clamped: at least 1 entry, per-source between 1 and max_entries,
  // timeout at least 1 ms.
  explicit reassembly_table(reassembly_config config = {});

  // Classifies a received datagram as 1.14 does (fragment if length > 16 and byte 13 == 0xff;
  // head if a 28+ byte packet with flag 0x40) and stores it; any other datagram is returned
  // as not_fragmented. Relaying fragments addressed to others is the caller's business.
  reassembly_outcome on_datagram(std::uint64_t source, std::span<const std::uint8_t> datagram,
                                 std::int64_t now);
  // A head datagram (a packet with the fragmented flag set).
  reassembly_outcome on_head(std::uint64_t source, std::span<const std::uint8_t> head,
                             std::int64_t now);
  // A fragment datagram (its accept rule is re-checked, so an unchecked view is safe).
  reassembly_outcome on_fragment(std::uint64_t source, const fragment_view& fragment,
                                 std::int64_t now);

  // Drops every entry older than the timeout (incomplete ones count as expired). Calls above do
  // this lazily for the slots they touch; call this from a timer to keep counters current.
  void expire(std::int64_t now);

  const reassembly_counters& counters() const { return counters_; }
  const reassembly_config& config() const { return config_; }
  // Incomplete packets held (completed tombstones and free slots excluded).
  std::size_t active_entries() const;
  std::size_t active_entries_for(std::uint64_t source) const;
  // Bytes owned by the table; fixed at construction.
  std::size_t memory_bytes() const;

 private:
  enum class slot_state : std::uint8_t { free, open, done };
  struct slot {
    std::uint64_t source = 0;
    std::uint64_t id = 0;
    std::int64_t created = 0;
    slot_state state = slot_state::free;
    std::uint8_t have = 0;   // bit n: piece n stored
    std::uint8_t total = 0;  // 0 until a fragment says
    std::uint16_t used = 0;  // bytes of this slot's storage in use
    std::uint16_t offset[fragment_max_pieces] = {};
    std::uint16_t length[fragment_max_pieces] = {};
    bool in_free_stack = false;  // listed in free_stack_ (maybe no longer free: checked on pop)
    bool in_done_fifo = false;   // listed in done_fifo_ (likewise)
  };

  bool expired(const slot& s, std::int64_t now) const { return now - s.created >= config_.timeout_ms; }
  // The live slot for (source, id), or null; an expired match is released on the way.
  slot* find(std::uint64_t source, std::uint64_t id, std::int64_t now);
  // A fresh open slot for (source, id), evicting by the rules above if needed.
  slot* claim(std::uint64_t source, std::uint64_t id, std::int64_t now);
  // claim()'s O(1) choice (see the header comment), or null when the pass is needed.
  slot* claim_fast();
  // Makes `s` (free, a tombstone, or the open entry being evicted) the open entry (source, id).
  slot* open_slot(slot& s, std::uint64_t source, std::uint64_t id, std::int64_t now);
  void release(slot& s, bool count_expired);
  void mark_done(slot& s);
  std::uint8_t* storage(const slot& s) { return storage_.data() + (&s - slots_.data()) * fragment_max_packet_length; }
  // Stores one piece and completes the packet if it was the last.
  reassembly_outcome store(slot& s, unsigned number, std::span<const std::uint8_t> bytes);

  reassembly_config config_;
  reassembly_counters counters_;
  std::vector<slot> slots_;
  std::vector<std::uint8_t> storage_;  // max_entries x 10024
  std::vector<std::uint8_t> output_;   // 10024, for packets whose pieces came out of order
  // Free slots (a stack) and tombstones in the order they completed (a ring), each slot
  // listed at most once; both sized max_entries at construction.
  std::vector<std::uint32_t> free_stack_;
  std::vector<std::uint32_t> done_fifo_;
  std::size_t done_head_ = 0, done_count_ = 0;
  std::size_t open_count_ = 0;  // slots in state open
};

}  // namespace ztkit::wire
