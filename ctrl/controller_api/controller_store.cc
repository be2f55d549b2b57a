// The controller's JSON store: see controller_store.h.
#include "ctrl/controller_api/controller_store.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "ctrl/controller_api/json_codec.h"
#include "ctrl/state/atomic_file.h"

namespace ztkit::ctrl::api {

namespace fs = std::filesystem;

namespace {

constexpr mode_t dir_mode = 0700;
constexpr mode_t file_mode = 0600;  // member identities and network layout: keep them private
// 1.14 caps JSON arrays at 16384 entries; a network object with 1024 rules stays well below.
constexpr std::size_t max_record_bytes = 4 << 20;

status make_dir(const fs::path& p) {
  if (::mkdir(p.c_str(), dir_mode) != 0 && errno != EEXIST)
    return error{errc::io_error, p.string() + ": cannot create the folder: " + std::strerror(errno)};
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return error{errc::io_error, p.string() + ": not a folder"};
  return {};
}

result<json> read_json(const fs::path& p) {
  auto bytes = read_file(p, max_record_bytes);
  if (!bytes.ok()) return error{bytes.code(), bytes.message()};
  json j = json::parse(bytes->begin(), bytes->end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return error{errc::data_loss, p.string() + ": not valid JSON"};
  return j;
}

std::vector<fs::path> list_files(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) out.push_back(it->path());
  std::sort(out.begin(), out.end());
  return out;
}

status write_json(const fs::path& p, const json& j) {
  // 1.14 writes its records with jsonDump(record, -1) (compact); indent for people reading.
  return atomic_write(p, j.dump(2) + "\n", file_mode);
}

}  // namespace

result<controller_store> controller_store::open(const fs::path& state_dir) {
  controller_store s(state_dir / "controller.d");
  if (status st = make_dir(s.root_); !st.ok()) return error{st.code(), st.message()};
  if (status st = make_dir(s.networks_dir()); !st.ok()) return error{st.code(), st.message()};
  remove_stale_temp_files(s.networks_dir());
  return s;
}

fs::path controller_store::network_path(std::uint64_t nwid) const {
  return networks_dir() / (nwid_string(nwid) + ".json");
}

fs::path controller_store::member_path(std::uint64_t nwid, zt_address member) const {
  return networks_dir() / nwid_string(nwid) / "member" / (member.to_string() + ".json");
}

loaded_networks controller_store::load() const {
  loaded_networks out;
  for (const fs::path& p : list_files(networks_dir())) {
    const std::string name = p.filename().string();
    // FileDB: "<16 hex>.json" files; the folders beside them hold the members.
    if (name.size() != 21 || name.substr(16) != ".json" || is_temp_file_name(name)) continue;
    if (!parse_nwid(name.substr(0, 16))) continue;
    auto j = read_json(p);
    if (!j.ok()) {
      out.problems.push_back(j.message());
      continue;
    }
    auto n = network_from_stored_json(*j);
    if (!n.ok()) {
      out.problems.push_back(p.string() + ": " + n.message());
      continue;
    }
    if (nwid_string(n->id) != name.substr(0, 16)) {
      out.problems.push_back(p.string() + ": its id " + nwid_string(n->id) + " is not its file name");
      continue;
    }
    const fs::path members = networks_dir() / nwid_string(n->id) / "member";
    remove_stale_temp_files(members);
    for (const fs::path& mp : list_files(members)) {
      const std::string mname = mp.filename().string();
      if (mname.size() != 15 || mname.substr(10) != ".json") continue;
      if (!zt_address::parse(mname.substr(0, 10))) continue;
      auto mj = read_json(mp);
      if (!mj.ok()) {
        out.problems.push_back(mj.message());
        continue;
      }
      auto m = member_from_stored_json(n->id, *mj);
      if (!m.ok()) {
        out.problems.push_back(mp.string() + ": " + m.message());
        continue;
      }
      if (m->address.to_string() != mname.substr(0, 10)) {
        out.problems.push_back(mp.string() + ": its id " + m->address.to_string() + " is not its file name");
        continue;
      }
      const zt_address a = m->address;
      n->members.emplace(a, std::move(*m));
    }
    out.networks.push_back(std::move(*n));
  }
  return out;
}

std::vector<std::string> controller_store::load_into(controller& c) const {
  auto loaded = load();
  for (auto& n : loaded.networks) {
    const std::uint64_t nwid = n.id;
    if (status st = c.restore_network(std::move(n)); !st.ok())
      loaded.problems.push_back(network_path(nwid).string() + ": " + st.message());
  }
  return std::move(loaded.problems);
}

status controller_store::save_network(const controller_network& n) {
  return write_json(network_path(n.id), network_to_json(n));
}

status controller_store::save_member(std::uint64_t nwid, const controller_member& m) {
  const fs::path net = networks_dir() / nwid_string(nwid);
  if (status st = make_dir(net); !st.ok()) return st;
  if (status st = make_dir(net / "member"); !st.ok()) return st;
  return write_json(member_path(nwid, m.address), member_to_json(nwid, m));
}

status controller_store::erase_network(std::uint64_t nwid) {
  std::error_code ec;
  // The network file first: without it, a leftover member folder is never loaded.
  fs::remove(network_path(nwid), ec);
  if (ec) return error{errc::io_error, network_path(nwid).string() + ": " + ec.message()};
  fs::remove_all(networks_dir() / nwid_string(nwid), ec);
  if (ec) return error{errc::io_error, (networks_dir() / nwid_string(nwid)).string() + ": " + ec.message()};
  return {};
}

status controller_store::erase_member(std::uint64_t nwid, zt_address member) {
  std::error_code ec;
  fs::remove(member_path(nwid, member), ec);
  if (ec) return error{errc::io_error, member_path(nwid, member).string() + ": " + ec.message()};
  return {};
}

status controller_store::sync(const controller& c, const controller_change& change) {
  const auto& nets = c.networks();
  const auto it = nets.find(change.nwid);
  if (it == nets.end()) return erase_network(change.nwid);
  if (!change.member) return save_network(it->second);
  // A member change also changes the network's revision.
  if (status st = save_network(it->second); !st.ok()) return st;
  const auto m = it->second.members.find(*change.member);
  if (m == it->second.members.end()) return erase_member(change.nwid, *change.member);
  return save_member(change.nwid, m->second);
}

void controller_store::attach(controller& c) {
  c.set_on_change([this, &c](const controller_change& change) {
    if (status st = sync(c, change); !st.ok()) write_errors_.push_back(st.message());
  });
}

std::vector<std::string> controller_store::take_write_errors() {
  std::vector<std::string> out;
  out.swap(write_errors_);
  return out;
}

}  // namespace ztkit::ctrl::api
