#include "ctrl/state/peer_cache.h"

#include <algorithm>
#include <string>

#include "engine/wire/bytes.h"
#include "engine/wire/world.h"

namespace ztkit::ctrl {
namespace {

error bad(std::string why) { return error{errc::data_loss, "peer cache entry: " + std::move(why)}; }

}  // namespace

result<peer_cache_entry> peer_cache_entry::parse(std::span<const std::uint8_t> bytes) {
  wire::reader r(bytes);
  const std::uint8_t version = r.u8();
  if (!r.ok()) return bad("empty");
  if (version != format) {
    return bad("unknown format " + std::to_string(version) + " (expected " +
               std::to_string(format) + ")");
  }
  peer_cache_entry e;
  auto id = wire::read_identity(r);
  if (!id.ok()) return bad("identity: " + id.message());
  e.identity = std::move(id).value();
  e.proto = r.be16();
  e.major = r.be16();
  e.minor = r.be16();
  e.revision = r.be16();
  const std::size_t n = r.be16();
  if (!r.ok()) return bad("truncated in the version fields or path count");
  if (n > max_paths) {
    return bad("claims " + std::to_string(n) + " paths, at most " + std::to_string(max_paths));
  }
  e.paths.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    e.paths.push_back(wire::inet_address::parse(r));
    if (!r.ok()) {
      return bad("path " + std::to_string(i) + " of " + std::to_string(n) +
                 " is truncated or of an unknown type");
    }
  }
  if (!r.at_end()) return bad(std::to_string(r.remaining()) + " trailing bytes");
  return e;
}

std::size_t peer_cache_entry::buffer_len() const {
  std::size_t len = 1 + crypto::identity::public_binary_bytes + 8 + 2;
  const std::size_t n = std::min(paths.size(), max_paths);
  for (std::size_t i = 0; i < n; ++i) len += paths[i].buffer_len();
  return len;
}

std::vector<std::uint8_t> peer_cache_entry::serialize() const {
  std::vector<std::uint8_t> out;
  out.reserve(buffer_len());
  out.push_back(format);
  identity.serialize(out, /*include_private=*/false);
  const std::size_t head = out.size();
  out.resize(buffer_len());
  wire::writer w(std::span<std::uint8_t>(out).subspan(head));
  w.be16(proto);
  w.be16(major);
  w.be16(minor);
  w.be16(revision);
  const std::size_t n = std::min(paths.size(), max_paths);
  w.be16(static_cast<std::uint16_t>(n));
  for (std::size_t i = 0; i < n; ++i) paths[i].emit(w);
  return out;
}

}  // namespace ztkit::ctrl
