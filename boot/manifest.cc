#include "boot/manifest.h"

#include <algorithm>
#include <iterator>
#include <optional>

#include "boot/text.h"
#include "kernel/boot_pack.h"

namespace septum::boot {

namespace {

constexpr uint64_t kIpaLimit = uint64_t{1} << kManifestIpaBits;
constexpr size_t kMaxAffinityCpus = 64;

std::string_view trim(std::string_view s) {
  size_t begin = s.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(" \t") - begin + 1);
}

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

// Decimal, or hexadecimal after "0x"; nullopt on anything else or overflow.
std::optional<uint64_t> parse_number(std::string_view text) {
  unsigned base = 10;
  if (text.starts_with("0x")) {
    base = 16;
    text.remove_prefix(2);
  }
  if (text.empty()) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    unsigned digit;
    if (c >= '0' && c <= '9') {
      digit = static_cast<unsigned>(c - '0');
    } else if (base == 16 && c >= 'a' && c <= 'f') {
      digit = static_cast<unsigned>(c - 'a' + 10);
    } else if (base == 16 && c >= 'A' && c <= 'F') {
      digit = static_cast<unsigned>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    if (value > (~uint64_t{0} - digit) / base) return std::nullopt;
    value = value * base + digit;
  }
  return value;
}

struct Unit {
  std::string_view suffix;
  uint64_t scale;
};

// Decimal digits followed by one of `units`; nullopt on anything else or overflow.
std::optional<uint64_t> parse_scaled(std::string_view text, std::span<const Unit> units) {
  size_t digits = text.find_first_not_of("0123456789");
  if (digits == 0 || digits == std::string_view::npos) return std::nullopt;
  for (const Unit& unit : units) {
    if (text.substr(digits) != unit.suffix) continue;
    auto value = parse_number(text.substr(0, digits));
    if (!value || *value > ~uint64_t{0} / unit.scale) return std::nullopt;
    return *value * unit.scale;
  }
  return std::nullopt;
}

// "64M", "1G", "2MiB", or a plain byte count.
std::optional<uint64_t> parse_size(std::string_view text) {
  static constexpr Unit kUnits[] = {
      {"K", 1ull << 10},   {"M", 1ull << 20},   {"G", 1ull << 30},   {"T", 1ull << 40},
      {"KiB", 1ull << 10}, {"MiB", 1ull << 20}, {"GiB", 1ull << 30}, {"TiB", 1ull << 40},
  };
  if (text.find_first_not_of("0123456789") == std::string_view::npos || text.starts_with("0x")) {
    return parse_number(text);
  }
  return parse_scaled(text, kUnits);
}

// "500us", "2ms", "1s", in microseconds.
std::optional<uint64_t> parse_duration_us(std::string_view text) {
  static constexpr Unit kUnits[] = {{"us", 1}, {"ms", 1000}, {"s", 1000000}};
  return parse_scaled(text, kUnits);
}

// "any", or CPU indices and ranges: "0-3,6".
std::optional<uint64_t> parse_affinity(std::string_view text) {
  if (text == "any") return 0;
  uint64_t mask = 0;
  while (true) {
    size_t comma = text.find(',');
    std::string_view item = trim(text.substr(0, comma));
    size_t dash = item.find('-');
    auto first = parse_number(trim(item.substr(0, dash)));
    auto last = dash == std::string_view::npos ? first : parse_number(trim(item.substr(dash + 1)));
    if (!first || !last || *first > *last || *last >= kMaxAffinityCpus) return std::nullopt;
    for (uint64_t cpu = *first; cpu <= *last; ++cpu) mask |= uint64_t{1} << cpu;
    if (comma == std::string_view::npos) return mask;
    text.remove_prefix(comma + 1);
  }
}

std::string list_of(std::span<const std::string_view> names) {
  std::string list;
  for (std::string_view name : names) list += (list.empty() ? "" : ", ") + std::string(name);
  return list;
}

// Each key's value parser stores the value in the spec, or returns why it is wrong.
using ValueParser = std::string (*)(std::string_view value, DomainSpec& spec);

struct Key {
  std::string_view name;
  ValueParser parse;
};

std::string parse_budget_or_period(std::string_view key, std::string_view value, uint64_t& out) {
  auto us = parse_duration_us(value);
  if (!us || *us == 0) {
    return std::string(key) + " " + quoted(value) + " is not a positive duration (e.g. 500us, 2ms, 1s)";
  }
  out = *us;
  return "";
}

constexpr Key kKeys[] = {
    {"role",
     [](std::string_view value, DomainSpec& spec) -> std::string {
       auto role = domain_role_from_name(value);
       if (!role) return "unknown role " + quoted(value) + " (roles: " + list_of(kDomainRoleNames) + ")";
       spec.role = *role;
       return "";
     }},
    {"kind",
     [](std::string_view value, DomainSpec& spec) -> std::string {
       for (size_t i = 0; i < std::size(kImageKindNames); ++i) {
         if (kImageKindNames[i] == value) {
           spec.kind = static_cast<ImageKind>(i);
           return "";
         }
       }
       return "kind " + quoted(value) + " is not sdk or linux";
     }},
    {"image",
     [](std::string_view value, DomainSpec& spec) -> std::string {
       if (value.empty()) return "image must not be empty";
       spec.image = value;
       return "";
     }},
    {"initrd",
     [](std::string_view value, DomainSpec& spec) -> std::string {
       if (value.empty()) return "initrd must not be empty";
       spec.initrd = value;
       return "";
     }},
    {"memory",
     [](std::string_view value, DomainSpec& spec) -> std::string {
       auto size = parse_size(value);
       if (!size) return "memory " + quoted(value) + " is not a size (e.g. 64M, 1G)";
       if (*size == 0 || *size % abi::kGuestRamAlignment != 0) {
         return "memory " + quoted(value) + " is not a non-zero multiple of 2M";
       }
       spec.memory_size = *size;
       return "";
     }},
    {"vcpus",
     [](std::string_view value, DomainSpec& spec) -> std::string {
       auto vcpus = parse_number(value);
       if (!vcpus || *vcpus == 0 || *vcpus > abi::kMaxVcpusPerDomain) {
         return "vcpus " + quoted(value) + " is not a number from 1 to " + std::to_string(abi::kMaxVcpusPerDomain);
       }
       spec.vcpus = static_cast<uint32_t>(*vcpus);
       return "";
     }},
    {"affinity",
     [](std::string_view value, DomainSpec& spec) -> std::string {
       auto mask = parse_affinity(value);
       if (!mask) {
         return "affinity " + quoted(value) + " is not 'any' or a list of CPUs 0-63 and ranges (e.g. 0-3,6)";
       }
       spec.affinity = *mask;
       return "";
     }},
    {"critical",
     [](std::string_view value, DomainSpec& spec) -> std::string {
       if (value != "yes" && value != "no") return "critical " + quoted(value) + " is not yes or no";
       spec.critical = value == "yes";
       return "";
     }},
    {"bootargs",
     [](std::string_view value, DomainSpec& spec) -> std::string {
       spec.bootargs = value;
       return "";
     }},
    {"ipa_base",
     [](std::string_view value, DomainSpec& spec) -> std::string {
       auto base = parse_number(value);
       if (!base || *base == 0 || *base % abi::kGuestRamAlignment != 0 || *base >= kIpaLimit) {
         return "ipa_base " + quoted(value) + " is not a non-zero multiple of 2M below 2^" +
                std::to_string(kManifestIpaBits);
       }
       spec.ipa_base = *base;
       return "";
     }},
    {"budget",
     [](std::string_view value, DomainSpec& spec) { return parse_budget_or_period("budget", value, spec.budget_us); }},
    {"period",
     [](std::string_view value, DomainSpec& spec) { return parse_budget_or_period("period", value, spec.period_us); }},
    {"devices", [](std::string_view, DomainSpec&) -> std::string { return "device passthrough is not supported yet"; }},
};
constexpr size_t kKeyCount = std::size(kKeys);

constexpr size_t key_index(std::string_view name) {
  for (size_t i = 0; i < kKeyCount; ++i) {
    if (kKeys[i].name == name) return i;
  }
  return kKeyCount;
}

// The domain whose section is being read.
struct OpenDomain {
  DomainSpec spec;
  int key_lines[kKeyCount] = {};  // where each key was given; 0 = not given
  bool valid = true;
};

class Parser {
 public:
  explicit Parser(Manifest& out) : out_(out) {}

