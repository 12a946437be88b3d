// The boot manifest parser: values, defaults, the quoting and comment rules,
// and every error on the line it is about.
#include "boot/manifest.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace septum::boot {
namespace {

constexpr uint64_t kMiB = 1 << 20;

std::vector<Diagnostic> problems(std::string_view text) {
  Manifest manifest;
  return parse_manifest(text, manifest);
}

// The single domain `text` describes, which must parse cleanly.
DomainSpec only_domain(std::string_view text) {
  Manifest manifest;
  std::vector<Diagnostic> found = parse_manifest(text, manifest);
  EXPECT_TRUE(found.empty()) << found.front().line << ": " << found.front().reason;
  EXPECT_EQ(manifest.domains.size(), 1u);
  return manifest.domains.empty() ? DomainSpec{} : manifest.domains.front();
}

// A one-domain manifest with image and memory, plus `line` as line 4.
std::string with_line(std::string_view line) {
  return "[domain a]\nimage = a.Image\nmemory = 4M\n" + std::string(line) + "\n";
}

// The reason given for line 4 of with_line(line), or "" if none.
std::string reason_for(std::string_view line) {
  for (const Diagnostic& d : problems(with_line(line))) {
    if (d.line == 4) return d.reason;
  }
  return "";
}

TEST(ManifestTest, ReadsEveryKey) {
  Manifest manifest;
  std::vector<Diagnostic> found = parse_manifest(R"(# A comment line
[domain console]
role = console
image = //services/console:image
memory = 16M
critical = yes

[domain web]   # a comment after a header
kind = linux
image = images/web.Image
initrd = //tests/linux:initramfs
memory = 1G
vcpus = 4
affinity = 0-1, 3
bootargs = "console=hvc0 # kept"  # dropped
ipa_base = 0x10000000000
budget = 500us
period = 2ms
)",
                                                 manifest);
  ASSERT_TRUE(found.empty()) << found.front().line << ": " << found.front().reason;
  ASSERT_EQ(manifest.domains.size(), 2u);

  const DomainSpec& console = manifest.domains[0];
  EXPECT_EQ(console.name, "console");
  EXPECT_EQ(console.line, 2);
  EXPECT_EQ(console.role, abi::DomainRole::console);
  EXPECT_EQ(console.image, "//services/console:image");
  EXPECT_EQ(console.image_line, 4);
  EXPECT_EQ(console.memory_size, 16 * kMiB);
  EXPECT_EQ(console.memory_line, 5);
  EXPECT_TRUE(console.critical);
  EXPECT_EQ(console.kind, ImageKind::sdk);
  EXPECT_EQ(console.initrd, "");
  EXPECT_EQ(console.initrd_line, 0);

  const DomainSpec& web = manifest.domains[1];
  EXPECT_EQ(web.name, "web");
  EXPECT_EQ(web.role, abi::DomainRole::guest);
  EXPECT_EQ(web.kind, ImageKind::linux_kernel);
  EXPECT_EQ(web.image, "images/web.Image");
  EXPECT_EQ(web.initrd, "//tests/linux:initramfs");
  EXPECT_EQ(web.initrd_line, 11);
  EXPECT_EQ(web.memory_size, 1024 * kMiB);
  EXPECT_EQ(web.vcpus, 4u);
  EXPECT_EQ(web.affinity, 0b1011u);
  EXPECT_FALSE(web.critical);
  EXPECT_EQ(web.bootargs, "console=hvc0 # kept");
  EXPECT_EQ(web.ipa_base, 0x10000000000u);
  EXPECT_EQ(web.budget_us, 500u);
  EXPECT_EQ(web.period_us, 2000u);
}

