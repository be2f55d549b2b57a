#include "tools/ztdump/decoder.h"

#include <dirent.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "engine/wire/armor.h"
#include "engine/wire/compress.h"
#include "engine/wire/config_chunks.h"
#include "engine/wire/fragment.h"
#include "engine/wire/packet.h"
#include "engine/wire/reassembly.h"
#include "engine/wire/verbs.h"

namespace ztkit::capture {
namespace {

using namespace ztkit::wire;

template <class... F>
struct overloaded : F... {
  using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

std::uint64_t endpoint_key(const inet_address& a) {
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a over family, IP and port
  auto mix = [&h](std::uint8_t b) { h = (h ^ b) * 1099511628211ULL; };
  mix(static_cast<std::uint8_t>(a.fam));
  for (auto b : a.ip) mix(b);
  mix(static_cast<std::uint8_t>(a.port >> 8));
  mix(static_cast<std::uint8_t>(a.port));
  return h;
}

std::string group_string(const multicast_group& g) { return g.to_string(); }

std::string describe(const any_payload& p) {
  return std::visit(
      overloaded{
          [](const hello_payload& h) {
            return fmt::format("proto {} v{}.{}.{} {}{}", h.protocol_version, h.major, h.minor,
                               h.revision, h.identity.address().to_string(),
                               h.destination ? " to " + h.destination->to_string() : "");
          },
          [](const ok_payload& ok) {
            return std::visit(
                overloaded{
                    [](const ok_hello& o) {
                      return fmt::format("proto {} v{}.{}.{}{}", o.protocol_version, o.major,
                                         o.minor, o.revision,
                                         o.external_address
                                             ? " sees you at " + o.external_address->to_string()
                                             : "");
                    },
                    [](const ok_whois& o) {
                      std::string s;
                      for (const auto& id : o.identities) s += id.address().to_string() + " ";
                      return s;
                    },
                    [](const ok_multicast_gather& o) {
                      return fmt::format("{} total {} [{} listed]", group_string(o.group),
                                         o.total_known, o.members.size());
                    },
                    [](const ok_multicast_frame& o) { return group_string(o.group); },
                    [](const auto&) { return std::string(); },
                },
                ok.body);
          },
          [](const error_payload& e) { return std::string(error_code_name(e.code)); },
          [](const whois_payload& w) {
            std::string s;
            for (const auto& a : w.addresses) s += a.to_string() + " ";
            return s;
          },
          [](const rendezvous_payload& r) {
            return fmt::format("with {} at {}", r.with.to_string(), r.address.to_string());
          },
          [](const frame_payload& f) {
            return fmt::format("nwid {:016x} ethertype {:04x} {} bytes", f.network_id,
                               f.ethertype, f.data.size());
          },
          [](const ext_frame_payload& f) {
            return fmt::format("nwid {:016x} flags {:02x} ethertype {:04x} {} bytes",
                               f.network_id, f.flags, f.ethertype, f.data.size());
          },
          [](const multicast_like_payload& l) {
            std::string s;
            for (const auto& e : l.entries) s += group_string(e.group) + " ";
            return s;
          },
          [](const multicast_gather_payload& g) {
            return fmt::format("{} limit {}", group_string(g.group), g.gather_limit);
          },
          [](const multicast_frame_payload& f) {
            return fmt::format("{} ethertype {:04x} {} bytes", group_string(f.dest), f.ethertype,
                               f.data.size());
          },
          [](const network_credentials_payload& c) {
            return fmt::format("{} COM(s)", c.coms.size());
          },
          [](const push_direct_paths_payload& p) {
            std::string s;
            for (const auto& path : p.paths) {
              const auto e = path.endpoint();
              s += (e ? e->to_string() : std::string("?")) + " ";
            }
            return s;
          },
          [](const auto&) { return std::string(); },
      },
      p);
}

}  // namespace

struct decoder::state {
  std::map<zt_address, crypto::identity> identities;
  // Keys per ordered (source, destination) pair, agreed on first use.
  std::map<std::pair<zt_address, zt_address>, std::unique_ptr<peer_keys>> keys;
  // Underlay endpoints seen sending hop-0 HELLOs, to tell relayed packets from direct ones.
  std::map<std::uint64_t, zt_address> endpoint_owner;