  std::vector<Diagnostic> parse(std::string_view text) {
    out_ = {};
    int line_number = 0;
    while (!text.empty()) {
      size_t newline = text.find('\n');
      std::string_view line = text.substr(0, newline);
      text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
      if (line.ends_with('\r')) line.remove_suffix(1);
      line_ = ++line_number;
      parse_line(line);
    }
    close_domain();
    if (out_.domains.empty() && diagnostics_.empty()) error(0, "no [domain NAME] section");
    // A missing key is found when its section ends, after the lines below it.
    std::stable_sort(diagnostics_.begin(), diagnostics_.end(),
                     [](const Diagnostic& a, const Diagnostic& b) { return a.line < b.line; });
    return std::move(diagnostics_);
  }

 private:
  void error(int line, std::string reason) { diagnostics_.push_back({line, std::move(reason)}); }

  void error_here(std::string reason) {
    error(line_, std::move(reason));
    if (domain_) domain_->valid = false;
  }

  void parse_line(std::string_view line) {
    for (char c : line) {
      auto byte = static_cast<unsigned char>(c);
      if ((byte < 0x20 && c != '\t') || byte == 0x7f) return error_here("control character " + hex(byte) + " in line");
    }
    line = trim(line);
    if (line.empty() || line.front() == '#') return;
    if (line.front() == '[') return parse_section(line);
    parse_key_value(line);
  }

