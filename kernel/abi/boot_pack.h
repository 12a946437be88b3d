// The boot pack: what boot/mkboot appends to the core image and the core
// reads at boot. Little-endian. The core trusts none of it (see
// kernel/boot_pack.h for the validation).
#pragma once

#include <cstddef>
#include <cstdint>

namespace septum::abi {

// The pack starts at the first 2 MiB boundary at or after the core image's end.
inline constexpr uint64_t kBootPackAlignment = 2 << 20;
inline constexpr char kBootPackMagic[8] = {'S', 'E', 'P', 'T', 'P', 'A', 'C', 'K'};
inline constexpr uint32_t kBootPackVersion = 1;
inline constexpr uint32_t kMaxBootDomains = 16;

enum class DomainRole : uint32_t {
  guest = 0,
  console = 1,
  xenstore = 2,
  control = 3,
  sched = 4,
  qos = 5,
  introspect = 6,
  vtpm = 7,
  mgmt = 8,
  driver = 9,
  test = 10,
};

inline constexpr uint32_t kDomainFlagCritical = 1u << 0;

struct BootPackHeader {
  char magic[8];
  uint32_t version;
  uint32_t header_size;  // sizeof(BootPackHeader)
  uint32_t domain_size;  // sizeof(BootPackDomain)
  uint32_t domain_count;
  uint64_t total_size;   // of the whole pack, header included
  uint64_t manifest_offset;  // the manifest text (UTF-8, not NUL-terminated)
  uint64_t manifest_size;
};
static_assert(sizeof(BootPackHeader) == 48);
static_assert(offsetof(BootPackHeader, version) == 8);
static_assert(offsetof(BootPackHeader, domain_count) == 20);
static_assert(offsetof(BootPackHeader, total_size) == 24);
static_assert(offsetof(BootPackHeader, manifest_offset) == 32);
static_assert(offsetof(BootPackHeader, manifest_size) == 40);

// Follows the header; domain_count of them. Offsets are from the pack start.
struct BootPackDomain {
  char name[32];          // NUL-terminated, [a-z0-9_-], unique
  uint32_t role;          // DomainRole
  uint32_t flags;         // kDomainFlag*
  uint32_t vcpus;         // 1..kMaxVcpusPerDomain
  uint32_t reserved;      // 0
  uint64_t affinity;      // hard affinity: bit i = physical CPU i (device-tree order); 0 = any
  uint64_t ipa_base;      // guest RAM base, kGuestRamAlignment aligned
  uint64_t memory_size;   // bytes, kGuestRamAlignment multiple
  uint64_t image_offset;  // 8-byte aligned
  uint64_t image_size;
  uint64_t image_ipa;     // where the image is copied
  uint64_t entry_ipa;     // vCPU 0 starts here at EL1h, MMU off, x0 = dtb_ipa
  uint64_t dtb_offset;    // the domain's device tree, 8-byte aligned
  uint64_t dtb_size;
  uint64_t dtb_ipa;       // where the device tree is copied, 8-byte aligned
  uint64_t budget_us;     // scheduling server budget per period; 0 = best effort
  uint64_t period_us;
};
static_assert(sizeof(BootPackDomain) == 144);
static_assert(offsetof(BootPackDomain, role) == 32);
static_assert(offsetof(BootPackDomain, affinity) == 48);
static_assert(offsetof(BootPackDomain, ipa_base) == 56);
static_assert(offsetof(BootPackDomain, image_offset) == 72);
static_assert(offsetof(BootPackDomain, entry_ipa) == 96);
static_assert(offsetof(BootPackDomain, dtb_offset) == 104);
static_assert(offsetof(BootPackDomain, dtb_ipa) == 120);
static_assert(offsetof(BootPackDomain, budget_us) == 128);
static_assert(offsetof(BootPackDomain, period_us) == 136);

}  // namespace septum::abi