TEST(ManifestTest, Defaults) {
  DomainSpec d = only_domain("[domain a]\nimage=a.Image\nmemory=2M");
  EXPECT_EQ(d.role, abi::DomainRole::guest);
  EXPECT_EQ(d.kind, ImageKind::sdk);
  EXPECT_EQ(d.initrd, "");
  EXPECT_EQ(d.vcpus, 1u);
  EXPECT_EQ(d.affinity, 0u);
  EXPECT_FALSE(d.critical);
  EXPECT_EQ(d.bootargs, "");
  EXPECT_EQ(d.ipa_base, abi::kGuestRamBase);
  EXPECT_EQ(d.budget_us, 0u);
  EXPECT_EQ(d.period_us, 0u);
}

TEST(ManifestTest, Sizes) {
  const std::pair<std::string, uint64_t> kSizes[] = {
      {"2M", 2 * kMiB},   {"64M", 64 * kMiB},    {"1G", 1024 * kMiB},    {"2MiB", 2 * kMiB},    {"4096K", 4 * kMiB},
      {"1T", kMiB << 20}, {"2GiB", 2048 * kMiB}, {"0x400000", 4 * kMiB}, {"6291456", 6 * kMiB},
  };
  for (const auto& [text, bytes] : kSizes) {
    EXPECT_EQ(only_domain("[domain a]\nimage = a\nmemory = " + text).memory_size, bytes) << text;
  }
  for (std::string_view bad :
       {"64MB", "64m", "1.5G", "M", "0x", "-2M", "2 M", "99999999999999T", "0x1fffffffffffffffff"}) {
    EXPECT_EQ(problems("[domain a]\nimage = a\nmemory = " + std::string(bad)),
              (std::vector<Diagnostic>{{3, "memory '" + std::string(bad) + "' is not a size (e.g. 64M, 1G)"}}));
  }
  EXPECT_EQ(problems("[domain a]\nimage = a\nmemory = 3M"),
            (std::vector<Diagnostic>{{3, "memory '3M' is not a non-zero multiple of 2M"}}));
  EXPECT_EQ(problems("[domain a]\nimage = a\nmemory = 0"),
            (std::vector<Diagnostic>{{3, "memory '0' is not a non-zero multiple of 2M"}}));
}

TEST(ManifestTest, Durations) {
  DomainSpec d = only_domain(with_line("budget = 1s\nperiod = 3s"));
  EXPECT_EQ(d.budget_us, 1000000u);
  EXPECT_EQ(d.period_us, 3000000u);
  for (std::string_view bad : {"2", "2 ms", "0ms", "2h", "ms", "1.5ms", "99999999999999999s"}) {
    EXPECT_EQ(reason_for("budget = " + std::string(bad)),
              "budget '" + std::string(bad) + "' is not a positive duration (e.g. 500us, 2ms, 1s)");
  }
}

TEST(ManifestTest, Affinity) {
  EXPECT_EQ(only_domain(with_line("affinity = any")).affinity, 0u);
  EXPECT_EQ(only_domain(with_line("affinity = 2")).affinity, 0b100u);
  EXPECT_EQ(only_domain(with_line("affinity = 1,3")).affinity, 0b1010u);
  EXPECT_EQ(only_domain(with_line("affinity = 0-2,5")).affinity, 0b100111u);
  EXPECT_EQ(only_domain(with_line("affinity = 63")).affinity, uint64_t{1} << 63);
  EXPECT_EQ(only_domain(with_line("affinity = 0-63")).affinity, ~uint64_t{0});
  for (std::string_view bad : {"64", "3-1", "x", "1,,2", "1-", "-1", "0x", "any,1"}) {
    EXPECT_EQ(reason_for("affinity = " + std::string(bad)),
              "affinity '" + std::string(bad) + "' is not 'any' or a list of CPUs 0-63 and ranges (e.g. 0-3,6)");
  }
}

