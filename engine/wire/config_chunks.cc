// NETWORK_CONFIG_REQUEST, config chunks and their reassembly: see config_chunks.h.
#include "engine/wire/config_chunks.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace ztkit::wire {

dictionary config_request::default_metadata(std::string_view os_arch) {
  dictionary d;
  (void)d.add_u64("v", 7);
  (void)d.add_u64("vend", 1);
  (void)d.add_u64("pv", 12);
  (void)d.add_u64("majv", 1);
  (void)d.add_u64("minv", 14);
  (void)d.add_u64("revv", 1);
  (void)d.add_u64("mr", 1024);
  (void)d.add_u64("mc", 128);
  (void)d.add_u64("mcr", 64);
  (void)d.add_u64("mt", 128);
  (void)d.add_u64("f", 0);
  (void)d.add_u64("revr", 1);
  (void)d.add("o", os_arch);
  return d;
}

result<config_request> config_request::parse(std::span<const std::uint8_t> payload) {
  reader r(payload);
  config_request q;
  q.network_id = r.be64();
  const std::size_t n = r.be16();
  const auto text = r.bytes(n);
  if (!r.ok()) return error{errc::invalid_argument, "NETWORK_CONFIG_REQUEST truncated"};
  auto d = dictionary::parse(text, dictionary::metadata_capacity);
  if (!d.ok()) return error{errc::invalid_argument, "NETWORK_CONFIG_REQUEST metadata: " + d.message()};
  q.metadata = std::move(*d);
  if (r.remaining() >= 16) {
    q.revision = r.be64();
    q.timestamp = r.be64();
  }
  return q;
}

void config_request::emit(writer& w) const {
  const std::size_t n = metadata.buffer_len();
  w.be64(network_id);
  w.be16(static_cast<std::uint16_t>(n));
  metadata.emit(w);
  w.be64(revision);
  w.be64(timestamp);
}

std::size_t config_request::buffer_len() const { return 8 + 2 + metadata.buffer_len() + 16; }

std::vector<std::uint8_t> config_request::to_bytes() const {
  std::vector<std::uint8_t> out(buffer_len());
  writer w(out);
  emit(w);
  return out;
}

result<config_chunk> config_chunk::parse(std::span<const std::uint8_t> body) {
  reader r(body);
  config_chunk c;
  c.network_id = r.be64();
  const std::size_t n = r.be16();
  const auto data = r.bytes(n);
  if (!r.ok()) return error{errc::invalid_argument, "config chunk truncated"};
  c.data.assign(data.begin(), data.end());
  if (r.remaining() == 0) {
    c.legacy = true;
    c.total_length = static_cast<std::uint32_t>(n);
    if (n >= dictionary::netconf_capacity)
      return error{errc::invalid_argument, "config too large"};
    return c;
  }
  c.flags = r.u8();
  c.update_id = r.be64();
  c.total_length = r.be32();
  c.offset = r.be32();
  const std::uint8_t sig_type = r.u8();
  const std::uint16_t sig_len = r.be16();
  r.copy(c.signature.data(), c.signature.size());
  if (!r.ok()) return error{errc::invalid_argument, "config chunk truncated"};
  if (std::uint64_t{c.offset} + n > c.total_length) {
    return error{errc::invalid_argument, "config chunk at offset " + std::to_string(c.offset) +
                                             " of " + std::to_string(n) +
                                             " bytes overruns total length " +
                                             std::to_string(c.total_length)};
  }
  if (c.total_length >= dictionary::netconf_capacity) {
    return error{errc::invalid_argument,
                 "config total length " + std::to_string(c.total_length) + " exceeds capacity"};
  }
  if (sig_type != 1 || sig_len != 96) {
    return error{errc::invalid_argument, "config chunk signature type " +
                                             std::to_string(sig_type) + " / length " +
                                             std::to_string(sig_len) + " (need 1 / 96)"};
  }
  return c;
}

void config_chunk::emit(writer& w) const {
  w.be64(network_id);
  w.be16(static_cast<std::uint16_t>(data.size()));
  w.bytes(data);
  if (legacy) return;
  w.u8(flags);
  w.be64(update_id);
  w.be32(total_length);
  w.be32(offset);
  w.u8(1);
  w.be16(96);
  w.bytes(signature);
}

std::size_t config_chunk::buffer_len() const {
  return 8 + 2 + data.size() + (legacy ? 0 : 1 + 8 + 4 + 4 + 1 + 2 + 96);
}

std::vector<std::uint8_t> config_chunk::to_bytes() const {
  std::vector<std::uint8_t> out(buffer_len());
  writer w(out);
  emit(w);
  return out;
}

