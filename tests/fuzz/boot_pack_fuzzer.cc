// libFuzzer target for the core's boot pack reader: whatever BootPack::open
// accepts lies inside the bytes it was given and places every domain's image
// and device tree apart, inside its memory, clear of the virtual GIC.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "kernel/abi/guest_platform.h"
#include "kernel/boot_pack.h"

namespace septum {
namespace {

void check(bool invariant) {
  if (!invariant) __builtin_trap();
}

bool within(std::span<const uint8_t> part, const uint8_t* data, size_t size) {
  return part.data() >= data && part.size() <= size && part.data() - data <= static_cast<ptrdiff_t>(size - part.size());
}

constexpr BootPackLimits kLimits{48, 0xff};

}  // namespace
}  // namespace septum

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace septum;
  Arm64Image image_header;
  (void)read_arm64_image({data, size}, image_header);

  BootPack pack;
  if (!BootPack::open(data, size, kLimits, pack).is_ok()) return 0;
  check(pack.total_size() <= size && pack.domain_count() <= abi::kMaxBootDomains);
  std::string_view manifest = pack.manifest();
  check(within({reinterpret_cast<const uint8_t*>(manifest.data()), manifest.size()}, data, pack.total_size()));
  for (uint32_t i = 0; i < pack.domain_count(); ++i) {
    abi::BootPackDomain d = pack.domain(i);
    check(within(pack.image(i), data, pack.total_size()) && within(pack.device_tree(i), data, pack.total_size()));
    std::string_view name(d.name);
    check(is_valid_domain_name(name));
    for (uint32_t j = 0; j < i; ++j) check(name != std::string_view(pack.domain(j).name));
    check(d.vcpus >= 1 && d.vcpus <= abi::kMaxVcpusPerDomain && d.reserved == 0);
    check((d.affinity & ~kLimits.online_cpus) == 0 && d.budget_us <= d.period_us);

    uint64_t ram_end = d.ipa_base + d.memory_size;
    check(ram_end > d.ipa_base && ram_end <= uint64_t{1} << kLimits.ipa_bits);
    check(ram_end <= abi::kGuestGicdBase || d.ipa_base >= abi::kGuestGicrBase + abi::kGuestGicrSize);
    check(read_arm64_image(pack.image(i), image_header).is_ok());
    check(d.image_ipa >= d.ipa_base && image_header.effective_size <= ram_end - d.image_ipa);
    check(d.entry_ipa >= d.image_ipa && d.entry_ipa < d.image_ipa + d.image_size);
    check(d.dtb_ipa >= d.ipa_base && d.dtb_size <= ram_end - d.dtb_ipa && d.dtb_size <= BootPack::kMaxDeviceTreeSize);
    check(d.dtb_ipa >= d.image_ipa + image_header.effective_size || d.dtb_ipa + d.dtb_size <= d.image_ipa);
  }
  return 0;
}
