// ztdump: decodes the ZeroTier traffic in a pcap file with the identities that can agree its
// keys. One line per ZeroTier packet, or with --summary one line per verb ("VERB COUNT", OK and
// ERROR named by their in-re verb). A packet that does not decode is listed with the reason and
// makes the exit status 1.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "tools/ztdump/decoder.h"

int main(int argc, char** argv) {
  CLI::App app{"ztdump: decode ZeroTier 1.14 traffic in a pcap file"};
  std::string file, identities;
  bool summary = false;
  app.add_option("file", file, "Capture file (pcap)")->required()->check(CLI::ExistingFile);
  app.add_option("--identities", identities,
                 "Folder of *.identity.secret (and *.identity.public) files")
      ->required()
      ->check(CLI::ExistingDirectory);
  app.add_flag("--summary", summary, "Print only the count of each verb");
  CLI11_PARSE(app, argc, argv);

  using namespace ztkit::capture;
  auto dec = decoder::from_directory(identities);
  if (!dec.ok()) {
    fmt::print(stderr, "ztdump: {}\n", dec.message());
    return 2;
  }
  auto capture = read_udp_capture(file);
  if (!capture.ok()) {
    fmt::print(stderr, "ztdump: {}\n", capture.message());
    return 2;
  }
  const decode_report report = (*dec)->decode(*capture);

  if (summary) {
    for (const auto& [kind, count] : report.kinds) fmt::print("{} {}\n", kind, count);
  } else {
    for (const auto& p : report.packets) {
      const std::string route = fmt::format("{} > {}", p.underlay_src.to_string(),
                                            p.underlay_dst.to_string());
      if (!p.ok()) {
        fmt::print("{:4} {:8.3f} {:45} UNDECODED {} -> {}: {}\n", p.frame, p.seconds, route,
                   p.source.to_string(), p.destination.to_string(), p.failure);
        continue;
      }
      fmt::print("{:4} {:8.3f} {:45} {} -> {} c{} h{} {}{}{} {}{}\n", p.frame, p.seconds, route,
                 p.source.to_string(), p.destination.to_string(), p.cipher, p.hops, p.kind,
                 p.compressed ? " (lz4)" : "", p.pieces > 1 ? fmt::format(" [{} pieces]", p.pieces) : "",
                 p.summary, p.relayed ? " [relayed]" : "");
    }
  }
  fmt::print(stderr, "ztdump: {} datagrams, {} packets, {} not ZeroTier, {} undecoded, {} "
                     "fragments of incomplete packets\n",
             report.datagrams, report.packets.size(), report.non_zerotier, report.failures(),
             report.pending_fragments);
  return report.failures() == 0 && report.pending_fragments == 0 ? 0 : 1;
}
