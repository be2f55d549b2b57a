#include "tests/support/vectors.h"

#include <fstream>

#include <gtest/gtest.h>

#include "engine/base/hex.h"

namespace ztkit::test {

nlohmann::json load_vectors(std::string_view name) {
  const std::string path = std::string(ZTKIT_VECTORS_DIR) + "/" + std::string(name);
  std::ifstream in(path);
  if (!in) {
    ADD_FAILURE() << "missing vector file: " << path
                  << " (the tests expect ../shared/vectors beside the checkout; "
                     "set -DZTKIT_SHARED_DIR=... to point elsewhere)";
    return nullptr;
  }
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    ADD_FAILURE() << "vector file is not valid JSON: " << path;
    return nullptr;
  }
  return j;
}

std::vector<std::uint8_t> hex_bytes(const nlohmann::json& field) {
  if (!field.is_string()) {
    ADD_FAILURE() << "vector field is not a hex string: " << field.dump();
    return {};
  }
  auto bytes = from_hex(field.get<std::string>());
  if (!bytes) {
    ADD_FAILURE() << "vector field is not valid hex: " << field.get<std::string>();
    return {};
  }
  return *bytes;
}

}  // namespace ztkit::test
