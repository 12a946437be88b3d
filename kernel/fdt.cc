#include "kernel/fdt.h"

namespace septum {

namespace {

using namespace fdt_layout;

uint32_t load_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

uint64_t load_be64(const uint8_t* p) {
  return (uint64_t{load_be32(p)} << 32) | load_be32(p + 4);
}

constexpr uint32_t align4(uint32_t v) { return (v + 3) & ~3u; }

// Length of the NUL-terminated string at `s`, or nullopt if no NUL within `limit`.
std::optional<uint32_t> bounded_strlen(const char* s, uint32_t limit) {
  for (uint32_t i = 0; i < limit; ++i) {
    if (s[i] == '\0') return i;
  }
  return std::nullopt;
}

bool string_list_contains(std::span<const uint8_t> list, std::string_view wanted) {
  const char* p = reinterpret_cast<const char*>(list.data());
  size_t i = 0;
  while (i < list.size()) {
    size_t len = 0;
    while (i + len < list.size() && p[i + len] != '\0') ++len;
    if (std::string_view(p + i, len) == wanted) return true;
    i += len + 1;
  }
  return false;
}

}  // namespace

std::optional<uint64_t> Fdt::Cells::read(uint32_t count) {
  if (count == 0 || count > 2 || bytes_.size() < count * 4u) return std::nullopt;
  uint64_t value = count == 1 ? load_be32(bytes_.data()) : load_be64(bytes_.data());
  bytes_ = bytes_.subspan(count * 4u);
  return value;
}

Status Fdt::open(const void* blob, size_t available, Fdt& out) {
  const auto* b = static_cast<const uint8_t*>(blob);
  if (available < kHeaderSize) return Status::error("device tree: {} bytes is too small for a header", available);
  uint32_t magic = load_be32(b);
  if (magic != kMagic) return Status::error("device tree: bad magic {:#x} (expected {:#x})", magic, kMagic);
  uint32_t total = load_be32(b + kTotalSize);
  if (total < kHeaderSize || total > available) {
    return Status::error("device tree: totalsize {} outside [{}, {}]", total, kHeaderSize, available);
  }
  uint32_t version = load_be32(b + kVersion);
  uint32_t last_comp = load_be32(b + kLastCompVersion);
  if (version < 16 || last_comp > 17) {
    return Status::error("device tree: unsupported version {} (last compatible {})", version, last_comp);
  }
  uint32_t off_struct = load_be32(b + kOffStruct);
  uint32_t off_strings = load_be32(b + kOffStrings);
  uint32_t off_rsv = load_be32(b + kOffMemRsvmap);
  uint32_t size_strings = load_be32(b + kSizeStrings);
  uint32_t size_struct = version >= 17 ? load_be32(b + kSizeStruct) : total - off_struct;
  if (off_struct < kHeaderSize || off_struct > total || size_struct > total - off_struct || off_struct % 4 != 0) {
    return Status::error("device tree: structure block [{:#x}, +{:#x}) outside the blob of {:#x} bytes",
                         off_struct, size_struct, total);
  }
  if (off_strings < kHeaderSize || off_strings > total || size_strings > total - off_strings) {
    return Status::error("device tree: strings block [{:#x}, +{:#x}) outside the blob of {:#x} bytes",
                         off_strings, size_strings, total);
  }
  if (off_rsv < kHeaderSize || off_rsv > total || off_rsv % 8 != 0) {
    return Status::error("device tree: memory reservation block at {:#x} is misplaced", off_rsv);
  }

  Fdt fdt;
  fdt.blob_ = b;
  fdt.structure_ = b + off_struct;
  fdt.strings_ = reinterpret_cast<const char*>(b + off_strings);
  fdt.total_size_ = total;
  fdt.structure_size_ = size_struct;
  fdt.strings_size_ = size_strings;
  fdt.reservation_offset_ = off_rsv;

  // Memory reservation block: (address, size) pairs up to a (0, 0) entry.
  for (size_t entry = off_rsv;; entry += 16) {
    if (entry + 16 > total) return Status::error("device tree: memory reservation block is not terminated");
    if (load_be64(b + entry) == 0 && load_be64(b + entry + 8) == 0) break;
    ++fdt.reservation_count_;
  }

  // Structure block: exactly one root node, balanced, then FDT_END.
  uint32_t pos = 0;
  unsigned depth = 0;
  bool root_seen = false;
  for (;;) {
    if (pos + 4 > size_struct) return Status::error("device tree: structure block ends without FDT_END");
    uint32_t token = load_be32(fdt.structure_ + pos);
    uint32_t at = pos;
    pos += 4;
    switch (token) {
      case kBeginNode: {
        if (depth == 0 && root_seen) return Status::error("device tree: second root node at {:#x}", at);
        auto len = bounded_strlen(reinterpret_cast<const char*>(fdt.structure_ + pos), size_struct - pos);
        if (!len) return Status::error("device tree: unterminated node name at {:#x}", at);
        if (depth == 0 && *len != 0) return Status::error("device tree: root node has a name");
        if (depth != 0 && *len == 0) return Status::error("device tree: unnamed node at {:#x}", at);
        if (depth == 0) fdt.root_offset_ = at;
        pos = align4(pos + *len + 1);
        if (++depth > kMaxDepth) return Status::error("device tree: nesting deeper than {}", kMaxDepth);
        root_seen = true;
        break;
      }
      case kEndNode:
        if (depth == 0) return Status::error("device tree: unbalanced FDT_END_NODE at {:#x}", at);
        --depth;
        break;
      case kProp: {
        if (depth == 0) return Status::error("device tree: property outside a node at {:#x}", at);
        if (pos + 8 > size_struct) return Status::error("device tree: truncated property at {:#x}", at);
        uint32_t len = load_be32(fdt.structure_ + pos);
        uint32_t nameoff = load_be32(fdt.structure_ + pos + 4);
        pos += 8;
        if (len > size_struct - pos) {
          return Status::error("device tree: property at {:#x} has length {} past the structure block", at, len);
        }
        if (nameoff >= size_strings || !bounded_strlen(fdt.strings_ + nameoff, size_strings - nameoff)) {
          return Status::error("device tree: property at {:#x} has a bad name offset {:#x}", at, nameoff);
        }
        pos = align4(pos + len);
        break;
      }
      case kNop:
        break;
      case kEnd:
        if (depth != 0 || !root_seen) return Status::error("device tree: FDT_END at {:#x} inside a node", at);
        out = fdt;
        return Status::ok();
      default:
        return Status::error("device tree: unknown token {:#x} at structure offset {:#x}", token, at);
    }
  }
}

uint32_t Fdt::be32(size_t struct_offset) const { return load_be32(structure_ + struct_offset); }

uint32_t Fdt::body(Node node) const {
  uint32_t pos = node.offset + 4;
  while (structure_[pos] != '\0') ++pos;
  return align4(pos + 1);
}

uint32_t Fdt::skip_subtree(Node node) const {
  uint32_t pos = node.offset;
  unsigned depth = 0;
  for (;;) {
    uint32_t token = be32(pos);
    switch (token) {
      case kBeginNode:
        ++depth;
        pos = body({pos});
        break;
      case kEndNode:
        pos += 4;
        if (--depth == 0) return pos;
        break;
      case kProp:
        pos = align4(pos + 12 + be32(pos + 4));
        break;
      default:  // FDT_NOP; FDT_END cannot occur inside a validated node
        pos += 4;
        break;
    }
  }
}

std::optional<Fdt::Node> Fdt::first_child(Node node) const {
  uint32_t pos = body(node);
  for (;;) {
    uint32_t token = be32(pos);
    if (token == kBeginNode) return Node{pos};
    if (token == kProp) {
      pos = align4(pos + 12 + be32(pos + 4));
    } else if (token == kNop) {
      pos += 4;
    } else {
      return std::nullopt;
    }
  }
}

std::optional<Fdt::Node> Fdt::next_sibling(Node node) const {
  if (node.offset == root_offset_) return std::nullopt;
  uint32_t pos = skip_subtree(node);
  for (;;) {
    uint32_t token = be32(pos);
    if (token == kBeginNode) return Node{pos};
    if (token != kNop) return std::nullopt;
    pos += 4;
  }
}

std::optional<Fdt::Node> Fdt::parent(Node node) const {
  // Walk from the root keeping the chain of open nodes.
  uint32_t stack[kMaxDepth];
  unsigned depth = 0;
  uint32_t pos = 0;
  for (;;) {
    uint32_t token = be32(pos);
    if (token == kBeginNode) {
      if (pos == node.offset) return depth == 0 ? std::nullopt : std::optional<Node>(Node{stack[depth - 1]});
      stack[depth++] = pos;
      pos = body({pos});
    } else if (token == kEndNode) {
      --depth;
      pos += 4;
    } else if (token == kProp) {
      pos = align4(pos + 12 + be32(pos + 4));
    } else if (token == kNop) {
      pos += 4;
    } else {
      return std::nullopt;
    }
  }
}

std::string_view Fdt::name(Node node) const {
  return reinterpret_cast<const char*>(structure_ + node.offset + 4);
}

std::optional<Fdt::Node> Fdt::find_path(std::string_view path) const {
  Node node = root();
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    size_t slash = path.find('/');
    std::string_view component = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash);
    std::optional<Node> child = first_child(node);
    while (child) {
      std::string_view n = name(*child);
      bool match = n == component ||
                   (component.find('@') == std::string_view::npos && n.starts_with(component) &&
                    n.size() > component.size() && n[component.size()] == '@');
      if (match) break;
      child = next_sibling(*child);
    }
    if (!child) return std::nullopt;
    node = *child;
  }
  return node;
}

