#include "kernel/boot_pack.h"

#include <bit>

#include "kernel/abi/guest_platform.h"

namespace septum {

namespace {

using abi::BootPackDomain;
using abi::BootPackHeader;

// Records are copied out of the pack as they are: no byte swapping.
static_assert(std::endian::native == std::endian::little);

constexpr size_t kImageMagicOffset = 56;
constexpr uint8_t kImageMagic[4] = {'A', 'R', 'M', 0x64};
constexpr uint64_t kImageFlagBigEndian = 1;
// An Image whose image_size is 0 predates the field; its text_offset may be
// of either endianness and is 0x80000 (booting.rst).
constexpr uint64_t kLegacyTextOffset = 0x80000;
constexpr uint64_t kPageSize = 4096;
constexpr uint32_t kFdtMagic = 0xd00dfeed;
constexpr uint64_t kBlobAlignment = 8;
constexpr uint64_t kTableOffset = sizeof(BootPackHeader);

uint64_t load_le64(const uint8_t* p) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = value << 8 | p[i];
  return value;
}

uint32_t load_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// [offset, offset + size) lies within [low, high), without wrapping.
bool inside(uint64_t offset, uint64_t size, uint64_t low, uint64_t high) {
  return offset >= low && offset <= high && size <= high - offset;
}

// Both ranges must already be known not to wrap.
bool overlaps(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size) { return a < b + b_size && b < a + a_size; }

template <class... Args>
Status domain_error(std::string_view name, std::string_view fmt, const Args&... args) {
  char reason[128];
  BufferSink sink(reason, sizeof reason);
  format(sink, fmt, args...);
  return Status::error("boot pack: domain \"{}\": {}", name, sink.view());
}

BootPackDomain read_domain(const uint8_t* pack, uint32_t index) {
  BootPackDomain domain;
  __builtin_memcpy(&domain, pack + kTableOffset + index * sizeof(BootPackDomain), sizeof domain);
  return domain;
}

Status check_name(const BootPackDomain& domain, uint32_t index, std::string_view& name) {
  size_t length = 0;
  while (length < sizeof domain.name && domain.name[length] != '\0') ++length;
  if (length == sizeof domain.name) {
    return Status::error("boot pack: domain {}: name is not NUL-terminated within {} bytes", index, sizeof domain.name);
  }
  name = {domain.name, length};
  if (!is_valid_domain_name(name)) {
    return Status::error("boot pack: domain {}: name is empty or has characters outside [a-z0-9_-]", index);
  }
  return Status::ok();
}

// Where the domain's image and device tree lie in the pack.
Status check_blobs(const BootPackDomain& d, std::string_view name, uint64_t payload, uint64_t total) {
  if (d.image_offset % kBlobAlignment != 0 || !inside(d.image_offset, d.image_size, payload, total)) {
    return domain_error(name, "image bytes [{:#x}, +{:#x}) misaligned or outside the pack payload [{:#x}, {:#x})",
                        d.image_offset, d.image_size, payload, total);
  }
  if (d.dtb_offset % kBlobAlignment != 0 || !inside(d.dtb_offset, d.dtb_size, payload, total)) {
    return domain_error(name, "device tree bytes [{:#x}, +{:#x}) misaligned or outside the pack payload [{:#x}, {:#x})",
                        d.dtb_offset, d.dtb_size, payload, total);
  }
  return Status::ok();
}

Status check_settings(const BootPackDomain& d, std::string_view name, const BootPackLimits& limits) {
  if (d.role >= std::size(kDomainRoleNames)) return domain_error(name, "unknown role {}", d.role);
  if ((d.flags & ~abi::kDomainFlagCritical) != 0) return domain_error(name, "unknown flags {:#x}", d.flags);
  if (d.vcpus == 0 || d.vcpus > abi::kMaxVcpusPerDomain) {
    return domain_error(name, "vcpus {} outside 1..{}", d.vcpus, abi::kMaxVcpusPerDomain);
  }
  if (d.reserved != 0) return domain_error(name, "reserved field is {:#x}, not 0", d.reserved);
  if ((d.affinity & ~limits.online_cpus) != 0) {
    return domain_error(name, "affinity {:#x} includes CPUs that are not online ({:#x})", d.affinity,
                        limits.online_cpus);
  }
  if ((d.budget_us == 0) != (d.period_us == 0)) {
    return domain_error(name, "budget {} us and period {} us: give both or neither", d.budget_us, d.period_us);
  }
  if (d.budget_us > d.period_us) {
    return domain_error(name, "budget {} us exceeds the period {} us", d.budget_us, d.period_us);
  }
  return Status::ok();
}

Status check_memory(const BootPackDomain& d, std::string_view name, const BootPackLimits& limits) {
  if (d.ipa_base == 0 || d.ipa_base % abi::kGuestRamAlignment != 0) {
    return domain_error(name, "ipa_base {:#x} is 0 or not 2 MiB aligned", d.ipa_base);
  }
  if (d.memory_size == 0 || d.memory_size % abi::kGuestRamAlignment != 0) {
    return domain_error(name, "memory_size {:#x} is 0 or not a multiple of 2 MiB", d.memory_size);
  }
  uint64_t ipa_limit = limits.ipa_bits >= 64 ? ~uint64_t{0} : uint64_t{1} << limits.ipa_bits;
  if (!inside(d.ipa_base, d.memory_size, 0, ipa_limit)) {
    return domain_error(name, "memory [{:#x}, +{:#x}) exceeds the {}-bit IPA space", d.ipa_base, d.memory_size,
                        limits.ipa_bits);
  }
  constexpr uint64_t kGicSize = abi::kGuestGicrBase + abi::kGuestGicrSize - abi::kGuestGicdBase;
  if (overlaps(d.ipa_base, d.memory_size, abi::kGuestGicdBase, kGicSize)) {
    return domain_error(name, "memory [{:#x}, {:#x}) overlaps the virtual GIC [{:#x}, {:#x})", d.ipa_base,
                        d.ipa_base + d.memory_size, abi::kGuestGicdBase, abi::kGuestGicdBase + kGicSize);
  }
  return Status::ok();
}

// The image and device tree inside the domain's memory, apart, and as
// booting.rst wants them. `image` and `dtb` are the blobs in the pack.
Status check_placement(const BootPackDomain& d, std::string_view name, std::span<const uint8_t> image,
                       std::span<const uint8_t> dtb) {
  Arm64Image header;
  Status image_status = read_arm64_image(image, header);
  if (!image_status) return domain_error(name, "{}", image_status.message());
  uint64_t ram_end = d.ipa_base + d.memory_size;
  if (!inside(d.image_ipa, header.effective_size, d.ipa_base, ram_end)) {
    return domain_error(name, "image [{:#x}, {:#x}) outside its memory [{:#x}, {:#x})", d.image_ipa,
                        d.image_ipa + header.effective_size, d.ipa_base, ram_end);
  }
  uint64_t image_base = d.image_ipa - header.text_offset;
  if (d.image_ipa - d.ipa_base < header.text_offset || image_base % abi::kGuestRamAlignment != 0) {
    return domain_error(name, "image at {:#x} is not text_offset {:#x} past a 2 MiB boundary of its memory",
                        d.image_ipa, header.text_offset);
  }
  if (d.entry_ipa % 4 != 0 || !inside(d.entry_ipa, 4, d.image_ipa, d.image_ipa + d.image_size)) {
    return domain_error(name, "entry {:#x} is not an instruction of the image [{:#x}, {:#x})", d.entry_ipa, d.image_ipa,
                        d.image_ipa + d.image_size);
  }

  if (dtb.size() < 8 || load_be32(dtb.data()) != kFdtMagic || load_be32(dtb.data() + 4) != dtb.size()) {
    return domain_error(name, "device tree of {} bytes has no FDT magic or a different totalsize", dtb.size());
  }
  if (dtb.size() > BootPack::kMaxDeviceTreeSize) {
    return domain_error(name, "device tree of {:#x} bytes is larger than 2 MiB", dtb.size());
  }
  if (d.dtb_ipa % kBlobAlignment != 0 || !inside(d.dtb_ipa, d.dtb_size, d.ipa_base, ram_end)) {
    return domain_error(name, "device tree [{:#x}, {:#x}) misaligned or outside its memory [{:#x}, {:#x})", d.dtb_ipa,
                        d.dtb_ipa + d.dtb_size, d.ipa_base, ram_end);
  }
  if (d.dtb_ipa / abi::kGuestRamAlignment != (d.dtb_ipa + d.dtb_size - 1) / abi::kGuestRamAlignment) {
    return domain_error(name, "device tree [{:#x}, {:#x}) crosses a 2 MiB boundary", d.dtb_ipa, d.dtb_ipa + d.dtb_size);
  }
  if (overlaps(d.image_ipa, header.effective_size, d.dtb_ipa, d.dtb_size)) {
    return domain_error(name, "device tree [{:#x}, {:#x}) overlaps the image [{:#x}, {:#x})", d.dtb_ipa,
                        d.dtb_ipa + d.dtb_size, d.image_ipa, d.image_ipa + header.effective_size);
  }
  return Status::ok();
}

}  // namespace

