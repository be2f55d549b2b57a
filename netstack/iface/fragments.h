// IP fragment reassembly for both families (RFC 791 §3.2 / RFC 815 for IPv4, RFC 8200 §4.5 for
// IPv6), into preallocated slots.
//
// Bounds, each counted when hit: `slots` datagrams at once (a new datagram evicts the oldest);
// each at most `max_datagram` bytes of payload; each at most `max_ranges` disjoint received
// ranges (adjacent ranges merge, so in-order fragments use one); each lives `timeout` ms from
// its first fragment. Overlapping fragments drop the whole datagram (RFC 5722 requires that for
// IPv6; for IPv4 we do the same: an overlap is either a retransmission quirk or an attack, and
// a fresh copy of the datagram is the sender's job). An exact duplicate is ignored. A non-final
// fragment whose length is not a multiple of 8, or any fragment past a known end, is malformed.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

namespace ztkit::netstack {

struct reassembly_counters {
  std::uint64_t fragments = 0;
  std::uint64_t completed = 0;
  std::uint64_t timed_out = 0;
  std::uint64_t evicted = 0;
  std::uint64_t overlaps = 0;
  std::uint64_t too_big = 0;
  std::uint64_t malformed = 0;
  std::uint64_t too_many_ranges = 0;
};

class reassembler {
 public:
  struct config {
    std::size_t slots = 4;
    std::size_t max_datagram = 65535;
    std::size_t max_ranges = 32;
    std::uint64_t timeout = 30'000;  // ms (RFC 8200 §4.5: 60 s at most; IPv4 hosts use 15-120 s)
  };

  struct key {
    bool v6 = false;
    std::uint8_t protocol = 0;  // IPv4 only; 0 for IPv6
    std::uint32_t ident = 0;
    std::array<std::uint8_t, 16> src{}, dst{};
    bool operator==(const key&) const = default;
  };

  struct datagram {
    std::span<const std::uint8_t> payload;  // valid until the next call on this reassembler
    std::uint8_t protocol = 0;              // the first fragment's (IPv6: next header)
  };

  explicit reassembler(const config& cfg);

  // Adds `data` at byte `offset`; `first_protocol` is recorded from the offset-0 fragment.
  // Returns the whole payload when this fragment completes it.
  std::optional<datagram> add(std::uint64_t now, const key& k, std::uint32_t offset, bool more,
                              std::span<const std::uint8_t> data, std::uint8_t first_protocol);

  void poll(std::uint64_t now);

  std::size_t in_progress() const;
  const reassembly_counters& counters() const { return counters_; }

 private:
  struct range {
    std::uint32_t begin, end;
  };
  struct slot {
    bool used = false;
    key k;
    std::uint64_t started = 0;
    std::uint32_t total = 0;  // 0 until the last fragment arrives
    std::uint8_t protocol = 0;
    std::size_t nranges = 0;
    range* ranges = nullptr;
    std::uint8_t* data = nullptr;
  };

  slot* find_or_take(std::uint64_t now, const key& k);

  config cfg_;
  std::unique_ptr<std::uint8_t[]> storage_;
  std::unique_ptr<range[]> range_storage_;
  std::unique_ptr<slot[]> slots_;
  reassembly_counters counters_;
};

}  // namespace ztkit::netstack
