// Netconf costs on the vector configs (netconf.json): dictionary parse, full network_config
// parse (dictionary + credentials + rules), and encode. The small config is what a typical
// controller sends (1.7 KB); the large one carries 1004 rules (20 KB, 3 chunks).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/base/hex.h"
#include "engine/wire/dictionary.h"
#include "engine/wire/network_config.h"

namespace {

using ztkit::wire::dictionary;
using ztkit::wire::network_config;

// Finds ../shared/vectors from this source file (or $ZTKIT_VECTORS_DIR).
const nlohmann::json& netconf_vectors() {
  static const nlohmann::json j = [] {
    std::filesystem::path dir = std::filesystem::path(__FILE__).parent_path() / ".." / ".." /
                                "shared" / "vectors";
    if (const char* env = std::getenv("ZTKIT_VECTORS_DIR")) dir = env;
    std::ifstream in(dir / "netconf.json");
    return in ? nlohmann::json::parse(in) : nlohmann::json();
  }();
  return j;
}

std::vector<std::uint8_t> dict_bytes(bool large) {
  const auto& v = netconf_vectors();
  if (v.is_null()) return {};
  const std::string hex = large ? v["large_config"]["dictionary_hex"] : v["dictionary_hex"];
  return ztkit::from_hex(hex).value_or(std::vector<std::uint8_t>{});
}

void BM_dictionary_parse(benchmark::State& state) {
  const auto bytes = dict_bytes(state.range(0) != 0);
  if (bytes.empty()) { state.SkipWithError("netconf.json not found"); return; }
  for (auto _ : state) benchmark::DoNotOptimize(dictionary::parse(bytes));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK(BM_dictionary_parse)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

void BM_netconf_parse(benchmark::State& state) {
  const auto bytes = dict_bytes(state.range(0) != 0);
  if (bytes.empty()) { state.SkipWithError("netconf.json not found"); return; }
  for (auto _ : state) benchmark::DoNotOptimize(network_config::parse(bytes));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK(BM_netconf_parse)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

void BM_netconf_encode(benchmark::State& state) {
  const auto bytes = dict_bytes(state.range(0) != 0);
  if (bytes.empty()) { state.SkipWithError("netconf.json not found"); return; }
  const auto c = network_config::parse(bytes);
  for (auto _ : state) benchmark::DoNotOptimize(c->to_bytes());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK(BM_netconf_encode)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

}  // namespace
