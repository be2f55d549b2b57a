// JSON bodies into the controller API and its codec (ctrl/controller_api): network and member
// POSTs through handle_api_request, stored records through the store's decoders, and a config
// built from whatever pools, routes and rules were accepted. Checks that nothing accepted fails
// to round-trip: a network's JSON decodes back to the same settings, a member's to the same
// member.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "ctrl/controller_api/controller_http.h"
#include "ctrl/controller_api/json_codec.h"
#include "ctrl/network/controller.h"

namespace {

using namespace ztkit;
using namespace ztkit::ctrl;

struct null_io : network_io {
  bool send_verb(std::int64_t, zt_address, wire::verb, std::span<const std::uint8_t>, bool) override {
    return true;
  }
  const crypto::identity* identity_of(zt_address) override { return nullptr; }
};

const crypto::identity& self() {
  static const crypto::identity id = crypto::identity::generate();
  return id;
}

const crypto::identity& self_public() {
  static const crypto::identity id = crypto::identity::from_string(self().to_string(false)).value();
  return id;
}

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "controller_json_fuzz: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t mode = data[0] % 4;
  const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  null_io io;
  controller c(self(), io, 1);
  const std::uint64_t nwid = (c.address().value() << 24) | 0x0000f0;
  const std::string net = "/controller/network/" + api::nwid_string(nwid);
  const zt_address member = c.address();
  std::uint64_t counter = 0;
  auto random = [&counter] { return ++counter; };
  const std::int64_t now = 1'700'000'000'000;

  switch (mode) {
    case 0:
    case 1: {
      // Network POST (create, then the same body as an update), then a member in it.
      api::handle_api_request(c, nullptr, now, {"POST", net, body}, random);
      api::handle_api_request(c, nullptr, now + 1, {"POST", net, body}, random);
      if (const controller_network* n = c.network(nwid)) {
        auto back = api::network_from_stored_json(api::network_to_json(*n));
        check(back.ok(), "an accepted network does not decode back");
        check(back->settings == n->settings, "a network's settings do not round-trip");
        const std::string mpath = net + "/member/" + member.to_string();
        auto r = api::handle_api_request(c, nullptr, now + 2, {"POST", mpath, mode == 0 ? "{\"authorized\": true}" : body},
                                         random);
        controller_member_update admit;
        admit.authorized = true;
        check(c.update_member(now + 3, nwid, member, admit).ok(), "a member cannot be authorized");
        auto cfg = c.config_for(now + 4, nwid, self_public());
        check(cfg.has_value(), "an authorized member gets no config");
        const auto& m = c.network(nwid)->members.at(member);
        auto mback = api::member_from_stored_json(nwid, api::member_to_json(nwid, m));
        check(mback.ok(), "an accepted member does not decode back");
        check(mback->ip_assignments == m.ip_assignments && mback->authorized == m.authorized &&
                  mback->name == m.name && mback->revision == m.revision,
              "a member does not round-trip");
        (void)r;
      }
      break;
    }
    case 2: {
      // Stored records as the store would find them.
      auto j = api::json::parse(body, nullptr, false);
      if (j.is_discarded()) break;
      (void)api::network_from_stored_json(j);
      (void)api::member_from_stored_json(nwid, j);
      (void)api::member_update_from_json(j);
      break;
    }
    default: {
      // One rule.
      auto j = api::json::parse(body, nullptr, false);
      if (j.is_discarded()) break;
      auto r = api::rule_from_json(j);
      if (r.ok() && r->has_value()) {
        auto again = api::rule_from_json(api::rule_to_json(**r));
        check(again.ok() && again->has_value() && **again == **r, "a rule does not round-trip");
      }
      break;
    }
  }
  return 0;
}
