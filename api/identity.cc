#include "ztkit/identity.h"

#include "engine/base/hex.h"
#include "engine/crypto/identity.h"

namespace ztkit {

struct Identity::Impl {
  crypto::identity id;
};

Identity::Identity(std::unique_ptr<Impl> i) : impl_(std::move(i)) {}
Identity::Identity(const Identity& o) : impl_(std::make_unique<Impl>(*o.impl_)) {}
Identity& Identity::operator=(const Identity& o) {
  if (this != &o) impl_ = std::make_unique<Impl>(*o.impl_);
  return *this;
}
Identity::Identity(Identity&&) noexcept = default;
Identity& Identity::operator=(Identity&&) noexcept = default;
Identity::~Identity() = default;

Identity Identity::generate() { return Identity(std::make_unique<Impl>(Impl{crypto::identity::generate()})); }

Expected<Identity> Identity::parse(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.remove_suffix(1);
  auto id = crypto::identity::from_string(text);
  if (!id.ok()) return Error(Errc::invalid_argument, "not an identity: " + id.message());
  return Identity(std::make_unique<Impl>(Impl{std::move(*id)}));
}

std::string Identity::address() const { return impl_->id.address().to_string(); }
std::string Identity::to_string(bool include_secret) const { return impl_->id.to_string(include_secret); }
bool Identity::has_secret() const { return impl_->id.has_private(); }

Expected<void> Identity::validate() const {
  auto st = impl_->id.validate();
  if (!st.ok()) return Error(Errc::invalid_argument, st.message());
  return {};
}

Expected<std::string> Identity::sign(std::span<const std::byte> data) const {
  if (!impl_->id.has_private()) return Error(Errc::invalid_argument, "the identity has no secret key");
  auto sig = impl_->id.sign({reinterpret_cast<const std::uint8_t*>(data.data()), data.size()});
  if (!sig.ok()) return Error(Errc::internal, sig.message());
  return to_hex(*sig);
}

bool Identity::verify(std::span<const std::byte> data, std::string_view signature_hex) const {
  auto sig = from_hex(signature_hex);
  if (!sig || sig->size() != 96) return false;
  return impl_->id.verify({reinterpret_cast<const std::uint8_t*>(data.data()), data.size()}, *sig);
}

}  // namespace ztkit