  void parse_section(std::string_view line) {
    close_domain();
    domain_.emplace();
    domain_->spec.line = line_;
    size_t close = line.find(']');
    if (close == std::string_view::npos) return error_here("section header without ']'");
    std::string_view after = trim(line.substr(close + 1));
    if (!after.empty() && after.front() != '#') return error_here("text after the section header");
    std::string_view inside = trim(line.substr(1, close - 1));
    size_t space = inside.find_first_of(" \t");
    std::string_view kind = inside.substr(0, space);
    std::string_view name = space == std::string_view::npos ? std::string_view{} : trim(inside.substr(space));
    if (kind != "domain") return error_here("unknown section [" + std::string(inside) + "]; expected [domain NAME]");
    if (name.empty()) return error_here("[domain NAME] without a name");
    if (!is_valid_domain_name(name)) {
      return error_here("domain name " + quoted(name) + " is not 1 to " + std::to_string(kMaxDomainNameLength) +
                        " characters of a-z, 0-9, '_' and '-'");
    }
    domain_->spec.name = name;
    for (const auto& [earlier, earlier_line] : names_) {
      if (earlier == name) {
        return error_here("duplicate domain " + quoted(name) + " (first on line " + std::to_string(earlier_line) + ")");
      }
    }
    names_.emplace_back(std::string(name), line_);
    if (names_.size() == abi::kMaxBootDomains + 1) {
      error_here("more than " + std::to_string(abi::kMaxBootDomains) + " domains");
    }
  }

  void parse_key_value(std::string_view line) {
    size_t equals = line.find('=');
    std::string_view key = trim(line.substr(0, equals));
    if (equals == std::string_view::npos || key.empty()) {
      return error_here("expected 'key = value', '[domain NAME]' or a comment");
    }
    size_t index = key_index(key);
    if (index == kKeyCount) {
      std::string_view names[kKeyCount];
      for (size_t i = 0; i < kKeyCount; ++i) names[i] = kKeys[i].name;
      return error_here("unknown key " + quoted(key) + " (keys: " + list_of(names) + ")");
    }
    if (!domain_) return error_here(quoted(key) + " outside a [domain NAME] section");
    int& first_line = domain_->key_lines[index];
    if (first_line != 0) {
      return error_here(quoted(key) + " given twice (first on line " + std::to_string(first_line) + ")");
    }
    first_line = line_;
    std::string value;
    std::string reason = read_value(line.substr(equals + 1), value);
    if (reason.empty()) reason = kKeys[index].parse(value, domain_->spec);
    if (!reason.empty()) error_here(std::move(reason));
  }

  // A value runs to the end of the line or a '#'; in double quotes it keeps
  // blanks and '#' and may contain \" and \\.
  static std::string read_value(std::string_view text, std::string& value) {
    text = trim(text);
    if (!text.starts_with('"')) {
      value = trim(text.substr(0, text.find('#')));
      return value.empty() ? "missing value" : "";
    }
    for (size_t i = 1; i < text.size(); ++i) {
      char c = text[i];
      if (c == '"') {
        std::string_view after = trim(text.substr(i + 1));
        return after.empty() || after.front() == '#' ? "" : "text after the closing quote";
      }
      if (c == '\\') {
        if (i + 1 == text.size() || (text[i + 1] != '"' && text[i + 1] != '\\')) {
          return "unknown escape in a quoted value (only \\\" and \\\\)";
        }
        c = text[++i];
      }
      value += c;
    }
    return "missing closing quote";
  }