std::optional<abi::DomainRole> domain_role_from_name(std::string_view name) {
  for (size_t i = 0; i < std::size(kDomainRoleNames); ++i) {
    if (kDomainRoleNames[i] == name) return static_cast<abi::DomainRole>(i);
  }
  return std::nullopt;
}

bool is_valid_domain_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxDomainNameLength) return false;
  for (char c : name) {
    bool valid = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!valid) return false;
  }
  return true;
}

Status read_arm64_image(std::span<const uint8_t> image, Arm64Image& out) {
  if (image.size() < Arm64Image::kHeaderSize) {
    return Status::error("image of {} bytes is too small for an arm64 Image header", image.size());
  }
  for (size_t i = 0; i < sizeof kImageMagic; ++i) {
    if (image[kImageMagicOffset + i] != kImageMagic[i]) {
      return Status::error("not an arm64 Image (no \"ARM\\x64\" magic at offset {})", kImageMagicOffset);
    }
  }
  uint64_t header_image_size = load_le64(image.data() + 16);
  uint64_t flags = load_le64(image.data() + 24);
  if (header_image_size == 0) {
    out = {kLegacyTextOffset, image.size()};
    return Status::ok();
  }
  if ((flags & kImageFlagBigEndian) != 0) return Status::error("big-endian arm64 Images are not supported");
  uint64_t text_offset = load_le64(image.data() + 8);
  if (text_offset % kPageSize != 0) {
    return Status::error("arm64 Image text_offset {:#x} is not a multiple of 4 KiB", text_offset);
  }
  out = {text_offset, header_image_size > image.size() ? header_image_size : image.size()};
  return Status::ok();
}

