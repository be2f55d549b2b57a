// ZeroTier identities in the public API: generate, parse and print (zerotier-idtool's text
// forms), validate (the memory-hard address derivation), sign and verify (C25519, the 96-byte
// signatures zerotier-one makes). What `zt idtool` uses.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "ztkit/error.h"

namespace ztkit {

class Identity {
 public:
  // A new identity (a few hundred milliseconds: the address derivation is memory-hard).
  static Identity generate();
  // "address:0:public[:secret]" as in identity.public / identity.secret.
  static Expected<Identity> parse(std::string_view text);

  Identity(const Identity&);
  Identity& operator=(const Identity&);
  Identity(Identity&&) noexcept;
  Identity& operator=(Identity&&) noexcept;
  ~Identity();

  std::string address() const;  // 10 hex digits
  std::string to_string(bool include_secret) const;
  bool has_secret() const;
  // The address really derives from the public key (and the secret matches, when present).
  Expected<void> validate() const;
  // A signature of `data` as hex (192 digits); needs the secret.
  Expected<std::string> sign(std::span<const std::byte> data) const;
  bool verify(std::span<const std::byte> data, std::string_view signature_hex) const;

  struct Impl;

 private:
  explicit Identity(std::unique_ptr<Impl> i);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ztkit