  const peer_keys* keys_for(zt_address a, zt_address b, std::string& why) {
    auto k = keys.find({a, b});
    if (k != keys.end()) return k->second.get();
    const auto ia = identities.find(a);
    const auto ib = identities.find(b);
    if (ia == identities.end() || ib == identities.end()) {
      why = fmt::format("no identity for {}", ia == identities.end() ? a.to_string()
                                                                     : b.to_string());
      return nullptr;
    }
    const crypto::identity& mine = ia->second.has_private() ? ia->second : ib->second;
    const crypto::identity& theirs = ia->second.has_private() ? ib->second : ia->second;
    crypto::agreed_key key;
    if (const status s = mine.agree(theirs, key); !s.ok()) {
      why = s.message();
      return nullptr;
    }
    auto stored = std::make_unique<peer_keys>(key);
    const peer_keys* p = stored.get();
    keys[{a, b}] = std::move(stored);
    keys[{b, a}] = std::make_unique<peer_keys>(key);
    return p;
  }

  void decode_packet(std::vector<std::uint8_t>& buf, decoded_packet& d);
  void parse_payload(std::span<const std::uint8_t> pkt, decoded_packet& d);
};

decoder::decoder(std::vector<crypto::identity> identities) : s_(std::make_unique<state>()) {
  for (auto& id : identities) s_->identities.emplace(id.address(), std::move(id));
}

decoder::~decoder() = default;

result<std::unique_ptr<decoder>> decoder::from_directory(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (!d) return error{errc::not_found, fmt::format("cannot open identity folder {}", dir)};
  std::vector<crypto::identity> ids;
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name.ends_with(".identity.secret") || name.ends_with(".identity.public"))
      names.push_back(name);
  }
  closedir(d);
  for (const auto& name : names) {
    std::ifstream in(dir + "/" + name);
    std::stringstream text;
    text << in.rdbuf();
    auto id = crypto::identity::from_string(text.str());
    if (!id.ok()) return error{id.code(), fmt::format("{}/{}: {}", dir, name, id.message())};
    ids.push_back(std::move(id).value());
  }
  if (ids.empty()) {
    return error{errc::not_found, fmt::format("no *.identity.secret files in {}", dir)};
  }
  return std::make_unique<decoder>(std::move(ids));
}

void decoder::state::parse_payload(std::span<const std::uint8_t> pkt, decoded_packet& d) {
  const auto payload = pkt.subspan(packet_idx_payload);
  d.kind = std::string(verb_name(d.verb));
  // NETWORK_CONFIG_REQUEST and the config chunks have their own codecs (config_chunks.h).
  if (d.verb == static_cast<std::uint8_t>(verb::network_config_request)) {
    auto r = config_request::parse(payload);
    if (!r.ok()) { d.failure = r.message(); return; }
    d.summary = fmt::format("nwid {:016x} metadata {} keys", r->network_id, r->metadata.entries().size());
    return;
  }
  if (d.verb == static_cast<std::uint8_t>(verb::network_config)) {
    auto c = config_chunk::parse(payload);
    if (!c.ok()) { d.failure = c.message(); return; }
    d.summary = fmt::format("nwid {:016x} chunk {}+{} of {}", c->network_id, c->offset,
                            c->data.size(), c->total_length);
    return;
  }
  auto p = parse_verb_payload(d.verb, payload);
  if (!p.ok()) {
    d.failure = fmt::format("{} payload: {}", d.kind, p.message());
    return;
  }
  if (const auto* ok = std::get_if<ok_payload>(&p->value)) {
    d.in_re_verb = ok->in_re_verb;
    d.kind = fmt::format("OK({})", verb_name(ok->in_re_verb));
    if (ok->in_re_verb == static_cast<std::uint8_t>(verb::network_config_request)) {
      // The chunk follows [1 in-re verb][8 in-re packet id].
      auto c = config_chunk::parse(payload.subspan(9));
      if (!c.ok()) { d.failure = "OK(NETWORK_CONFIG_REQUEST) chunk: " + c.message(); return; }
      d.summary = fmt::format("nwid {:016x} chunk {}+{} of {}", c->network_id, c->offset,
                              c->data.size(), c->total_length);
      return;
    }
  } else if (const auto* err = std::get_if<error_payload>(&p->value)) {
    d.in_re_verb = err->in_re_verb;
    d.kind = fmt::format("ERROR({})", verb_name(err->in_re_verb));
  }
  if (!p->exact()) {
    d.failure = fmt::format("{} payload: {} bytes left over after the last field", d.kind,
                            p->left_over);
    return;
  }
  d.summary = describe(p->value);
}

