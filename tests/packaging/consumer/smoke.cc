// Built against an INSTALLED ztkit (find_package or pkg-config) by tests/packaging: starts a
// node as the single root of its own private world (on loopback: nothing leaves the machine),
// checks the identity it wrote through the public Identity API, and stops it.
//   ztkit_smoke STATE_DIR
#include <cstdio>
#include <fstream>
#include <iterator>
#include <span>
#include <string>

#include <ztkit/identity.h>
#include <ztkit/node.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s STATE_DIR\n", argv[0]);
    return 2;
  }
  ztkit::NodeOptions o;
  o.state_dir = argv[1];
  o.listen = "127.0.0.1:0";
  o.allow_loopback = true;
  o.rejoin = false;
  o.root_endpoint = ztkit::SocketAddress::parse("127.0.0.1:9");  // a private world, no Earth
  auto node = ztkit::Node::start(o);
  if (!node) {
    std::fprintf(stderr, "Node::start: %s\n", node.error().message.c_str());
    return 1;
  }
  const std::string address = (*node)->address();
  std::printf("node %s listening %s planet %s\n", address.c_str(),
              (*node)->local_endpoint().to_string().c_str(), (*node)->planet_file().c_str());

  std::ifstream f(std::string(argv[1]) + "/identity.secret");
  const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto id = ztkit::Identity::parse(text);
  if (!id) {
    std::fprintf(stderr, "identity.secret: %s\n", id.error().message.c_str());
    return 1;
  }
  if (auto v = id->validate(); !v || id->address() != address || !id->has_secret()) {
    std::fprintf(stderr, "identity.secret does not match the node %s\n", address.c_str());
    return 1;
  }
  const std::string msg = "ztkit packaging test";
  const auto bytes = std::as_bytes(std::span(msg.data(), msg.size()));
  auto sig = id->sign(bytes);
  if (!sig || !id->verify(bytes, *sig)) {
    std::fprintf(stderr, "sign/verify failed\n");
    return 1;
  }
  (*node)->stop();
  std::printf("ok\n");
  return 0;
}
