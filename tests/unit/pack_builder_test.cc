// The pack builder: where images and device trees go in each domain's
// memory, what does not fit, and that the core's reader gets back exactly the
// manifest's domains.
#include "boot/pack_builder.h"

#include <gtest/gtest.h>

#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernel/boot_pack.h"
#include "kernel/fdt.h"
#include "kernel/platform.h"

namespace septum::boot {
namespace {

constexpr uint64_t kMiB = 1 << 20;

std::vector<uint8_t> arm64_image(uint64_t text_offset, uint64_t image_size, size_t file_size = 72) {
  std::vector<uint8_t> image(file_size);
  for (int i = 0; i < 8; ++i) {
    image[8 + i] = static_cast<uint8_t>(text_offset >> (8 * i));
    image[16 + i] = static_cast<uint8_t>(image_size >> (8 * i));
  }
  image[24] = 0xa;
  std::memcpy(&image[56], "ARM\x64", 4);
  return image;
}

DomainSpec spec(std::string name, uint64_t memory_size = 4 * kMiB) {
  DomainSpec d;
  d.name = std::move(name);
  d.line = 1;
  d.image = d.name + ".Image";
  d.image_line = 2;
  d.memory_size = memory_size;
  d.memory_line = 3;
  return d;
}

TEST(PackBuilderTest, PlacesTheImageAtItsOffsetAndTheDeviceTreeInTheLast2MiB) {
  PlacedDomain placed;
  DomainSpec web = spec("web", 64 * kMiB);
  web.vcpus = 2;
  ASSERT_EQ(place_domain(web, arm64_image(0x80000, 0x200000), placed), std::nullopt);
  const abi::BootPackDomain& d = placed.record;
  EXPECT_STREQ(d.name, "web");
  EXPECT_EQ(d.vcpus, 2u);
  EXPECT_EQ(d.image_ipa, 0x40080000u);
  EXPECT_EQ(d.entry_ipa, d.image_ipa);
  EXPECT_EQ(d.image_size, 72u);
  EXPECT_EQ(d.dtb_size, placed.dtb.size());
  EXPECT_EQ(d.dtb_ipa, 0x40000000 + 62 * kMiB);

  // The device tree describes the domain.
  Fdt fdt;
  ASSERT_TRUE(Fdt::open(placed.dtb.data(), placed.dtb.size(), fdt).is_ok());
  Platform platform;
  ASSERT_TRUE(parse_platform(fdt, platform).is_ok());
  EXPECT_EQ(platform.memory[0].size, 64 * kMiB);
  EXPECT_EQ(platform.cpu_count, 2u);
}

TEST(PackBuilderTest, ALegacyImageGoesAt0x80000) {
  PlacedDomain placed;
  ASSERT_EQ(place_domain(spec("old"), arm64_image(0x1234, 0), placed), std::nullopt);
  EXPECT_EQ(placed.record.image_ipa, 0x40080000u);
}

TEST(PackBuilderTest, ImageAndDeviceTreeMustFit) {
  PlacedDomain placed;
  constexpr uint64_t room = 2 * kMiB;  // below the device tree
  EXPECT_EQ(place_domain(spec("a"), arm64_image(0, room), placed), std::nullopt);
  EXPECT_EQ(place_domain(spec("a"), arm64_image(0x1000, room - 0x1000), placed), std::nullopt);

  std::optional<Diagnostic> problem = place_domain(spec("a"), arm64_image(0, room + 1), placed);
  ASSERT_TRUE(problem);
  EXPECT_EQ(problem->line, 3);
  EXPECT_EQ(problem->reason,
            "memory 4M is too small for the image (0x200001 bytes at offset 0x0) and its device tree (the last 2M)");
  problem = place_domain(spec("a"), arm64_image(4 * kMiB, 0x1000), placed);
  ASSERT_TRUE(problem);
  EXPECT_EQ(problem->line, 3);
  EXPECT_TRUE(place_domain(spec("a", 2 * kMiB), arm64_image(0, 0x1000), placed));  // all of it for the device tree
  // A file larger than its header says counts with its file size.
  EXPECT_TRUE(place_domain(spec("a"), arm64_image(0, 0x1000, room + 8), placed));
}

TEST(PackBuilderTest, RejectsWhatIsNotAnArm64Image) {
  PlacedDomain placed;
  std::vector<uint8_t> image = arm64_image(0, 0x1000);
  image[57] = 'X';
  std::optional<Diagnostic> problem = place_domain(spec("a"), image, placed);
  ASSERT_TRUE(problem);
  EXPECT_EQ(*problem, (Diagnostic{2, "image 'a.Image': not an arm64 Image (no \"ARM\\x64\" magic at offset 56)"}));
  problem = place_domain(spec("a"), arm64_image(0x10, 0x1000), placed);
  ASSERT_TRUE(problem);
  EXPECT_EQ(problem->line, 2);
}

DomainSpec linux_spec(uint64_t memory_size) {
  DomainSpec d = spec("linux", memory_size);
  d.kind = ImageKind::linux_kernel;
  d.initrd = "initramfs.cpio.gz";
  d.initrd_line = 4;
  d.bootargs = "console=hvc0";
  return d;
}

// The initrd follows the image's effective end (BSS included) at the next
// 2 MiB boundary; the device tree says where it is.
TEST(PackBuilderTest, PlacesTheInitrdAfterTheImage) {
  PlacedDomain placed;
  std::vector<uint8_t> initrd(0x123456, 0xa5);
  ASSERT_EQ(place_domain(linux_spec(64 * kMiB), arm64_image(0, 0x2bd0000, 4096), initrd, placed), std::nullopt);
  EXPECT_EQ(placed.record.image_ipa, 0x40000000u);
  EXPECT_EQ(placed.initrd_ipa, 0x40000000u + 0x2c00000);
  EXPECT_EQ(placed.initrd, initrd);
  EXPECT_EQ(placed.record.dtb_ipa, 0x40000000 + 62 * kMiB);

  Fdt fdt;
  ASSERT_TRUE(Fdt::open(placed.dtb.data(), placed.dtb.size(), fdt).is_ok());
  auto chosen = fdt.find_path("/chosen");
  ASSERT_TRUE(chosen);
  EXPECT_EQ(Fdt::Cells(*fdt.property(*chosen, "linux,initrd-start")).read(2), placed.initrd_ipa);
  EXPECT_EQ(Fdt::Cells(*fdt.property(*chosen, "linux,initrd-end")).read(2), placed.initrd_ipa + initrd.size());
  EXPECT_TRUE(fdt.find_path("/hypervisor"));

  // Already aligned: right at the image's end; text_offset counts.
  ASSERT_EQ(place_domain(linux_spec(64 * kMiB), arm64_image(0x200000, 0x400000), initrd, placed), std::nullopt);
  EXPECT_EQ(placed.initrd_ipa, 0x40600000u);

  // Without an initrd nothing is placed and /chosen has no initrd.
  DomainSpec plain = linux_spec(64 * kMiB);
  plain.initrd.clear();
  ASSERT_EQ(place_domain(plain, arm64_image(0, 0x400000), placed), std::nullopt);
  EXPECT_TRUE(placed.initrd.empty());
  EXPECT_EQ(placed.initrd_ipa, 0u);
  ASSERT_TRUE(Fdt::open(placed.dtb.data(), placed.dtb.size(), fdt).is_ok());
  EXPECT_FALSE(fdt.property(*fdt.find_path("/chosen"), "linux,initrd-start"));
  EXPECT_EQ(pack_limitation(plain, placed), std::nullopt);
}

TEST(PackBuilderTest, InitrdMustFitBelowTheDeviceTree) {
  PlacedDomain placed;
  // 8M: image in [0, 4M), initrd from 4M, device tree from 6M.
  EXPECT_EQ(place_domain(linux_spec(8 * kMiB), arm64_image(0, 0x400000), std::vector<uint8_t>(2 * kMiB), placed),
            std::nullopt);
  std::optional<Diagnostic> problem =
      place_domain(linux_spec(8 * kMiB), arm64_image(0, 0x400000), std::vector<uint8_t>(2 * kMiB + 1), placed);
  ASSERT_TRUE(problem);
  EXPECT_EQ(*problem, (Diagnostic{3, "memory 8M is too small for the image (0x400000 bytes at offset 0x0), the initrd "
                                     "(0x200001 bytes at offset 0x400000) and the device tree (the last 2M)"}));
  // An image reaching the device tree leaves no room at all.
  problem = place_domain(linux_spec(8 * kMiB), arm64_image(0, 0x600000), std::vector<uint8_t>(1), placed);
  ASSERT_TRUE(problem);
  EXPECT_EQ(problem->line, 3);
  EXPECT_EQ(place_domain(linux_spec(8 * kMiB), arm64_image(0, 0x1000), {}, placed),
            (Diagnostic{4, "initrd 'initramfs.cpio.gz' is empty"}));
}

TEST(PackBuilderTest, ALinuxImageMustGiveItsSize) {
  PlacedDomain placed;
  EXPECT_EQ(place_domain(linux_spec(8 * kMiB), arm64_image(0, 0), std::vector<uint8_t>(1), placed),
            (Diagnostic{2, "image 'linux.Image': a Linux Image for kind = linux must give its image_size (Linux 3.17+)"}));
  EXPECT_EQ(place_domain(spec("sdk", 8 * kMiB), arm64_image(0, 0), placed), std::nullopt);  // legacy SDK images do
}

// Pack version 1 cannot carry an initrd: mkboot says so, build_pack refuses.
TEST(PackBuilderTest, PacksHaveNoInitrdYet) {
  std::vector<PlacedDomain> placed(1);
  DomainSpec guest = linux_spec(64 * kMiB);
  ASSERT_EQ(place_domain(guest, arm64_image(0, 0x400000), std::vector<uint8_t>(100), placed[0]), std::nullopt);
  EXPECT_EQ(pack_limitation(guest, placed[0]),
            (Diagnostic{4, "initrd 'initramfs.cpio.gz': boot packs (version 1) have no field for an initrd yet; "
                           "see boot/README.md"}));
  EXPECT_THROW(build_pack("[domain linux]\n", placed), std::logic_error);
}

TEST(PackBuilderTest, TheCoreReadsBackTheManifestsDomains) {
  DomainSpec web = spec("web", 16 * kMiB);
  web.role = abi::DomainRole::console;
  web.vcpus = 3;
  web.affinity = 0b110;
  web.critical = true;
  web.budget_us = 1000;
  web.period_us = 4000;
  DomainSpec db = spec("db", 4 * kMiB);
  db.ipa_base = 0x10000000000;
  std::vector<PlacedDomain> placed(2);
  std::vector<uint8_t> web_image = arm64_image(0, 0x10000, 100);
  ASSERT_EQ(place_domain(web, web_image, placed[0]), std::nullopt);
  ASSERT_EQ(place_domain(db, arm64_image(0, 0x1000), placed[1]), std::nullopt);
  std::string manifest_text = "[domain web]\n...";
  std::vector<uint8_t> bytes = build_pack(manifest_text, placed);

  BootPack pack;
  Status status = BootPack::open(bytes.data(), bytes.size(), {48, 0b111}, pack);
  ASSERT_TRUE(status.is_ok()) << status.message();
  EXPECT_EQ(pack.total_size(), bytes.size());
  EXPECT_EQ(pack.total_size() % 8, 0u);
  EXPECT_EQ(pack.manifest(), manifest_text);
  ASSERT_EQ(pack.domain_count(), 2u);
  for (uint32_t i = 0; i < 2; ++i) {
    abi::BootPackDomain d = pack.domain(i);
    abi::BootPackDomain expected = placed[i].record;
    expected.image_offset = d.image_offset;
    expected.dtb_offset = d.dtb_offset;
    EXPECT_EQ(std::memcmp(&d, &expected, sizeof d), 0) << "domain " << i;
    EXPECT_EQ(d.image_offset % 8, 0u);
    EXPECT_EQ(d.dtb_offset % 8, 0u);
    EXPECT_EQ(std::vector<uint8_t>(pack.image(i).begin(), pack.image(i).end()), placed[i].image);
    EXPECT_EQ(std::vector<uint8_t>(pack.device_tree(i).begin(), pack.device_tree(i).end()), placed[i].dtb);
  }
  abi::BootPackDomain d = pack.domain(0);
  EXPECT_EQ(d.role, static_cast<uint32_t>(abi::DomainRole::console));
  EXPECT_EQ(d.flags, abi::kDomainFlagCritical);
  EXPECT_EQ(d.vcpus, 3u);
  EXPECT_EQ(d.affinity, 0b110u);
  EXPECT_EQ(d.budget_us, 1000u);
  EXPECT_EQ(d.period_us, 4000u);
  EXPECT_EQ(std::vector<uint8_t>(pack.image(0).begin(), pack.image(0).end()), web_image);
  EXPECT_EQ(pack.domain(1).ipa_base, 0x10000000000u);
}

}  // namespace
}  // namespace septum::boot