void decoder::state::decode_packet(std::vector<std::uint8_t>& buf, decoded_packet& d) {
  auto view = packet_view::checked(std::span(buf));
  if (!view) { d.failure = "shorter than a packet header"; return; }
  d.source = view->source();
  d.destination = view->destination();
  d.cipher = view->cipher();
  d.hops = view->hops();
  d.wire_length = buf.size();
  std::string why;
  const peer_keys* keys = keys_for(d.source, d.destination, why);
  if (!keys) { d.failure = why; return; }
  if (const auto r = dearmor(std::span(buf), *keys, 0); r != armor_result::ok) {
    d.failure = fmt::format("dearmor failed: {}", to_string(r));
    return;
  }
  d.verb = view->verb_value();
  d.compressed = view->compressed();
  if (d.verb == static_cast<std::uint8_t>(verb::hello)) {
    // The moon list after the planet fields is masked with cryptField (§2.5).
    const auto off = hello_payload::masked_offset(view->payload());
    if (off.ok() && packet_idx_payload + *off < buf.size()) {
      const std::size_t start = packet_idx_payload + *off;
      if (!crypt_field(std::span(buf), *keys, start, buf.size() - start)) {
        d.failure = "HELLO cryptField range invalid";
        return;
      }
    }
  }
  if (d.compressed) {
    const std::size_t len = buf.size();
    buf.resize(packet_max_length);
    const auto u = uncompress(std::span(buf), len);
    if (!u.ok()) { d.failure = fmt::format("LZ4: {}", to_string(u.result)); return; }
    buf.resize(u.size);
  }
  parse_payload(buf, d);
  if (d.verb == static_cast<std::uint8_t>(verb::hello) && d.hops == 0 && d.ok()) {
    endpoint_owner[endpoint_key(d.underlay_src)] = d.source;
  }
  const auto owner = endpoint_owner.find(endpoint_key(d.underlay_src));
  d.relayed = d.hops > 0 || (owner != endpoint_owner.end() && owner->second != d.source);
}

int decode_report::failures() const {
  int n = 0;
  for (const auto& p : packets) n += p.ok() ? 0 : 1;
  return n;
}

decode_report decoder::decode(const capture_file& capture) {
  decode_report report;
  reassembly_table table(reassembly_config{});
  std::map<std::uint64_t, std::uint32_t> pieces_seen;  // packet id -> datagrams so far
  for (const udp_datagram& dg : capture.datagrams) {
    ++report.datagrams;
    const std::span<const std::uint8_t> bytes(dg.payload);
    const bool fragment = is_fragment(bytes);
    if (!fragment && bytes.size() < packet_min_length) {
      ++report.non_zerotier;
      continue;
    }
    const auto now = static_cast<std::int64_t>(dg.seconds * 1000);
    const auto out = table.on_datagram(endpoint_key(dg.src), bytes, now);
    const std::uint64_t id = bytes.size() >= 8 ? load_be64(bytes.data()) : 0;
    if (out.status == reassembly_status::incomplete) {
      ++pieces_seen[id];
      continue;
    }
    decoded_packet d;
    d.frame = dg.frame;
    d.seconds = dg.seconds;
    d.underlay_src = dg.src;
    d.underlay_dst = dg.dst;
    if (out.status != reassembly_status::complete &&
        out.status != reassembly_status::not_fragmented) {
      d.failure = fmt::format("fragment rejected: {}", to_string(out.status));
      report.packets.push_back(std::move(d));
      continue;
    }
    if (out.status == reassembly_status::complete) {
      d.pieces = pieces_seen[id] + 1;
      pieces_seen.erase(id);
    }
    std::vector<std::uint8_t> buf(out.packet.begin(), out.packet.end());
    s_->decode_packet(buf, d);
    if (d.ok()) ++report.kinds[d.kind];
    report.packets.push_back(std::move(d));
  }
  for (const auto& [id, n] : pieces_seen) report.pending_fragments += n;
  return report;
}

}  // namespace ztkit::capture