TEST(ManifestTest, OtherValues) {
  EXPECT_EQ(only_domain(with_line("vcpus = 8")).vcpus, 8u);
  EXPECT_EQ(reason_for("vcpus = 0"), "vcpus '0' is not a number from 1 to 8");
  EXPECT_EQ(reason_for("vcpus = 9"), "vcpus '9' is not a number from 1 to 8");
  EXPECT_EQ(only_domain(with_line("role = test")).role, abi::DomainRole::test);
  EXPECT_EQ(
      reason_for("role = dom0"),
      "unknown role 'dom0' (roles: guest, console, xenstore, control, sched, qos, introspect, vtpm, mgmt, driver, "
      "test)");
  EXPECT_EQ(reason_for("critical = true"), "critical 'true' is not yes or no");
  EXPECT_EQ(reason_for("ipa_base = 0x40100000"), "ipa_base '0x40100000' is not a non-zero multiple of 2M below 2^48");
  EXPECT_EQ(reason_for("ipa_base = 0"), "ipa_base '0' is not a non-zero multiple of 2M below 2^48");
  EXPECT_EQ(reason_for("ipa_base = 0x1000000000000"),
            "ipa_base '0x1000000000000' is not a non-zero multiple of 2M below 2^48");
  EXPECT_EQ(reason_for("devices = uart0"), "device passthrough is not supported yet");
  EXPECT_EQ(reason_for("image = \"\""), "'image' given twice (first on line 2)");
  EXPECT_EQ(problems("[domain a]\nimage = \"\"\nmemory = 4M"),
            (std::vector<Diagnostic>{{2, "image must not be empty"}}));
}

TEST(ManifestTest, LinuxKindAndInitrd) {
  EXPECT_EQ(only_domain(with_line("kind = sdk")).kind, ImageKind::sdk);
  EXPECT_EQ(only_domain(with_line("kind = linux")).kind, ImageKind::linux_kernel);
  EXPECT_EQ(reason_for("kind = Linux"), "kind 'Linux' is not sdk or linux");
  DomainSpec d = only_domain(with_line("kind = linux\ninitrd = boot/initramfs.cpio.gz"));
  EXPECT_EQ(d.initrd, "boot/initramfs.cpio.gz");
  EXPECT_EQ(d.initrd_line, 5);
  // kind may come after initrd; what counts is the section.
  EXPECT_EQ(only_domain(with_line("initrd = i.gz\nkind = linux")).initrd_line, 4);
  EXPECT_EQ(reason_for("initrd = i.gz"), "an initrd is for a Linux kernel; add kind = linux");
  EXPECT_EQ(problems(with_line("kind = sdk\ninitrd = i.gz")),
            (std::vector<Diagnostic>{{5, "an initrd is for a Linux kernel; add kind = linux"}}));
  EXPECT_EQ(reason_for("initrd = \"\""), "initrd must not be empty");
}

