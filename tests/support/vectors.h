// Loading ../shared/vectors/*.json in tests. A missing or unreadable vector file is a test
// failure that names the path, never a silent skip.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace ztkit::test {

// Parses ZTKIT_VECTORS_DIR/<name>. On failure adds a fatal gtest failure and returns null;
// callers use ASSERT_FALSE(v.is_null()) or the ZTKIT_LOAD_VECTORS macro.
nlohmann::json load_vectors(std::string_view name);

// Hex string field -> bytes; a malformed field is a test failure (returns empty).
std::vector<std::uint8_t> hex_bytes(const nlohmann::json& field);

}  // namespace ztkit::test

// Declares `var` and returns from the (void) test body if the file is missing.
#define ZTKIT_LOAD_VECTORS(var, name)                 \
  const nlohmann::json var = ::ztkit::test::load_vectors(name); \
  ASSERT_FALSE(var.is_null()) << "vector file " << (name) << " could not be loaded"
