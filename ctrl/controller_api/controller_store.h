// The embedded controller's networks and members on disk, laid out as zerotier-one 1.14's
// FileDB (controller/FileDB.cpp) inside the state folder:
//
//   <state>/controller.d/network/<16 hex nwid>.json                        the network object
//   <state>/controller.d/network/<16 hex nwid>/member/<10 hex addr>.json   one per member
//
// in the JSON forms of json_codec.h. Every write is atomic (ctrl/state/atomic_file.h). load()
// reads everything back; a file that cannot be read, is not JSON, or does not decode (or sits
// under a name that does not match its ID) is reported with its path and the reason, and
// skipped. Networks whose ID is not the controller's (another identity's) are reported too.
//
// attach() hooks the store to a controller's change reports, so every change (API calls,
// identities learned from requests, addresses assigned) is written as it happens. Not
// thread-safe: use it on the thread that owns the controller (the node runner's).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "ctrl/network/controller.h"
#include "engine/base/result.h"

namespace ztkit::ctrl::api {

struct loaded_networks {
  std::vector<controller_network> networks;  // with their members
  std::vector<std::string> problems;         // "<path>: <reason>", one per skipped file
};

class controller_store {
 public:
  // Opens (creating, mode 0700) <state>/controller.d/network; sweeps leftover temporary files.
  static result<controller_store> open(const std::filesystem::path& state_dir);

  const std::filesystem::path& root() const { return root_; }  // <state>/controller.d
  std::filesystem::path network_path(std::uint64_t nwid) const;
  std::filesystem::path member_path(std::uint64_t nwid, zt_address member) const;

  loaded_networks load() const;
  // load() and restore_network() of each into `c`; the problems of both, as load() gives them.
  std::vector<std::string> load_into(controller& c) const;

  status save_network(const controller_network& n);
  status save_member(std::uint64_t nwid, const controller_member& m);
  status erase_network(std::uint64_t nwid);  // the network's file and its members' folder
  status erase_member(std::uint64_t nwid, zt_address member);

  // Writes what `c` reports as changed from now on. `c` must outlive the hook (or be detached
  // with c.set_on_change({})); the store must outlive `c`'s use of the hook.
  void attach(controller& c);
  // Writes `c`'s view of one change (what attach()'s hook does).
  status sync(const controller& c, const controller_change& change);

  // Write failures seen by the hook since the last call (cleared by the call).
  std::vector<std::string> take_write_errors();

 private:
  explicit controller_store(std::filesystem::path root) : root_(std::move(root)) {}
  std::filesystem::path networks_dir() const { return root_ / "network"; }

  std::filesystem::path root_;
  std::vector<std::string> write_errors_;
};

}  // namespace ztkit::ctrl::api
