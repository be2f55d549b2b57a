#include <chrono>

#include <fmt/format.h>

#include "tools/zt/commands.h"
#include "ztkit/selfcheck.h"

namespace ztkit::tools {

void add_selfcheck_command(CLI::App& app, int& exit_code) {
  struct options {
    std::size_t packet_bytes = 1400;
    int budget_ms = 1500;
    bool speed = true;
  };
  auto opts = std::make_shared<options>();
  CLI::App* cmd = app.add_subcommand(
      "selfcheck", "Check every crypto primitive against ZeroTier 1.14.1 known answers, on "
                   "every SIMD variant this CPU has, then summarise their speed");
  cmd->add_option("--bytes", opts->packet_bytes, "Packet size for the speed summary")
      ->check(CLI::Range(std::size_t{16}, std::size_t{10024}));
  cmd->add_option("--budget-ms", opts->budget_ms, "Time spent on the speed summary")
      ->check(CLI::Range(50, 60000));
  cmd->add_flag("!--no-speed", opts->speed, "Skip the speed summary");
  cmd->callback([opts, &exit_code] {
    const selfcheck_report report = run_crypto_selfcheck();
    fmt::print("ztkit crypto self-check (known answers from ZeroTierOne 1.14.1)\n");
    for (const auto& item : report.items) {
      fmt::print("  {:<28} {}{}\n", item.name, item.passed ? "ok" : "FAILED",
                 item.detail.empty() ? "" : ": " + item.detail);
    }
    fmt::print("data path uses: Salsa20/12 {}, Poly1305 {}, AES-GMAC-SIV {}\n",
               report.salsa_variant, report.poly1305_variant, report.aes_variant);
    if (!report.ok()) {
      fmt::print("self-check FAILED\n");
      exit_code = 1;
      return;
    }
    fmt::print("self-check passed ({} checks)\n", report.items.size());
    if (!opts->speed) return;
    fmt::print("\nspeed at {} bytes per packet (one core; baseline measured in the same run)\n",
               opts->packet_bytes);
    fmt::print("  {:<28} {:>9}   {:<40} {:>9}   {:>6}\n", "ztkit", "GB/s", "baseline", "GB/s",
               "ratio");
    for (const auto& s : measure_crypto_speed(opts->packet_bytes,
                                              std::chrono::milliseconds(opts->budget_ms))) {
      fmt::print("  {:<28} {:>9.2f}   {:<40} {:>9.2f}   {:>5.2f}x\n", s.name, s.gbytes_per_s,
                 s.baseline, s.baseline_gbytes_per_s, s.ratio());
    }
  });
}

}  // namespace ztkit::tools
