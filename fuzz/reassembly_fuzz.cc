// Fuzzes fragment reassembly (engine/wire/reassembly.h) with a sequence of datagrams fed to a
// small table, checked against a shadow model.
//
// Input: records of [ctl][len hi][len lo][len bytes] (len is cut to what remains).
//   ctl bits 0-1: source key 0..3
//   ctl bits 2-4: time advance before the datagram: 0, 0, 1, 10, 100, 1000, 3000, 6000 ms
//   ctl bit 5   : call expire(now) first
//   ctl bits 6-7: 0 or 3 = the bytes are the datagram as is;
//                 1 = a fragment built from [id][(total<<4)|number][payload...];
//                 2 = a head built from [id][payload...] (28+ bytes, flag 0x40).
// Small ids (one byte) make pieces of different packets collide on purpose.
//
// Invariants: entries within both bounds, fixed memory, every datagram counted exactly once,
// and every completed packet equal to head || fragment payloads of the pieces the table accepted
// for that entry (so its length is their sum, and at most 10024).
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "engine/wire/bytes.h"
#include "engine/wire/fragment.h"
#include "engine/wire/reassembly.h"

using namespace ztkit::wire;

namespace {

constexpr std::size_t kEntries = 8;
constexpr std::size_t kPerSource = 3;

void check(bool ok) {
  if (!ok) std::abort();
}

std::uint64_t total_counted(const reassembly_counters& c) {
  return c.heads + c.fragments + c.duplicate + c.invalid + c.too_big + c.inconsistent_total;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static constexpr std::int64_t advance[8] = {0, 0, 1, 10, 100, 1000, 3000, 6000};
  reassembly_table table(reassembly_config{kEntries, kPerSource, 5000});
  const std::size_t memory = table.memory_bytes();
  using key = std::pair<std::uint64_t, std::uint64_t>;
  std::map<key, std::array<std::optional<std::vector<std::uint8_t>>, fragment_max_pieces>> shadow;
  std::vector<std::uint8_t> built;
  std::int64_t now = 0;
  std::uint64_t fed = 0;

  reader r({data, size});
  while (r.remaining() >= 3) {
    const std::uint8_t ctl = r.u8();
    const std::size_t want = r.be16();
    const auto body = r.bytes(std::min(want, r.remaining()));
    const std::uint64_t source = ctl & 3;
    now += advance[(ctl >> 2) & 7];
    if (ctl & 0x20) table.expire(now);

    std::span<const std::uint8_t> datagram = body;
    const unsigned mode = ctl >> 6;
    if (mode == 1 && body.size() >= 2) {
      built.assign(fragment_header_length, 0);
      built[7] = body[0];
      built[13] = fragment_indicator;
      built[14] = body[1];
      built.insert(built.end(), body.begin() + 2, body.end());
      if (built.size() == fragment_header_length) built.push_back(0);
      datagram = built;
    } else if (mode == 2 && body.size() >= 1) {
      built.assign(fragment_head_min_length, 0);
      built[7] = body[0];
      built[fragment_head_flags_index] = fragment_head_flag;
      built.insert(built.end(), body.begin() + 1, body.end());
      datagram = built;
    }

    const auto out = table.on_datagram(source, datagram, now);
    if (out.status != reassembly_status::not_fragmented) ++fed;
    check(total_counted(table.counters()) == fed);

    if (out.status == reassembly_status::not_fragmented) {
      check(out.packet.data() == datagram.data() && out.packet.size() == datagram.size());
    } else if (out.status == reassembly_status::incomplete ||
               out.status == reassembly_status::complete) {
      // The table stored this datagram: record it in the model.
      const bool frag = is_fragment(datagram);
      const unsigned number = frag ? (datagram[14] & 0x0f) : 0;
      check(number < fragment_max_pieces);
      check(out.have_mask & (1u << number));
      const key k{source, load_be64(datagram.data())};
      if (out.have_mask == (1u << number)) shadow[k] = {};  // a fresh entry
      auto& pieces = shadow[k];
      check(!pieces[number].has_value());
      const auto piece = frag ? datagram.subspan(fragment_header_length) : datagram;
      pieces[number].emplace(piece.begin(), piece.end());

      if (out.status == reassembly_status::complete) {
        std::vector<std::uint8_t> expect;
        for (unsigned n = 0; n < fragment_max_pieces; ++n) {
          if (!(out.have_mask & (1u << n))) break;
          check(pieces[n].has_value());
          expect.insert(expect.end(), pieces[n]->begin(), pieces[n]->end());
        }
        check(out.packet.size() == expect.size());
        check(std::equal(expect.begin(), expect.end(), out.packet.begin()));
        check(out.packet.size() >= fragment_head_min_length);
        check(out.packet.size() <= fragment_max_packet_length);
        shadow.erase(k);
      }
    } else {
      check(out.packet.empty());
    }

    check(table.active_entries() <= kEntries);
    for (std::uint64_t s = 0; s < 4; ++s) check(table.active_entries_for(s) <= kPerSource);
    check(table.memory_bytes() == memory);
  }
  return 0;
}