std::optional<Fdt::Node> Fdt::scan_compatible(uint32_t pos, std::string_view compatible) const {
  for (;;) {
    uint32_t token = be32(pos);
    if (token == kBeginNode) {
      if (is_compatible({pos}, compatible)) return Node{pos};
      pos = body({pos});
    } else if (token == kProp) {
      pos = align4(pos + 12 + be32(pos + 4));
    } else if (token == kEndNode || token == kNop) {
      pos += 4;
    } else {
      return std::nullopt;
    }
  }
}

std::optional<Fdt::Node> Fdt::find_compatible(std::string_view compatible) const {
  return scan_compatible(0, compatible);
}

std::optional<Fdt::Node> Fdt::next_compatible(Node after, std::string_view compatible) const {
  return scan_compatible(body(after), compatible);
}

std::optional<std::span<const uint8_t>> Fdt::property(Node node, std::string_view wanted) const {
  uint32_t pos = body(node);
  for (;;) {
    uint32_t token = be32(pos);
    if (token == kProp) {
      uint32_t len = be32(pos + 4);
      uint32_t nameoff = be32(pos + 8);
      if (std::string_view(strings_ + nameoff) == wanted) return std::span<const uint8_t>(structure_ + pos + 12, len);
      pos = align4(pos + 12 + len);
    } else if (token == kNop) {
      pos += 4;
    } else {
      return std::nullopt;
    }
  }
}

std::optional<std::string_view> Fdt::string_property(Node node, std::string_view wanted) const {
  auto bytes = property(node, wanted);
  if (!bytes || bytes->empty()) return std::nullopt;
  auto len = bounded_strlen(reinterpret_cast<const char*>(bytes->data()), static_cast<uint32_t>(bytes->size()));
  if (!len) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(bytes->data()), *len);
}

std::optional<uint32_t> Fdt::u32_property(Node node, std::string_view wanted) const {
  auto bytes = property(node, wanted);
  if (!bytes || bytes->size() != 4) return std::nullopt;
  return load_be32(bytes->data());
}

bool Fdt::is_compatible(Node node, std::string_view compatible) const {
  auto list = property(node, "compatible");
  return list && string_list_contains(*list, compatible);
}

bool Fdt::is_enabled(Node node) const {
  auto status = string_property(node, "status");
  return !status || *status == "okay" || *status == "ok";
}

Fdt::Reservation Fdt::reservation(size_t index) const {
  const uint8_t* entry = blob_ + reservation_offset_ + index * 16;
  return {load_be64(entry), load_be64(entry + 8)};
}

}  // namespace septum
