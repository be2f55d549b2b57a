#include "ctrl/runtime/root_planet.h"

#include <string>
#include <string_view>

#include <fmt/format.h>

#include "ctrl/state/atomic_file.h"
#include "engine/base/hex.h"

namespace ztkit::ctrl {

std::filesystem::path root_world_secret_path(const state_dir& dir) {
  return dir.path() / "root.world.secret";
}

result<crypto::c25519_pair> load_or_create_world_key(const state_dir& dir) {
  const auto path = root_world_secret_path(dir);
  auto bytes = read_file(path, 4096);
  if (!bytes.ok()) {
    if (bytes.code() != errc::not_found) return error{bytes.code(), bytes.message()};
    crypto::c25519_pair pair = crypto::c25519_generate();
    std::string text = to_hex(pair.pub.bytes) + ":" + to_hex(pair.priv.bytes) + "\n";
    status s = atomic_write(path, text, state_dir::secret_mode);
    std::fill(text.begin(), text.end(), '\0');
    if (!s.ok()) return error{s.code(), s.message()};
    return pair;
  }
  std::string_view text(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.remove_suffix(1);
  const auto colon = text.find(':');
  crypto::c25519_pair pair;
  if (colon == std::string_view::npos || !from_hex(text.substr(0, colon), pair.pub.bytes) ||
      !from_hex(text.substr(colon + 1), pair.priv.bytes)) {
    return error{errc::data_loss,
                 fmt::format("{}: not \"<128 hex public>:<128 hex private>\"", path.string())};
  }
  if (!(crypto::c25519_public_from_private(pair.priv) == pair.pub))
    return error{errc::data_loss,
                 fmt::format("{}: the private key does not match the public key", path.string())};
  return pair;
}

result<wire::world> make_root_planet(state_dir& dir, const crypto::identity& self,
                                     std::vector<wire::inet_address> endpoints,
                                     std::uint64_t timestamp_ms) {
  if (endpoints.empty() || endpoints.size() > wire::world::max_endpoints_per_root)
    return error{errc::invalid_argument, "root planet: 1 to 32 stable endpoints needed"};
  auto key = load_or_create_world_key(dir);
  if (!key.ok()) return error{key.code(), key.message()};
  auto pub = crypto::identity::from_string(self.to_string(false));
  if (!pub.ok()) return error{pub.code(), pub.message()};
  std::vector<wire::world_root> roots;
  roots.push_back(wire::world_root{std::move(*pub), std::move(endpoints)});
  wire::world w = wire::world::make(wire::world::type::planet, ztkit_root_world_id, timestamp_ms,
                                    key->pub, std::move(roots), *key);
  if (status s = dir.save_planet(w); !s.ok()) return error{s.code(), s.message()};
  return w;
}

result<wire::world> read_planet_file(const std::filesystem::path& path) {
  auto bytes = read_file(path, 64 * 1024);
  if (!bytes.ok()) return error{bytes.code(), bytes.message()};
  auto w = wire::world::parse(*bytes);
  if (!w.ok())
    return error{errc::data_loss, fmt::format("{}: not a world: {}", path.string(), w.message())};
  if (w->kind != wire::world::type::planet)
    return error{errc::data_loss, fmt::format("{}: a world but not a planet", path.string())};
  if (!w->signed_by(w->update_key))
    return error{errc::data_loss,
                 fmt::format("{}: the signature does not verify by its update key", path.string())};
  if (w->roots.empty())
    return error{errc::data_loss, fmt::format("{}: the planet names no root", path.string())};
  return w;
}

}  // namespace ztkit::ctrl
