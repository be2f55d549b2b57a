// A UDP responder: answers every datagram with the same bytes upper-cased.
//   udp_responder STATE_DIR NWID [PORT]
#include <cctype>
#include <cstdlib>

#include "common.h"
#include "ztkit/udp.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s STATE_DIR NWID [PORT]\n", argv[0]);
    return 2;
  }
  const auto port = static_cast<std::uint16_t>(argc > 3 ? std::atoi(argv[3]) : 9000);
  auto j = example::join_or_exit(argv[1], argv[2]);
  auto sock = ztkit::UdpSocket::bind(*j.node, j.nwid, {{}, port});
  if (!sock) {
    std::fprintf(stderr, "bind: %s\n", sock.error().message.c_str());
    return 1;
  }
  std::printf("answering on port %u/udp\n", port);
  std::fflush(stdout);
  std::array<std::byte, 65536> buf;
  for (;;) {
    ztkit::SocketAddress from;
    auto n = sock->recv_from(buf, &from);
    if (!n) {
      std::fprintf(stderr, "recv: %s\n", n.error().message.c_str());
      return 1;
    }
    const std::size_t len = std::min(*n, buf.size());
    for (std::size_t i = 0; i < len; ++i)
      buf[i] = static_cast<std::byte>(std::toupper(static_cast<unsigned char>(buf[i])));
    (void)sock->send_to(std::span(buf.data(), len), from);
  }
}
