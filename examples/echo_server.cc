// A TCP echo server on a ZeroTier network: one thread per connection, blocking calls.
//   echo_server STATE_DIR NWID [PORT]
#include <cstdlib>
#include <thread>

#include "common.h"
#include "ztkit/tcp.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s STATE_DIR NWID [PORT]\n", argv[0]);
    return 2;
  }
  const auto port = static_cast<std::uint16_t>(argc > 3 ? std::atoi(argv[3]) : 7);
  auto j = example::join_or_exit(argv[1], argv[2]);
  auto listener = ztkit::TcpListener::listen(*j.node, j.nwid, {{}, port});
  if (!listener) {
    std::fprintf(stderr, "listen: %s\n", listener.error().message.c_str());
    return 1;
  }
  std::printf("echoing on port %u\n", port);
  std::fflush(stdout);
  for (;;) {
    auto stream = listener->accept();
    if (!stream) {
      std::fprintf(stderr, "accept: %s\n", stream.error().message.c_str());
      return 1;
    }
    std::thread([s = std::move(*stream)]() mutable {
      std::array<std::byte, 16384> buf;
      for (;;) {
        auto n = s.read(buf);
        if (!n || *n == 0) return;  // error or EOF: close
        if (!s.write_all(std::span(buf.data(), *n))) return;
      }
    }).detach();
  }
}
