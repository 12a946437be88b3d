#include "boot/pack_builder.h"

#include <bit>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>

#include "boot/guest_device_tree.h"
#include "boot/text.h"
#include "kernel/boot_pack.h"

namespace septum::boot {

namespace {

// Records are written as the host lays them out.
static_assert(std::endian::native == std::endian::little);

constexpr uint64_t kBlobAlignment = 8;

uint64_t align_up(uint64_t value, uint64_t alignment) { return (value + alignment - 1) / alignment * alignment; }
uint64_t align_down(uint64_t value, uint64_t alignment) { return value / alignment * alignment; }

template <class T>
void write_at(std::vector<uint8_t>& pack, uint64_t offset, const T& value) {
  std::memcpy(pack.data() + offset, &value, sizeof value);
}

// The header's image_size field: 0 in Images older than Linux 3.17.
uint64_t header_image_size(std::span<const uint8_t> image) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = value << 8 | image[16 + i];
  return value;
}

void append_blob(std::vector<uint8_t>& pack, std::span<const uint8_t> blob, uint64_t& offset) {
  pack.resize(align_up(pack.size(), kBlobAlignment));
  offset = pack.size();
  pack.insert(pack.end(), blob.begin(), blob.end());
}

}  // namespace

// The device tree starts the last 2 MiB of RAM: Linux maps the 2 MiB from the
// device tree's address as normal memory before it reads it, so all of that
// must be RAM (booting.rst), and a device tree is at most 2 MiB.
std::optional<Diagnostic> place_domain(const DomainSpec& spec, std::vector<uint8_t> image,
                                       std::vector<uint8_t> initrd, PlacedDomain& out) {
  Arm64Image header;
  Status status = read_arm64_image(image, header);
  if (!status) return Diagnostic{spec.image_line, "image '" + spec.image + "': " + std::string(status.message())};
  // Linux 3.17 and later say how much memory they occupy, BSS included; an
  // older header would leave the initrd's place to guesswork.
  if (spec.kind == ImageKind::linux_kernel && header_image_size(image) == 0) {
    return Diagnostic{spec.image_line, "image '" + spec.image +
                                           "': a Linux Image for kind = linux must give its image_size (Linux 3.17+)"};
  }
  bool has_initrd = !spec.initrd.empty();
  if (has_initrd && initrd.empty()) return Diagnostic{spec.initrd_line, "initrd '" + spec.initrd + "' is empty"};

  // Offsets from ipa_base; memory is a non-zero multiple of 2 MiB.
  uint64_t image_end = header.text_offset + header.effective_size;
  uint64_t initrd_offset = align_up(image_end, abi::kGuestRamAlignment);
  GuestPlatform platform{spec.ipa_base, spec.memory_size, spec.vcpus, spec.bootargs};
  if (has_initrd) {
    platform.initrd_start = spec.ipa_base + initrd_offset;
    platform.initrd_end = platform.initrd_start + initrd.size();
  }
  out.dtb = guest_device_tree(platform);
  if (out.dtb.size() > BootPack::kMaxDeviceTreeSize) {
    return Diagnostic{spec.line, "device tree of " + hex(out.dtb.size()) + " bytes is larger than 2M"};
  }
  uint64_t dtb_offset = align_down(spec.memory_size - out.dtb.size(), BootPack::kMaxDeviceTreeSize);
  std::string too_small = "memory " + std::to_string(spec.memory_size >> 20) + "M is too small for the image (" +
                          hex(header.effective_size) + " bytes at offset " + hex(header.text_offset) + ")";
  if (header.text_offset > dtb_offset || header.effective_size > dtb_offset - header.text_offset) {
    return Diagnostic{spec.memory_line, too_small + " and its device tree (the last 2M)"};
  }
  if (has_initrd && (initrd_offset > dtb_offset || initrd.size() > dtb_offset - initrd_offset)) {
    return Diagnostic{spec.memory_line, too_small + ", the initrd (" + hex(initrd.size()) + " bytes at offset " +
                                            hex(initrd_offset) + ") and the device tree (the last 2M)"};
  }

  abi::BootPackDomain& d = out.record;
  d = {};
  spec.name.copy(d.name, sizeof d.name - 1);
  d.role = static_cast<uint32_t>(spec.role);
  d.flags = spec.critical ? abi::kDomainFlagCritical : 0;
  d.vcpus = spec.vcpus;
  d.affinity = spec.affinity;
  d.ipa_base = spec.ipa_base;
  d.memory_size = spec.memory_size;
  d.image_size = image.size();
  d.image_ipa = spec.ipa_base + header.text_offset;
  d.entry_ipa = d.image_ipa;
  d.dtb_size = out.dtb.size();
  d.dtb_ipa = spec.ipa_base + dtb_offset;
  d.budget_us = spec.budget_us;
  d.period_us = spec.period_us;
  out.image = std::move(image);
  out.initrd = std::move(initrd);
  out.initrd_ipa = has_initrd ? platform.initrd_start : 0;
  return std::nullopt;
}

std::optional<Diagnostic> pack_limitation(const DomainSpec& spec, const PlacedDomain& placed) {
  if (placed.initrd.empty()) return std::nullopt;
  return Diagnostic{spec.initrd_line, "initrd '" + spec.initrd + "': boot packs (version " +
                                          std::to_string(abi::kBootPackVersion) +
                                          ") have no field for an initrd yet; see boot/README.md"};
}

std::vector<uint8_t> build_pack(std::string_view manifest_text, std::span<const PlacedDomain> domains) {
  abi::BootPackHeader header{};
  std::memcpy(header.magic, abi::kBootPackMagic, sizeof header.magic);
  header.version = abi::kBootPackVersion;
  header.header_size = sizeof(abi::BootPackHeader);
  header.domain_size = sizeof(abi::BootPackDomain);
  header.domain_count = static_cast<uint32_t>(domains.size());

  std::vector<uint8_t> pack(sizeof header + domains.size() * sizeof(abi::BootPackDomain));
  header.manifest_offset = pack.size();
  header.manifest_size = manifest_text.size();
  pack.insert(pack.end(), manifest_text.begin(), manifest_text.end());
  for (size_t i = 0; i < domains.size(); ++i) {
    if (!domains[i].initrd.empty()) throw std::logic_error("build_pack: the pack format has no field for an initrd");
    abi::BootPackDomain record = domains[i].record;
    append_blob(pack, domains[i].image, record.image_offset);
    append_blob(pack, domains[i].dtb, record.dtb_offset);
    write_at(pack, sizeof header + i * sizeof record, record);
  }
  pack.resize(align_up(pack.size(), kBlobAlignment));
  header.total_size = pack.size();
  write_at(pack, 0, header);

  BootPack reader;
  Status check = BootPack::open(pack.data(), pack.size(), {kManifestIpaBits, ~uint64_t{0}}, reader);
  if (!check) throw std::logic_error("mkboot built a pack the core rejects: " + std::string(check.message()));
  return pack;
}

}  // namespace septum::boot
