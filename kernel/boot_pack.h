// Reader of the boot pack (kernel/abi/boot_pack.h) that boot/mkboot appends
// to the core image. open() validates the whole pack once — header, every
// range in the pack and every domain's placement in its IPA space — so the
// code that builds domains from it can trust what the accessors return, and a
// corrupt or hostile pack becomes one clear error naming the domain and field.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "kernel/abi/boot_pack.h"
#include "kernel/status.h"

namespace septum {

// Manifest spelling of each abi::DomainRole, indexed by its value.
inline constexpr std::string_view kDomainRoleNames[] = {
    "guest", "console", "xenstore", "control", "sched", "qos", "introspect", "vtpm", "mgmt", "driver", "test",
};
static_assert(std::size(kDomainRoleNames) == static_cast<size_t>(abi::DomainRole::test) + 1);

std::optional<abi::DomainRole> domain_role_from_name(std::string_view name);

inline constexpr size_t kMaxDomainNameLength = sizeof(abi::BootPackDomain::name) - 1;

// 1..kMaxDomainNameLength characters of [a-z0-9_-].
bool is_valid_domain_name(std::string_view name);

// What an arm64 Linux "Image" header (Documentation/arm64/booting.rst) says
// about loading it.
struct Arm64Image {
  static constexpr size_t kHeaderSize = 64;
  uint64_t text_offset;     // load offset from a 2 MiB aligned base
  uint64_t effective_size;  // bytes the loaded image occupies, BSS included
};

// Checks the header of the Image `image` (magic, little-endian, 4 KiB
// aligned load offset). Shared with boot/mkboot so both apply one rule.
Status read_arm64_image(std::span<const uint8_t> image, Arm64Image& out);

// The machine the pack must fit, as the core found it.
struct BootPackLimits {
  uint32_t ipa_bits;     // guest RAM must end at or below 1 << ipa_bits
  uint64_t online_cpus;  // bit i: physical CPU i (device-tree order) is online
};

class BootPack final {
 public:
  // The largest device tree a domain may get (booting.rst).
  static constexpr uint64_t kMaxDeviceTreeSize = 2 << 20;

  // `available` bounds the readable bytes at `pack`; the header's total_size
  // must fit inside it. The pack need not be aligned.
  static Status open(const void* pack, size_t available, const BootPackLimits& limits, BootPack& out);

  uint64_t total_size() const { return header_.total_size; }
  uint32_t domain_count() const { return header_.domain_count; }
  // For index < domain_count(). A copy, so callers need no alignment.
  abi::BootPackDomain domain(uint32_t index) const;
  std::span<const uint8_t> image(uint32_t index) const;
  std::span<const uint8_t> device_tree(uint32_t index) const;
  std::string_view manifest() const;

 private:
  const uint8_t* pack_ = nullptr;
  abi::BootPackHeader header_{};
};

}  // namespace septum