  // Checks what involves several keys and keeps the domain if it is sound.
  void close_domain() {
    if (!domain_) return;
    if (domain_->spec.name.empty()) return domain_.reset();  // its header is wrong and reported
    OpenDomain& d = *domain_;
    DomainSpec& spec = d.spec;
    auto line_of = [&](std::string_view key) { return d.key_lines[key_index(key)]; };
    spec.image_line = line_of("image");
    spec.initrd_line = line_of("initrd");
    spec.memory_line = line_of("memory");
    auto fail = [&](int line, std::string reason) {
      error(line, std::move(reason));
      d.valid = false;
    };
    std::string subject = "domain " + quoted(spec.name);
    if (spec.image_line == 0) fail(spec.line, subject + " has no image");
    if (spec.memory_line == 0) fail(spec.line, subject + " has no memory");
    if (spec.initrd_line != 0 && spec.kind != ImageKind::linux_kernel) {
      fail(spec.initrd_line, "an initrd is for a Linux kernel; add kind = linux");
    }
    int budget_line = line_of("budget");
    int period_line = line_of("period");
    if ((budget_line == 0) != (period_line == 0)) {
      fail(budget_line != 0 ? budget_line : period_line, "budget and period go together; give both or neither");
    }
    if (d.valid && spec.budget_us > spec.period_us) {
      fail(budget_line, "budget " + std::to_string(spec.budget_us) + " us exceeds the period " +
                            std::to_string(spec.period_us) + " us");
    }
    if (d.valid) {
      std::string problem = memory_range_problem(spec);
      if (!problem.empty()) fail(spec.memory_line, std::move(problem));
    }
    if (d.valid) out_.domains.push_back(std::move(spec));
    domain_.reset();
  }

  static std::string memory_range_problem(const DomainSpec& spec) {
    std::string range = "memory [" + hex(spec.ipa_base) + ", +" + hex(spec.memory_size) + ")";
    if (spec.memory_size > kIpaLimit - spec.ipa_base) {
      return range + " ends beyond the " + std::to_string(kManifestIpaBits) + "-bit IPA space";
    }
    constexpr uint64_t kGicEnd = abi::kGuestGicrBase + abi::kGuestGicrSize;
    if (spec.ipa_base < kGicEnd && abi::kGuestGicdBase < spec.ipa_base + spec.memory_size) {
      return range + " overlaps the virtual GIC [" + hex(abi::kGuestGicdBase) + ", " + hex(kGicEnd) +
             "); move ipa_base";
    }
    static_assert(abi::kGuestGrantTableBase + abi::kGuestGrantTableSize == abi::kGuestMagicBase);
    constexpr uint64_t kXenEnd = abi::kGuestMagicBase + abi::kGuestMagicSize;
    if (spec.ipa_base < kXenEnd && abi::kGuestGrantTableBase < spec.ipa_base + spec.memory_size) {
      return range + " overlaps the grant-table window and magic pages [" + hex(abi::kGuestGrantTableBase) + ", " +
             hex(kXenEnd) + "); move ipa_base";
    }
    return "";
  }

  Manifest& out_;
  std::vector<Diagnostic> diagnostics_;
  std::optional<OpenDomain> domain_;
  std::vector<std::pair<std::string, int>> names_;  // every domain so far and its line
  int line_ = 0;
};

}  // namespace

std::vector<Diagnostic> parse_manifest(std::string_view text, Manifest& out) { return Parser(out).parse(text); }

bool is_label(std::string_view image) { return image.starts_with("//") || image.starts_with("@"); }

std::string canonical_label(std::string_view label) {
  if (label.starts_with("@@//")) {
    label.remove_prefix(2);
  } else if (label.starts_with("@//")) {
    label.remove_prefix(1);
  }
  std::string canonical(label);
  if (canonical.starts_with("//") && canonical.find(':') == std::string::npos) {
    canonical += ":" + canonical.substr(canonical.rfind('/') + 1);
  }
  return canonical;
}

}  // namespace septum::boot