Status BootPack::open(const void* pack, size_t available, const BootPackLimits& limits, BootPack& out) {
  const auto* bytes = static_cast<const uint8_t*>(pack);
  if (available < sizeof(BootPackHeader)) {
    return Status::error("boot pack: {} bytes is too small for a header", available);
  }
  BootPackHeader header;
  __builtin_memcpy(&header, bytes, sizeof header);
  if (__builtin_memcmp(header.magic, abi::kBootPackMagic, sizeof header.magic) != 0) {
    return Status::error("boot pack: no SEPTPACK magic");
  }
  if (header.version != abi::kBootPackVersion) {
    return Status::error("boot pack: version {}, the core reads version {}", header.version, abi::kBootPackVersion);
  }
  if (header.header_size != sizeof(BootPackHeader) || header.domain_size != sizeof(BootPackDomain)) {
    return Status::error("boot pack: header_size {} and domain_size {}, expected {} and {}", header.header_size,
                         header.domain_size, sizeof(BootPackHeader), sizeof(BootPackDomain));
  }
  if (header.domain_count > abi::kMaxBootDomains) {
    return Status::error("boot pack: {} domains, at most {}", header.domain_count, abi::kMaxBootDomains);
  }
  uint64_t payload = kTableOffset + uint64_t{header.domain_count} * sizeof(BootPackDomain);
  if (header.total_size < payload || header.total_size > available) {
    return Status::error("boot pack: total_size {:#x} outside [{:#x}, {:#x}]", header.total_size, payload, available);
  }
  if (!inside(header.manifest_offset, header.manifest_size, payload, header.total_size)) {
    return Status::error("boot pack: manifest [{:#x}, +{:#x}) outside the payload [{:#x}, {:#x})",
                         header.manifest_offset, header.manifest_size, payload, header.total_size);
  }

  for (uint32_t i = 0; i < header.domain_count; ++i) {
    BootPackDomain domain = read_domain(bytes, i);
    std::string_view name;
    SEPTUM_TRY(check_name(domain, i, name));
    for (uint32_t j = 0; j < i; ++j) {
      BootPackDomain earlier = read_domain(bytes, j);  // its name was checked on its turn
      if (std::string_view(earlier.name) == name) {
        return Status::error("boot pack: domains {} and {} are both named \"{}\"", j, i, name);
      }
    }
    SEPTUM_TRY(check_blobs(domain, name, payload, header.total_size));
    SEPTUM_TRY(check_settings(domain, name, limits));
    SEPTUM_TRY(check_memory(domain, name, limits));
    SEPTUM_TRY(check_placement(domain, name, {bytes + domain.image_offset, domain.image_size},
                               {bytes + domain.dtb_offset, domain.dtb_size}));
  }
  out.pack_ = bytes;
  out.header_ = header;
  return Status::ok();
}

abi::BootPackDomain BootPack::domain(uint32_t index) const { return read_domain(pack_, index); }

std::span<const uint8_t> BootPack::image(uint32_t index) const {
  BootPackDomain d = domain(index);
  return {pack_ + d.image_offset, d.image_size};
}

std::span<const uint8_t> BootPack::device_tree(uint32_t index) const {
  BootPackDomain d = domain(index);
  return {pack_ + d.dtb_offset, d.dtb_size};
}

std::string_view BootPack::manifest() const {
  return {reinterpret_cast<const char*>(pack_ + header_.manifest_offset), header_.manifest_size};
}

}  // namespace septum
