// ZeroTier's Dictionary: the key=value text that carries network configs and the metadata of
// NETWORK_CONFIG_REQUEST (ZeroTierOne 1.14 node/Dictionary.hpp; zerotier-protocol.md §5.1, §5.4;
// vectors: dictionary.json, netconf.json).
//
// Text form: entries `key=value` separated by LF; the transmitted text has no trailing LF and
// no NUL (in memory 1.14 NUL-terminates it, so parsing stops at the first NUL byte). Values
// escape NUL, CR, LF, '\' and '=' as \0 \r \n \\ \e; keys are never escaped. On reading, CR and
// LF both end a line, an unknown escape \x yields x, and a '\' at the end of a line is dropped.
// Duplicate keys are kept in order; lookups return the first (as 1.14's get()).
//
// Capacities are 1.14's (Dictionary<C> holds C-1 text bytes plus the NUL): a netconf holds at
// most netconf_capacity-1 bytes, a request's metadata metadata_capacity-1.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.h"
#include "engine/base/zt_address.h"
#include "engine/wire/bytes.h"

namespace ztkit::wire {

class dictionary {
 public:
  // ZT_NETWORKCONFIG_DICT_CAPACITY as 1.14.1 computes it on x86_64 Linux (a sum of sizeofs:
  // 4096 + ZT_VirtualNetworkConfig + 1024 rules + 128 capabilities + 128 tags + 4 COOs).
  static constexpr std::size_t netconf_capacity = 484520;
  // ZT_NETWORKCONFIG_METADATA_DICT_CAPACITY.
  static constexpr std::size_t metadata_capacity = 1024;

  struct entry {
    std::string key;
    std::vector<std::uint8_t> value;  // decoded (unescaped) bytes
    bool operator==(const entry&) const = default;
  };

  // Parses text (up to its first NUL byte). Text longer than capacity-1 bytes is rejected
  // (1.14 would silently truncate it). Lines without '=' can never be looked up and are dropped.
  static result<dictionary> parse(std::span<const std::uint8_t> text,
                                  std::size_t capacity = netconf_capacity);

  // Encoded size (no trailing NUL), and the encoding itself.
  std::size_t buffer_len() const;
  void emit(writer& w) const;
  // The encoding, or an error if it does not fit `capacity` as 1.14's add() would refuse.
  result<std::vector<std::uint8_t>> to_bytes(std::size_t capacity = netconf_capacity) const;

  // Appends an entry (like 1.14 add(): an existing key is not replaced). Keys must be
  // non-empty and must not contain NUL, CR, LF or '='.
  status add(std::string_view key, std::span<const std::uint8_t> value);
  status add(std::string_view key, std::string_view value);
  status add_u64(std::string_view key, std::uint64_t v);   // 16 lower-case hex digits
  status add_i64(std::string_view key, std::int64_t v);    // negative: '-' + 16 hex digits
  status add_bool(std::string_view key, bool v);           // "1" / "0"
  status add_address(std::string_view key, zt_address a);  // 16 hex digits (Address overload)

  // First value stored under `key`, or nullopt.
  std::optional<std::span<const std::uint8_t>> get(std::string_view key) const;
  bool contains(std::string_view key) const { return get(key).has_value(); }
  // 1.14 getUI/getI: strtoull/strtoll base 16 of the first 127 value bytes; `dfl` if the key is
  // missing or its value is empty.
  std::uint64_t get_u64(std::string_view key, std::uint64_t dfl = 0) const;
  std::int64_t get_i64(std::string_view key, std::int64_t dfl = 0) const;
  // 1.14 getB: true iff the value starts with '1', 't' or 'T'; `dfl` only if missing.
  bool get_bool(std::string_view key, bool dfl = false) const;
  // 1.14 get(key, char[max_len]): at most max_len-1 bytes, cut at the first NUL (a C string).
  std::optional<std::string> get_string(std::string_view key, std::size_t max_len) const;

  const std::vector<entry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }
  bool operator==(const dictionary&) const = default;

 private:
  std::vector<entry> entries_;
};

}  // namespace ztkit::wire
