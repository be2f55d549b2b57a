#include "ctrl/state/state_dir.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string_view>

#include "ctrl/state/atomic_file.h"

namespace ztkit::ctrl {
namespace {

namespace fs = std::filesystem;

// Read limits: well above anything valid, low enough that a runaway file is not slurped.
constexpr std::size_t max_identity_bytes = 4096;
constexpr std::size_t max_world_bytes = 128 * 1024;  // 4 roots x 32 endpoints + moon extension
constexpr std::size_t max_network_config_bytes = 1024 * 1024;

constexpr const char* moons_dir = "moons.d";
constexpr const char* peers_dir = "peers.d";
constexpr const char* networks_dir = "networks.d";

std::string_view as_text(std::span<const std::uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::string_view strip(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

error corrupt(const fs::path& path, std::string_view why) {
  return error{errc::data_loss, fmt::format("{}: {}", path.string(), why)};
}

// "<exactly `digits` lower-case hex><suffix>" -> the number; 1.14 writes names with %.10llx
// and %.16llx, so nothing else is one of ours.
std::optional<std::uint64_t> hex_name(std::string_view name, std::size_t digits,
                                      std::string_view suffix) {
  if (name.size() != digits + suffix.size() || name.substr(digits) != suffix) return std::nullopt;
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    const char c = name[i];
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else return std::nullopt;
    v = (v << 4) | static_cast<std::uint64_t>(d);
  }
  return v;
}

status remove_if_present(const fs::path& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return error{errc::io_error, fmt::format("{}: cannot remove: {}", path.string(),
                                             std::strerror(errno))};
  }
  return {};
}

std::int64_t mtime_ms(const struct stat& st) {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
}

}  // namespace

// --- folder -------------------------------------------------------------------------------

result<state_dir> state_dir::open(const fs::path& path) {
  if (path.empty()) return error{errc::invalid_argument, "state directory path is empty"};
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) {
      return error{errc::io_error, fmt::format("{}: {}", path.string(), std::strerror(errno))};
    }
    std::error_code ec;
    if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
    if (::mkdir(path.c_str(), dir_mode) != 0 && errno != EEXIST) {
      return error{errc::io_error, fmt::format("{}: cannot create the state directory: {}",
                                               path.string(), std::strerror(errno))};
    }
    ::chmod(path.c_str(), dir_mode);  // mkdir's mode is filtered by the umask
    if (::stat(path.c_str(), &st) != 0) {
      return error{errc::io_error, fmt::format("{}: {}", path.string(), std::strerror(errno))};
    }
  }
  if (!S_ISDIR(st.st_mode)) {
    return error{errc::invalid_argument,
                 fmt::format("{}: the state directory is not a folder", path.string())};
  }
  if (::access(path.c_str(), W_OK | X_OK) != 0) {
    return error{errc::io_error, fmt::format("{}: the state directory is not writable: {}",
                                             path.string(), std::strerror(errno))};
  }
  state_dir dir(path);
  remove_stale_temp_files(path);
  for (const char* sub : {moons_dir, peers_dir, networks_dir}) remove_stale_temp_files(path / sub);
  return dir;
}

fs::path state_dir::moon_path(std::uint64_t world_id) const {
  return dir_ / moons_dir / fmt::format("{:016x}.moon", world_id);
}
fs::path state_dir::peer_path(zt_address address) const {
  return dir_ / peers_dir / (address.to_string() + ".peer");
}
fs::path state_dir::network_path(std::uint64_t nwid) const {
  return dir_ / networks_dir / fmt::format("{:016x}.conf", nwid);
}

error state_dir::report(error e) {
  std::lock_guard lock(*mu_);
  ++corrupt_files_;
  recent_problems_.push_back(e);
  if (recent_problems_.size() > max_recent_problems) recent_problems_.pop_front();
  return e;
}

status state_dir::ensure_subdir(const char* name) {
  const fs::path p = dir_ / name;
  if (::mkdir(p.c_str(), dir_mode) != 0 && errno != EEXIST) {
    return error{errc::io_error,
                 fmt::format("{}: cannot create folder: {}", p.string(), std::strerror(errno))};
  }
  return {};
}

std::vector<std::string> state_dir::names_in(const char* subdir) const {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir_ / subdir, ec), end; !ec && it != end; it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// --- identity -----------------------------------------------------------------------------

