// ZeroTier Dictionary text: see dictionary.h. Reading follows 1.14 Dictionary::get() line by
// line; writing follows Dictionary::add() byte for byte.
#include "engine/wire/dictionary.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace ztkit::wire {
namespace {

bool needs_escape(std::uint8_t c) { return c == 0 || c == 13 || c == 10 || c == '\\' || c == '='; }

std::uint8_t escape_letter(std::uint8_t c) {
  switch (c) {
    case 0: return '0';
    case 13: return 'r';
    case 10: return 'n';
    case '=': return 'e';
    default: return '\\';
  }
}

status check_key(std::string_view key) {
  if (key.empty()) return error{errc::invalid_argument, "dictionary key is empty"};
  for (char c : key) {
    if (c == 0 || c == '\r' || c == '\n' || c == '=') {
      return error{errc::invalid_argument,
                   "dictionary key \"" + std::string(key) + "\" contains NUL, CR, LF or '='"};
    }
  }
  return {};
}

std::string hex16(std::uint64_t v) {
  static const char digits[] = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) s[static_cast<std::size_t>(i)] = digits[v & 0xf];
  return s;
}

// The NUL-terminated first 127 bytes of a value, as getUI/getI see it in their char[128].
void c_string_127(std::span<const std::uint8_t> v, char out[128]) {
  const std::size_t n = v.size() < 127 ? v.size() : 127;
  if (n) std::memcpy(out, v.data(), n);
  out[n] = 0;
}

}  // namespace

result<dictionary> dictionary::parse(std::span<const std::uint8_t> text, std::size_t capacity) {
  std::size_t len = 0;
  while (len < text.size() && text[len] != 0) ++len;
  if (capacity == 0 || len > capacity - 1) {
    return error{errc::invalid_argument, "dictionary of " + std::to_string(len) +
                                             " bytes exceeds its capacity of " +
                                             std::to_string(capacity == 0 ? 0 : capacity - 1)};
  }
  dictionary d;
  std::size_t p = 0;
  while (p < len) {
    // One line: [p, eol).
    std::size_t eol = p;
    while (eol < len && text[eol] != 10 && text[eol] != 13) ++eol;
    std::size_t eq = p;
    while (eq < eol && text[eq] != '=') ++eq;
    if (eq < eol && eq > p) {
      entry e;
      e.key.assign(reinterpret_cast<const char*>(text.data() + p), eq - p);
      e.value.reserve(eol - eq - 1);
      bool esc = false;
      for (std::size_t i = eq + 1; i < eol; ++i) {
        const std::uint8_t c = text[i];
        if (esc) {
          esc = false;
          switch (c) {
            case 'r': e.value.push_back(13); break;
            case 'n': e.value.push_back(10); break;
            case '0': e.value.push_back(0); break;
            case 'e': e.value.push_back('='); break;
            default: e.value.push_back(c); break;
          }
        } else if (c == '\\') {
          esc = true;
        } else {
          e.value.push_back(c);
        }
      }
      d.entries_.push_back(std::move(e));
    }
    p = eol + 1;
  }
  return d;
}

std::size_t dictionary::buffer_len() const {
  std::size_t n = 0;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const entry& e = entries_[i];
    n += (i ? 1 : 0) + e.key.size() + 1;
    for (std::uint8_t c : e.value) n += needs_escape(c) ? 2 : 1;
  }
  return n;
}

void dictionary::emit(writer& w) const {
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const entry& e = entries_[i];
    if (i) w.u8(10);
    w.bytes({reinterpret_cast<const std::uint8_t*>(e.key.data()), e.key.size()});
    w.u8('=');
    // Runs of plain bytes are copied at once; only escapes are written byte by byte.
    std::size_t run = 0;
    const std::size_t n = e.value.size();
    for (std::size_t j = 0; j < n; ++j) {
      const std::uint8_t c = e.value[j];
      if (needs_escape(c)) {
        if (j > run) w.bytes({e.value.data() + run, j - run});
        w.u8('\\');
        w.u8(escape_letter(c));
        run = j + 1;
      }
    }
    if (n > run) w.bytes({e.value.data() + run, n - run});
  }
}

result<std::vector<std::uint8_t>> dictionary::to_bytes(std::size_t capacity) const {
  const std::size_t n = buffer_len();
  if (capacity == 0 || n > capacity - 1) {
    return error{errc::invalid_argument, "dictionary of " + std::to_string(n) +
                                             " bytes does not fit its capacity of " +
                                             std::to_string(capacity == 0 ? 0 : capacity - 1)};
  }
  std::vector<std::uint8_t> out(n);
  writer w(out);
  emit(w);
  return out;
}

status dictionary::add(std::string_view key, std::span<const std::uint8_t> value) {
  if (status s = check_key(key); !s.ok()) return s;
  entries_.push_back(entry{std::string(key), std::vector<std::uint8_t>(value.begin(), value.end())});
  return {};
}

status dictionary::add(std::string_view key, std::string_view value) {
  return add(key, std::span<const std::uint8_t>(
                      reinterpret_cast<const std::uint8_t*>(value.data()), value.size()));
}

status dictionary::add_u64(std::string_view key, std::uint64_t v) { return add(key, hex16(v)); }

status dictionary::add_i64(std::string_view key, std::int64_t v) {
  if (v >= 0) return add(key, hex16(static_cast<std::uint64_t>(v)));
  std::string s(1, '-');
  s.append(hex16(0 - static_cast<std::uint64_t>(v)));
  return add(key, s);
}

status dictionary::add_bool(std::string_view key, bool v) { return add(key, v ? "1" : "0"); }

status dictionary::add_address(std::string_view key, zt_address a) {
  return add(key, hex16(a.value()));
}

std::optional<std::span<const std::uint8_t>> dictionary::get(std::string_view key) const {
  for (const entry& e : entries_) {
    if (e.key == key) return std::span<const std::uint8_t>(e.value);
  }
  return std::nullopt;
}

std::uint64_t dictionary::get_u64(std::string_view key, std::uint64_t dfl) const {
  const auto v = get(key);
  if (!v || v->empty()) return dfl;
  char tmp[128];
  c_string_127(*v, tmp);
  return std::strtoull(tmp, nullptr, 16);
}

std::int64_t dictionary::get_i64(std::string_view key, std::int64_t dfl) const {
  const auto v = get(key);
  if (!v || v->empty()) return dfl;
  char tmp[128];
  c_string_127(*v, tmp);
  return std::strtoll(tmp, nullptr, 16);
}

bool dictionary::get_bool(std::string_view key, bool dfl) const {
  const auto v = get(key);
  if (!v) return dfl;
  if (v->empty()) return false;
  const std::uint8_t c = (*v)[0];
  return c == '1' || c == 't' || c == 'T';
}

std::optional<std::string> dictionary::get_string(std::string_view key, std::size_t max_len) const {
  const auto v = get(key);
  if (!v) return std::nullopt;
  std::size_t n = max_len ? max_len - 1 : 0;
  if (v->size() < n) n = v->size();
  std::size_t z = 0;
  while (z < n && (*v)[z] != 0) ++z;
  return std::string(reinterpret_cast<const char*>(v->data()), z);
}

}  // namespace ztkit::wire