TEST(ManifestTest, Quoting) {
  EXPECT_EQ(only_domain(with_line(R"(bootargs = "a \"b\" \\ c")")).bootargs, R"(a "b" \ c)");
  EXPECT_EQ(only_domain(with_line(R"(bootargs = "")")).bootargs, "");
  EXPECT_EQ(only_domain(with_line("bootargs = console=hvc0 quiet   # comment")).bootargs, "console=hvc0 quiet");
  EXPECT_EQ(only_domain(with_line("bootargs = \"  padded  \"")).bootargs, "  padded  ");
  EXPECT_EQ(reason_for(R"(bootargs = "open)"), "missing closing quote");
  EXPECT_EQ(reason_for(R"(bootargs = "a" b)"), "text after the closing quote");
  EXPECT_EQ(reason_for(R"(bootargs = "a\n")"), "unknown escape in a quoted value (only \\\" and \\\\)");
  EXPECT_EQ(reason_for(R"(bootargs = "a\)"), "unknown escape in a quoted value (only \\\" and \\\\)");
  EXPECT_EQ(reason_for("bootargs ="), "missing value");
  EXPECT_EQ(reason_for("bootargs = # nothing"), "missing value");
}

TEST(ManifestTest, LineEndingsBlanksAndComments) {
  DomainSpec d = only_domain("\r\n  # comment\r\n\t[domain a]\t\r\n\timage\t=\ta.Image\r\nmemory = 2M\r\n\n");
  EXPECT_EQ(d.line, 3);
  EXPECT_EQ(d.image, "a.Image");
  EXPECT_EQ(d.memory_line, 5);
}

TEST(ManifestTest, StructureErrors) {
  EXPECT_EQ(problems("image = a\n[domain a]\nimage = a\nmemory = 2M\n"),
            (std::vector<Diagnostic>{{1, "'image' outside a [domain NAME] section"}}));
  EXPECT_EQ(problems("[guest a]\nimage = a\n[domain b]\nimage = b\nmemory = 2M"),
            (std::vector<Diagnostic>{{1, "unknown section [guest a]; expected [domain NAME]"}}));
  EXPECT_EQ(problems("[domain a\n[domain b] x\n[domain]\n[domain a b]\n[domain Web]\n"),
            (std::vector<Diagnostic>{
                {1, "section header without ']'"},
                {2, "text after the section header"},
                {3, "[domain NAME] without a name"},
                {4, "domain name 'a b' is not 1 to 31 characters of a-z, 0-9, '_' and '-'"},
                {5, "domain name 'Web' is not 1 to 31 characters of a-z, 0-9, '_' and '-'"},
            }));
  EXPECT_EQ(reason_for("memory"), "expected 'key = value', '[domain NAME]' or a comment");
  EXPECT_EQ(reason_for("= 4M"), "expected 'key = value', '[domain NAME]' or a comment");
  EXPECT_EQ(reason_for("Memory = 4M"),
            "unknown key 'Memory' (keys: role, kind, image, initrd, memory, vcpus, affinity, critical, bootargs, "
            "ipa_base, budget, period, devices)");
  EXPECT_EQ(reason_for("memory = 8M"), "'memory' given twice (first on line 3)");
  EXPECT_EQ(reason_for(std::string("bootargs = \"a\x01\"")), "control character 0x1 in line");
  EXPECT_EQ(reason_for(std::string("bootargs = a\0b", 14)), "control character 0x0 in line");
  EXPECT_EQ(problems(""), (std::vector<Diagnostic>{{0, "no [domain NAME] section"}}));
  EXPECT_EQ(problems("# only comments\n"), (std::vector<Diagnostic>{{0, "no [domain NAME] section"}}));
}

TEST(ManifestTest, DomainErrors) {
  EXPECT_EQ(problems("[domain a]\nimage = a\nmemory = 2M\n[domain a]\nimage = a\nmemory = 2M\n"),
            (std::vector<Diagnostic>{{4, "duplicate domain 'a' (first on line 1)"}}));
  std::vector<Diagnostic> missing = {
      {1, "domain 'a' has no image"},
      {1, "domain 'a' has no memory"},
      {3, "domain 'b' has no memory"},
  };
  EXPECT_EQ(problems("[domain a]\nvcpus = 2\n[domain b]\nimage = b\n"), missing);
  EXPECT_EQ(reason_for("budget = 1ms"), "budget and period go together; give both or neither");
  EXPECT_EQ(reason_for("period = 1ms"), "budget and period go together; give both or neither");
  EXPECT_EQ(problems(with_line("period = 1ms\nbudget = 2ms")),
            (std::vector<Diagnostic>{{5, "budget 2000 us exceeds the period 1000 us"}}));
  EXPECT_TRUE(problems(with_line("period = 1ms\nbudget = 1000us")).empty());
}

TEST(ManifestTest, MemoryRange) {
  EXPECT_EQ(problems("[domain a]\nimage = a\nipa_base = 0x7e00000\nmemory = 4M\n"),
            (std::vector<Diagnostic>{
                {4, "memory [0x7e00000, +0x400000) overlaps the virtual GIC [0x8000000, 0x81a0000); move ipa_base"}}));
  EXPECT_TRUE(problems("[domain a]\nimage = a\nipa_base = 0x7c00000\nmemory = 4M\n").empty());
  EXPECT_TRUE(problems("[domain a]\nimage = a\nipa_base = 0x8200000\nmemory = 4M\n").empty());
  // The grant-table window and the magic pages follow each other.
  EXPECT_EQ(problems("[domain a]\nimage = a\nipa_base = 0x10000000\nmemory = 1G\n"),
            (std::vector<Diagnostic>{{4, "memory [0x10000000, +0x40000000) overlaps the grant-table window and magic "
                                         "pages [0x38000000, 0x3a000000); move ipa_base"}}));
  EXPECT_EQ(problems("[domain a]\nimage = a\nipa_base = 0x39e00000\nmemory = 4M\n").size(), 1u);
  EXPECT_TRUE(problems("[domain a]\nimage = a\nipa_base = 0x10000000\nmemory = 640M\n").empty());
  EXPECT_TRUE(problems("[domain a]\nimage = a\nipa_base = 0x3a000000\nmemory = 64M\n").empty());
  EXPECT_EQ(problems("[domain a]\nimage = a\nipa_base = 0xffffffe00000\nmemory = 4M\n"),
            (std::vector<Diagnostic>{{4, "memory [0xffffffe00000, +0x400000) ends beyond the 48-bit IPA space"}}));
  EXPECT_TRUE(problems("[domain a]\nimage = a\nipa_base = 0xffffffc00000\nmemory = 4M\n").empty());
  EXPECT_EQ(problems("[domain a]\nimage = a\nmemory = 1T\nipa_base = 0xff0000200000"),
            (std::vector<Diagnostic>{{3, "memory [0xff0000200000, +0x10000000000) ends beyond the 48-bit IPA space"}}));
}

TEST(ManifestTest, AtMostSixteenDomains) {
  std::string text;
  for (int i = 0; i < 16; ++i) text += "[domain d" + std::to_string(i) + "]\nimage = a\nmemory = 2M\n";
  Manifest manifest;
  EXPECT_TRUE(parse_manifest(text, manifest).empty());
  EXPECT_EQ(manifest.domains.size(), 16u);
  text += "[domain d16]\nimage = a\nmemory = 2M\n";
  EXPECT_EQ(problems(text), (std::vector<Diagnostic>{{49, "more than 16 domains"}}));
}

TEST(ManifestTest, ReportsEveryProblemInLineOrder) {
  std::vector<Diagnostic> found = problems("[domain a]\nimage = a\nmemory = 5M\nvcpus = x\n[domain b]\nmemory = 2M\n");
  EXPECT_EQ(found, (std::vector<Diagnostic>{
                       {3, "memory '5M' is not a non-zero multiple of 2M"},
                       {4, "vcpus 'x' is not a number from 1 to 8"},
                       {5, "domain 'b' has no image"},
                   }));
}

TEST(ManifestTest, Labels) {
  EXPECT_TRUE(is_label("//tests/domains:ipi"));
  EXPECT_TRUE(is_label("@//tests/domains:ipi"));
  EXPECT_FALSE(is_label("images/ipi.Image"));
  EXPECT_FALSE(is_label("/abs/ipi.Image"));
  EXPECT_EQ(canonical_label("//tests/domains:ipi"), "//tests/domains:ipi");
  EXPECT_EQ(canonical_label("@//tests/domains:ipi"), "//tests/domains:ipi");
  EXPECT_EQ(canonical_label("@@//tests/domains:ipi"), "//tests/domains:ipi");
  EXPECT_EQ(canonical_label("//tests/domains/ipi"), "//tests/domains/ipi:ipi");
  EXPECT_EQ(canonical_label("@other//pkg:x"), "@other//pkg:x");
}

}  // namespace
}  // namespace septum::boot