result<crypto::identity> state_dir::load_or_create_identity() {
  const fs::path secret_path = identity_secret_path();
  const fs::path public_path = identity_public_path();

  auto secret_bytes = read_file(secret_path, max_identity_bytes);
  if (!secret_bytes.ok() && secret_bytes.code() == errc::not_found) {
    struct stat st {};
    if (::stat(public_path.c_str(), &st) == 0) {
      return report(corrupt(secret_path,
                            fmt::format("missing while {} exists: refusing to make a new identity "
                                        "(restore identity.secret, or remove identity.public to "
                                        "start over with a new address)",
                                        public_path.string())));
    }
    crypto::identity id = crypto::identity::generate();
    // 1.14 writes both files without a trailing newline.
    if (status s = atomic_write(secret_path, id.to_string(true), secret_mode); !s.ok()) {
      return error{s.code(), s.message()};
    }
    if (status s = atomic_write(public_path, id.to_string(false), public_mode); !s.ok()) {
      return error{s.code(), s.message()};
    }
    return id;
  }
  if (!secret_bytes.ok()) return report({secret_bytes.code(), secret_bytes.message()});

  auto parsed = crypto::identity::from_string(as_text(*secret_bytes));
  if (!parsed.ok()) {
    return report(corrupt(secret_path, "not a valid identity (" + parsed.message() +
                                           "); refusing to start with it"));
  }
  crypto::identity id = std::move(parsed).value();
  if (!id.has_private()) {
    return report(corrupt(secret_path, "holds no private key (is it a copy of identity.public?); "
                                       "refusing to start with it"));
  }
  if (status v = id.validate(); !v.ok()) {
    return report(corrupt(secret_path, "identity does not validate (" + v.message() +
                                           "); refusing to start with it"));
  }

  struct stat st {};
  if (::stat(secret_path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    ::chmod(secret_path.c_str(), secret_mode);  // OSUtils::lockDownFile
  }

  const std::string expected_public = id.to_string(false);
  auto public_bytes = read_file(public_path, max_identity_bytes);
  if (!public_bytes.ok() || strip(as_text(*public_bytes)) != expected_public) {
    if (public_bytes.ok() || public_bytes.code() != errc::not_found) {
      report(corrupt(public_path, public_bytes.ok()
                                      ? "does not match identity.secret; rewritten"
                                      : public_bytes.message() + "; rewritten"));
    }
    if (status s = atomic_write(public_path, expected_public, public_mode); !s.ok()) {
      return error{s.code(), s.message()};
    }
  }
  return id;
}

// --- planet and worlds ----------------------------------------------------------------------

planet_choice state_dir::load_planet(const wire::world& builtin) {
  planet_choice choice;
  choice.planet = builtin;
  const fs::path path = planet_path();

  auto bytes = read_file(path, max_world_bytes);
  if (!bytes.ok()) {
    if (bytes.code() != errc::not_found) {
      choice.file_problem = report({bytes.code(), bytes.message() + "; using the built-in planet"})
                                .message;
    }
    return choice;
  }
  auto fail = [&](std::string why) {
    choice.file_problem = report(corrupt(path, why + "; using the built-in planet")).message;
    return choice;
  };
  auto parsed = wire::world::parse(*bytes);
  if (!parsed.ok()) return fail("not a valid world (" + parsed.message() + ")");
  wire::world file = std::move(parsed).value();
  if (file.kind != wire::world::type::planet) {
    return fail(fmt::format("world of type {}, not a planet", static_cast<int>(file.kind)));
  }
  const bool trusted = file == builtin || file.signed_by(file.update_key) ||
                       (file.id == builtin.id && file.signed_by(builtin.update_key));
  if (!trusted) {
    return fail(fmt::format("the signature of planet {:#x} verifies neither by its own update "
                            "key nor by the built-in planet's",
                            file.id));
  }

  choice.planet = std::move(file);
  choice.from = planet_choice::source::file;
  if (choice.planet.should_be_replaced_by(builtin)) {  // a newer signed built-in, same ID
    choice.planet = builtin;
    choice.from = planet_choice::source::builtin;
  }
  return choice;
}

status state_dir::save_planet(const wire::world& planet) {
  if (planet.kind != wire::world::type::planet) {
    return error{errc::invalid_argument, "save_planet: the world is not a planet"};
  }
  return atomic_write(planet_path(), planet.serialize(), public_mode);
}

result<bool> state_dir::accept_world_update(wire::world& current, const wire::world& update) {
  if (update.kind != wire::world::type::planet && update.kind != wire::world::type::moon) {
    return false;
  }
  if (!current.should_be_replaced_by(update)) return false;
  current = update;
  status s = current.kind == wire::world::type::planet ? save_planet(current) : save_moon(current);
  if (!s.ok()) return error{s.code(), s.message()};
  return true;
}

// --- moons.d ----------------------------------------------------------------------------------

std::vector<std::uint64_t> state_dir::list_moons() {
  std::vector<std::uint64_t> ids;
  for (const std::string& name : names_in(moons_dir)) {
    if (auto id = hex_name(name, 16, ".moon")) ids.push_back(*id);
  }
  return ids;
}

result<wire::world> state_dir::load_moon(std::uint64_t world_id) {
  const fs::path path = moon_path(world_id);
  auto bytes = read_file(path, max_world_bytes);
  if (!bytes.ok()) {
    if (bytes.code() == errc::not_found) return error{bytes.code(), bytes.message()};
    return report({bytes.code(), bytes.message()});
  }
  auto parsed = wire::world::parse(*bytes);
  if (!parsed.ok()) return report(corrupt(path, "not a valid world (" + parsed.message() + ")"));
  wire::world moon = std::move(parsed).value();
  if (moon.kind != wire::world::type::moon) {
    return report(
        corrupt(path, fmt::format("world of type {}, not a moon", static_cast<int>(moon.kind))));
  }
  if (moon.id != world_id) {
    return report(corrupt(path, fmt::format("holds moon {:016x}", moon.id)));
  }
  if (!moon.signed_by(moon.update_key)) {
    return report(corrupt(path, "the moon's signature does not verify by its update key"));
  }
  return moon;
}

std::vector<wire::world> state_dir::load_moons() {
  std::vector<wire::world> moons;
  for (std::uint64_t id : list_moons()) {
    auto m = load_moon(id);
    if (m.ok()) moons.push_back(std::move(m).value());
  }
  return moons;
}

status state_dir::save_moon(const wire::world& moon) {
  if (moon.kind != wire::world::type::moon) {
    return error{errc::invalid_argument, "save_moon: the world is not a moon"};
  }
  if (status s = ensure_subdir(moons_dir); !s.ok()) return s;
  return atomic_write(moon_path(moon.id), moon.serialize(), public_mode);
}

status state_dir::remove_moon(std::uint64_t world_id) {
  return remove_if_present(moon_path(world_id));
}

// --- peers.d ----------------------------------------------------------------------------------

std::vector<zt_address> state_dir::list_peers() {
  std::vector<zt_address> out;
  for (const std::string& name : names_in(peers_dir)) {
    if (auto a = hex_name(name, 10, ".peer")) out.emplace_back(*a);
  }
  return out;
}

result<peer_cache_entry> state_dir::load_peer(zt_address address) {
  const fs::path path = peer_path(address);
  auto bytes = read_file(path, peer_cache_entry::max_bytes);
  if (!bytes.ok()) {
    if (bytes.code() == errc::not_found) return error{bytes.code(), bytes.message()};
    return report({bytes.code(), bytes.message()});
  }
  auto entry = peer_cache_entry::parse(*bytes);
  if (!entry.ok()) return report(corrupt(path, entry.message()));
  if (entry->identity.address() != address) {
    return report(corrupt(path, "holds the identity of " + entry->identity.address().to_string()));
  }
  if (status v = entry->identity.validate(); !v.ok()) {
    return report(corrupt(path, "identity does not validate (" + v.message() + ")"));
  }
  return entry;
}

status state_dir::save_peer(const peer_cache_entry& entry) {
  if (entry.identity.address().reserved()) {
    return error{errc::invalid_argument, "save_peer: the entry has no valid address"};
  }
  if (status s = ensure_subdir(peers_dir); !s.ok()) return s;
  return atomic_write(peer_path(entry.identity.address()), entry.serialize(), public_mode);
}

status state_dir::remove_peer(zt_address address) { return remove_if_present(peer_path(address)); }

std::size_t state_dir::expire_peers(std::int64_t now_ms) {
  // OSUtils::cleanDirectory: every file, not only *.peer (the folder is ours).
  const std::int64_t cutoff = now_ms - peer_cache_max_age_ms;
  std::size_t removed = 0;
  for (const std::string& name : names_in(peers_dir)) {
    const fs::path p = dir_ / peers_dir / name;
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (mtime_ms(st) < cutoff && ::unlink(p.c_str()) == 0) ++removed;
  }
  return removed;
}

// --- networks.d -------------------------------------------------------------------------------

std::vector<std::uint64_t> state_dir::list_networks() {
  std::vector<std::uint64_t> out;
  for (const std::string& name : names_in(networks_dir)) {
    if (auto id = hex_name(name, 16, ".conf")) out.push_back(*id);  // not <nwid>.local.conf
  }
  return out;
}

result<std::vector<std::uint8_t>> state_dir::load_network_config(std::uint64_t nwid) {
  auto bytes = read_file(network_path(nwid), max_network_config_bytes);
  if (!bytes.ok() && bytes.code() != errc::not_found) {
    return report({bytes.code(), bytes.message()});
  }
  return bytes;
}

status state_dir::save_network_config(std::uint64_t nwid,
                                      std::span<const std::uint8_t> dictionary) {
  if (dictionary.size() > max_network_config_bytes) {
    return error{errc::invalid_argument,
                 fmt::format("network {:016x}: config of {} bytes is larger than {}", nwid,
                             dictionary.size(), max_network_config_bytes)};
  }
  if (status s = ensure_subdir(networks_dir); !s.ok()) return s;
  return atomic_write(network_path(nwid), dictionary, public_mode);
}

status state_dir::add_network(std::uint64_t nwid) {
  struct stat st {};
  if (::stat(network_path(nwid).c_str(), &st) == 0) return {};
  if (status s = ensure_subdir(networks_dir); !s.ok()) return s;
  return atomic_write(network_path(nwid), std::string_view("\n"), public_mode);
}

status state_dir::remove_network(std::uint64_t nwid) {
  return remove_if_present(network_path(nwid));
}

}  // namespace ztkit::ctrl
