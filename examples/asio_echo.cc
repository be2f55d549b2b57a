// A TCP echo server driven by a standalone asio event loop (one thread, no blocking calls):
// ztkit sockets expose fd(), a descriptor that is readable while the socket has something to
// read (a connection, bytes, EOF); asio waits on a duplicate of it and the handlers call
// ztkit with a zero timeout.
//   asio_echo STATE_DIR NWID [PORT]
#include <unistd.h>

#include <asio.hpp>
#include <cstdlib>
#include <memory>

#include "common.h"
#include "ztkit/tcp.h"

namespace {

using namespace std::chrono_literals;

// asio owns the duplicate; the ztkit socket keeps its own descriptor.
asio::posix::stream_descriptor watch(asio::io_context& io, int fd) {
  return asio::posix::stream_descriptor(io, ::dup(fd));
}

struct connection : std::enable_shared_from_this<connection> {
  connection(asio::io_context& io, ztkit::TcpStream s) : stream(std::move(s)), fd(watch(io, stream.fd())) {}
  ztkit::TcpStream stream;
  asio::posix::stream_descriptor fd;
  std::array<std::byte, 16384> buf;

  void wait() {
    fd.async_wait(asio::posix::stream_descriptor::wait_read,
                  [self = shared_from_this()](const asio::error_code& ec) {
                    if (!ec) self->on_readable();
                  });
  }
  void on_readable() {
    for (;;) {
      auto n = stream.read(buf, 0ms);
      if (!n) {
        if (n.error().is(ztkit::Errc::would_block)) return wait();
        return;  // reset or closed: drop the connection
      }
      if (*n == 0) return;  // EOF
      if (!stream.write_all(std::span(buf.data(), *n), 5s)) return;
    }
  }
};

}  // namespace

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
  asio::io_context io;
  auto lfd = watch(io, listener->fd());
  std::function<void()> accept_loop = [&] {
    lfd.async_wait(asio::posix::stream_descriptor::wait_read, [&](const asio::error_code& ec) {
      if (ec) return;
      while (auto s = listener->accept(0ms)) std::make_shared<connection>(io, std::move(*s))->wait();
      accept_loop();
    });
  };
  accept_loop();
  std::printf("echoing on port %u (asio)\n", port);
  std::fflush(stdout);
  io.run();
}
