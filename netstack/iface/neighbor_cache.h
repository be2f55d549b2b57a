// The ARP (RFC 826) and NDP (RFC 4861 §7.3) neighbor cache, with the queue of frames waiting for
// a resolution. One table serves both families; the key carries the family.
//
// Everything is preallocated at construction: `entries` neighbors and `pending_packets` queued
// frames. Lookups scan linearly (tens of entries; a ZeroTier network's active peers on one
// interface). Bounds, all counted when hit:
//   - a full table evicts the entry that expires first (incomplete entries before reachable);
//   - a frame waits at most `pending_timeout`, and the queue holds at most `pending_packets`
//     frames in all (per-neighbor fairness is not attempted: a flood of unresolvable
//     destinations drops its own frames first because they are the ones that time out);
//   - an incomplete entry is re-solicited every `retry_interval`, at most `max_solicits` times,
//     then dropped with its frames.
// Entries are created only by the interface's decision (a request or solicitation aimed at one
// of our addresses, or our own need to resolve); everything else may only refresh an existing
// entry, which is what keeps an ARP/NA flood from filling the table (RFC 826 "merge" rule).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>

#include "engine/buf/packet_buffer.h"
#include "netstack/wire/ip_address.h"

namespace ztkit::netstack {

struct neighbor_key {
  bool v6 = false;
  std::array<std::uint8_t, 16> ip{};

  static neighbor_key of(const wire::ipv4_address& a) {
    neighbor_key k;
    std::copy(a.b.begin(), a.b.end(), k.ip.begin());
    return k;
  }
  static neighbor_key of(const wire::ipv6_address& a) { return {true, a.b}; }
  bool operator==(const neighbor_key&) const = default;
};

struct neighbor_counters {
  std::uint64_t filled = 0;          // entries created or refreshed with a MAC
  std::uint64_t evicted = 0;         // full table, an entry replaced
  std::uint64_t pending_queued = 0;
  std::uint64_t pending_sent = 0;    // released after resolution
  std::uint64_t pending_full = 0;    // dropped: queue full
  std::uint64_t pending_expired = 0; // dropped: waited too long or resolution failed
  std::uint64_t failed = 0;          // resolutions given up
};

class neighbor_cache {
 public:
  struct config {
    std::size_t entries = 64;
    std::uint64_t reachable_time = 60'000;  // ms a learned MAC stays valid
    std::uint64_t retry_interval = 1'000;   // ms between solicitations
    unsigned max_solicits = 3;
    std::size_t pending_packets = 64;
    std::uint64_t pending_timeout = 3'000;  // ms
  };

  explicit neighbor_cache(const config& cfg);

  // The MAC for `k` if it is known and not expired.
  std::optional<wire::mac_address> lookup(std::uint64_t now, const neighbor_key& k) const;

  // Records k -> mac. With create=false only an existing (complete or incomplete) entry is
  // updated. Returns true if an entry was written.
  bool fill(std::uint64_t now, const neighbor_key& k, const wire::mac_address& mac, bool create);

  // Call when a frame for `k` has no MAC: makes sure an incomplete entry exists and says
  // whether to send a solicitation now (first need, or retry interval passed).
  bool want_solicit(std::uint64_t now, const neighbor_key& k);

  // Queues a frame (its Ethernet destination to be filled in); false (and the frame dropped,
  // counted) if the queue is full.
  bool enqueue(std::uint64_t now, const neighbor_key& k, buf::packet_buffer frame);

  // Hands every frame waiting for `k` to emit(packet_buffer&&), destination MAC written in.
  template <typename F>
  void release(const neighbor_key& k, const wire::mac_address& mac, F&& emit) {
    for (std::size_t i = 0; i < cfg_.pending_packets; ++i) {
      auto& p = pending_[i];
      if (!p.frame || !(p.key == k)) continue;
      auto* d = p.frame.data();
      for (int j = 0; j < 6; ++j) d[j] = mac.bytes[j];
      ++counters_.pending_sent;
      --pending_count_;
      emit(std::move(p.frame));
    }
  }

  // Timers: drops frames that waited too long, gives up on entries out of solicitations, and
  // calls resolicit(key) for entries due a retry.
  template <typename F>
  void poll(std::uint64_t now, F&& resolicit) {
    expire_pending(now);
    for (std::size_t i = 0; i < cfg_.entries; ++i) {
      auto& e = entries_[i];
      if (e.st != state::incomplete || now < e.last_solicit + cfg_.retry_interval) continue;
      if (e.solicits >= cfg_.max_solicits) {
        ++counters_.failed;
        drop_pending(e.key);
        e.st = state::empty;
        continue;
      }
      e.last_solicit = now;
      ++e.solicits;
      resolicit(e.key);
    }
  }

  std::size_t pending() const { return pending_count_; }
  std::size_t size() const;
  const neighbor_counters& counters() const { return counters_; }

 private:
  enum class state : std::uint8_t { empty, incomplete, reachable };
  struct entry {
    neighbor_key key;
    wire::mac_address mac;
    state st = state::empty;
    std::uint8_t solicits = 0;
    std::uint64_t expires_at = 0;
    std::uint64_t last_solicit = 0;
  };
  struct pending_frame {
    neighbor_key key;
    std::uint64_t queued_at = 0;
    buf::packet_buffer frame;
  };

  entry* find(const neighbor_key& k);
  const entry* find(const neighbor_key& k) const;
  entry* slot_for_new(std::uint64_t now);
  void expire_pending(std::uint64_t now);
  void drop_pending(const neighbor_key& k);

  config cfg_;
  std::unique_ptr<entry[]> entries_;
  std::unique_ptr<pending_frame[]> pending_;
  std::size_t pending_count_ = 0;
  neighbor_counters counters_;
};

}  // namespace ztkit::netstack
