// An HTTP/1.0 GET over a ZeroTier network, printing the response like curl -i.
//   http_get STATE_DIR NWID HOST:PORT [PATH]
#include <string>

#include "common.h"
#include "ztkit/tcp.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s STATE_DIR NWID HOST:PORT [PATH]\n", argv[0]);
    return 2;
  }
  auto to = ztkit::SocketAddress::parse(argv[3]);
  if (!to || to->ip.is_any()) {
    std::fprintf(stderr, "not HOST:PORT: %s\n", argv[3]);
    return 2;
  }
  const std::string path = argc > 4 ? argv[4] : "/";
  auto j = example::join_or_exit(argv[1], argv[2]);
  auto s = ztkit::TcpStream::connect(*j.node, j.nwid, *to, std::chrono::seconds(10));
  if (!s) {
    std::fprintf(stderr, "connect: %s\n", s.error().message.c_str());
    return 1;
  }
  const std::string req = "GET " + path + " HTTP/1.0\r\nHost: " + to->ip.to_string() +
                          "\r\nUser-Agent: ztkit-example\r\nConnection: close\r\n\r\n";
  if (auto w = s->write_all(std::as_bytes(std::span(req.data(), req.size()))); !w) {
    std::fprintf(stderr, "send: %s\n", w.error().message.c_str());
    return 1;
  }
  std::array<std::byte, 16384> buf;
  for (;;) {
    auto n = s->read(buf, std::chrono::seconds(30));
    if (!n) {
      std::fprintf(stderr, "read: %s\n", n.error().message.c_str());
      return 1;
    }
    if (*n == 0) return 0;  // the server closed: the whole response is printed
    std::fwrite(buf.data(), 1, *n, stdout);
  }
}