std::vector<std::uint8_t> config_chunk::signing_bytes() const {
  std::vector<std::uint8_t> out(8 + 2 + data.size() + 1 + 8 + 4 + 4);
  writer w(out);
  w.be64(network_id);
  w.be16(static_cast<std::uint16_t>(data.size()));
  w.bytes(data);
  w.u8(flags);
  w.be64(update_id);
  w.be32(total_length);
  w.be32(offset);
  return out;
}

status config_chunk::sign(const crypto::identity& controller) {
  auto s = controller.sign(signing_bytes());
  if (!s.ok()) return s.status();
  signature = *s;
  legacy = false;
  return {};
}

bool config_chunk::verify(const crypto::identity& controller) const {
  return !legacy && controller.verify(signing_bytes(), signature);
}

result<std::vector<config_chunk>> config_chunk::split(std::span<const std::uint8_t> dict,
                                                      std::uint64_t network_id,
                                                      std::uint64_t update_id,
                                                      const crypto::identity& controller,
                                                      std::uint8_t flags) {
  if (dict.size() >= dictionary::netconf_capacity) {
    return error{errc::invalid_argument, "config too large to send"};
  }
  std::vector<config_chunk> out;
  std::size_t at = 0;
  do {
    const std::size_t n = std::min(max_data, dict.size() - at);
    config_chunk c;
    c.network_id = network_id;
    c.data.assign(dict.begin() + static_cast<std::ptrdiff_t>(at),
                  dict.begin() + static_cast<std::ptrdiff_t>(at + n));
    c.flags = flags;
    c.update_id = update_id;
    c.total_length = static_cast<std::uint32_t>(dict.size());
    c.offset = static_cast<std::uint32_t>(at);
    if (status s = c.sign(controller); !s.ok()) return error{s.code(), s.message()};
    out.push_back(std::move(c));
    at += n;
  } while (at < dict.size());
  return out;
}

config_assembler::config_assembler(std::uint64_t network_id, crypto::identity controller)
    : network_id_(network_id), controller_(std::move(controller)) {}

result<std::optional<config_assembler::completed>> config_assembler::add(
    const config_chunk& chunk, zt_address source, std::uint64_t packet_id) {
  if (chunk.network_id != network_id_) {
    return error{errc::invalid_argument, "config chunk for another network"};
  }
  std::uint64_t chunk_id = 0;
  std::uint64_t update_id = 0;
  std::uint32_t total = 0, offset = 0;
  slot* s = nullptr;
  if (!chunk.legacy) {
    if (std::uint64_t{chunk.offset} + chunk.data.size() > chunk.total_length ||
        chunk.total_length >= dictionary::netconf_capacity) {
      return error{errc::invalid_argument, "config chunk lengths are inconsistent"};
    }
    // 1.14 folds the first 16 signature bytes into a per-chunk ID for de-duplication.
    std::uint8_t id[8] = {};
    for (std::size_t i = 0; i < 16; ++i) id[i & 7] ^= chunk.signature[i];
    std::memcpy(&chunk_id, id, 8);
    update_id = chunk.update_id;
    total = chunk.total_length;
    offset = chunk.offset;
    for (slot& x : slots_) {
      if (x.update_id == update_id && !x.chunk_ids.empty()) {
        s = &x;
        if (std::find(x.chunk_ids.begin(), x.chunk_ids.end(), chunk_id) != x.chunk_ids.end())
          return std::optional<completed>{};  // duplicate
        break;
      }
    }
    if (!chunk.verify(controller_)) {
      return error{errc::invalid_argument, "config chunk signature does not verify"};
    }
  } else {
    if (source != controller_.address()) {
      return error{errc::invalid_argument, "unsigned legacy config not from the controller"};
    }
    chunk_id = packet_id;
    update_id = packet_id;
    total = static_cast<std::uint32_t>(chunk.data.size());
    if (total >= dictionary::netconf_capacity)
      return error{errc::invalid_argument, "config too large"};
  }
  if (!s) {
    s = &slots_[0];
    for (slot& x : slots_)
      if (x.touched < s->touched) s = &x;
    *s = slot{};
    s->update_id = update_id;
    s->total = total;
    s->data.assign(total, 0);
  }
  s->touched = ++clock_;
  if (s->done) return std::optional<completed>{};
  if (s->total != total) {
    return error{errc::invalid_argument, "config chunks of one update disagree on total length"};
  }
  if (s->chunk_ids.size() >= max_chunks) {
    return error{errc::invalid_argument, "too many chunks for one config update"};
  }
  s->chunk_ids.push_back(chunk_id);
  if (!chunk.data.empty()) std::memcpy(s->data.data() + offset, chunk.data.data(), chunk.data.size());
  s->have_bytes += chunk.data.size();
  if (s->have_bytes != s->total) return std::optional<completed>{};
  s->done = true;
  completed c{update_id, std::move(s->data)};
  s->data.clear();
  return std::optional<completed>{std::move(c)};
}

}  // namespace ztkit::wire
