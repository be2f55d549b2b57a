// Hexadecimal text <-> bytes, strict: no whitespace, no 0x prefix, even length.
// Used by identity text forms, vectors in tests, and the CLI.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ztkit {

// Lower-case hex of `bytes`.
std::string to_hex(std::span<const std::uint8_t> bytes);

// Decodes exactly out.size() bytes from `text`; false unless text has exactly 2*out.size()
// hex digits (either case).
bool from_hex(std::string_view text, std::span<std::uint8_t> out);

// Decodes any even-length hex string; nullopt on odd length or a non-hex character.
std::optional<std::vector<std::uint8_t>> from_hex(std::string_view text);

}  // namespace ztkit
