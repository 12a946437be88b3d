#!/usr/bin/python3
"""Builds the Linux guests' initramfs: a gzip-compressed newc cpio archive.

Contents, all from the reference Debian packages that `sdk/tools/setup.sh
artifacts` extracted under third_party/reference/ (manifest.txt says where):
  /bin/busybox            from busybox-static:arm64, plus one symlink per
                          applet that /init and its command groups use
  /init                   tests/linux/init.sh
  /lib/modules/VER/...    only the kernel modules asked for with --module
                          (and what they depend on, from each module's
                          .modinfo); /lib/modules/load-order lists them in
                          insmod order for /init's "modules" command group
  /dev/console, /proc, /sys, /dev, /tmp, /root

The archive is reproducible: fixed inode numbers, owners and times (0), and
no gzip timestamp. Only the Python standard library is used.

The reference files live outside Bazel's view (third_party/ is in
.bazelignore), so the repository root is found from this script's real path
(Bazel's symlinks resolve to the source tree), as tests/xen/run_on_xen.py does.
"""

import argparse
import gzip
import io
import os
import struct
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
MANIFEST = os.path.join("third_party", "reference", "manifest.txt")  # in the repository
INIT_SCRIPT = os.path.join(os.path.dirname(os.path.realpath(__file__)), "init.sh")

# The busybox applets /init and its command groups call (busybox-static
# 1.35 has them all; each is checked against the binary's applet names).
APPLETS = [
    "cat", "dmesg", "echo", "grep", "head", "insmod", "ls", "mkdir", "mount", "od",
    "poweroff", "reboot", "sed", "sh", "sleep", "tr", "uname",
]

S_IFDIR, S_IFREG, S_IFLNK, S_IFCHR = 0o040000, 0o100000, 0o120000, 0o020000


class Error(Exception):
    pass


def reference_entry(root, role):
    """(package dir, key file) of the manifest entry with `role`, as absolute paths."""
    manifest = os.path.join(root, MANIFEST)
    try:
        with open(manifest) as f:
            for line in f:
                fields = line.split()
                if len(fields) == 6 and fields[0] == role:
                    key = os.path.join(root, fields[5])
                    return os.path.join(root, "third_party", "reference", fields[1]), key
    except OSError as e:
        raise Error(f"cannot read {manifest} ({e.strerror}); run `sdk/tools/setup.sh artifacts`")
    raise Error(f"no '{role}' entry in {manifest}; run `sdk/tools/setup.sh artifacts`")


class Cpio:
    """A newc ("070701") archive written in memory."""

    def __init__(self):
        self.out = io.BytesIO()
        self.inode = 0
        self.paths = set()

    def _entry(self, name, mode, data=b"", rdev=(0, 0), nlink=1):
        if name in self.paths:
            raise Error(f"initramfs: {name} added twice")
        self.paths.add(name)
        self.inode += 1
        encoded = name.encode() + b"\0"
        fields = [self.inode, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1], len(encoded), 0]
        self.out.write(b"070701" + b"".join(b"%08x" % v for v in fields))
        self.out.write(encoded)
        self._pad()
        self.out.write(data)
        self._pad()

    def _pad(self):
        self.out.write(b"\0" * (-self.out.tell() % 4))

    def directory(self, name):
        self._entry(name, S_IFDIR | 0o755, nlink=2)

    def directories(self, name):
        """`name` and each missing parent."""
        parts = name.split("/")
        for i in range(1, len(parts) + 1):
            path = "/".join(parts[:i])
            if path not in self.paths:
                self.directory(path)

    def file(self, name, data, mode=0o644):
        self._entry(name, S_IFREG | mode, data)

    def symlink(self, name, target):
        self._entry(name, S_IFLNK | 0o777, target.encode())

    def char_device(self, name, major, minor, mode=0o600):
        self._entry(name, S_IFCHR | mode, rdev=(major, minor))

    def finish(self):
        self._entry("TRAILER!!!", 0, nlink=1)
        return self.out.getvalue()


def elf_sections(data, path):
    """{section name: bytes} of a little-endian ELF64 file."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise Error(f"{path} is not a little-endian ELF64 file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    headers = [struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize) for i in range(shnum)]
    names_at = headers[shstrndx][4]
    sections = {}
    for name_offset, _type, _flags, _addr, offset, size in headers:
        start = names_at + name_offset
        name = data[start:data.index(b"\0", start)].decode()
        sections[name] = data[offset:offset + size]
    return sections


def module_depends(data, path):
    """The module names in the .modinfo "depends=" entry."""
    for entry in elf_sections(data, path).get(".modinfo", b"").split(b"\0"):
        if entry.startswith(b"depends="):
            return [d for d in entry[len(b"depends="):].decode().split(",") if d]
    return []


def module_index(modules_dir):
    """{module name: path relative to modules_dir}; '-' and '_' are the same in names."""
    index = {}
    for directory, _dirs, files in os.walk(os.path.join(modules_dir, "kernel")):
        for f in files:
            if f.endswith(".ko"):
                index[f[:-3].replace("-", "_")] = os.path.relpath(os.path.join(directory, f), modules_dir)
    return index


def add_modules(cpio, kernel_dir, names):
    """Adds the modules `names` and their dependencies; returns the load order."""
    versions = sorted(os.listdir(os.path.join(kernel_dir, "lib", "modules")))
    if len(versions) != 1:
        raise Error(f"expected one kernel version under {kernel_dir}/lib/modules, found {versions}")
    version = versions[0]
    modules_dir = os.path.join(kernel_dir, "lib", "modules", version)
    index = module_index(modules_dir)
    order, visiting = [], set()

    def visit(name):
        key = name.replace("-", "_")
        if key in (m for m, _ in order):
            return
        if key in visiting:
            raise Error(f"module dependency cycle at {name}")
        if key not in index:
            raise Error(f"module {name} is not in {modules_dir} (built in, or not built)")
        visiting.add(key)
        with open(os.path.join(modules_dir, index[key]), "rb") as f:
            data = f.read()
        for dependency in module_depends(data, index[key]):
            visit(dependency)
        visiting.discard(key)
        order.append((key, data))

    for name in names:
        visit(name)
    paths = []
    for key, data in order:
        path = f"lib/modules/{version}/{index[key]}"
        cpio.directories(os.path.dirname(path))
        cpio.file(path, data)
        paths.append("/" + path)
    cpio.directories("lib/modules")
    cpio.file("lib/modules/load-order", "".join(p + "\n" for p in paths).encode())
    return paths


def build(root, init_script, modules):
    _busybox_dir, busybox = reference_entry(root, "busybox")
    kernel_dir = reference_entry(root, "kernel")[0] if modules else None
    with open(busybox, "rb") as f:
        busybox_data = f.read()
    for applet in APPLETS:
        if b"\0" + applet.encode() + b"\0" not in busybox_data:
            raise Error(f"{busybox} has no '{applet}' applet")
    with open(init_script, "rb") as f:
        init = f.read()

    cpio = Cpio()
    for d in ("bin", "dev", "proc", "sys", "tmp", "root", "sbin"):
        cpio.directory(d)
    cpio.char_device("dev/console", 5, 1)
    cpio.file("bin/busybox", busybox_data, 0o755)
    for applet in APPLETS:
        cpio.symlink(f"bin/{applet}", "busybox")
    cpio.file("init", init, 0o755)
    loaded = add_modules(cpio, kernel_dir, modules) if modules else []
    return cpio.finish(), loaded


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("output", help="the initramfs to write (.cpio.gz)")
    p.add_argument("--root", default=REPO_ROOT,
                   help="the repository whose third_party/reference/ to read (default: this tool's)")
    p.add_argument("--init", default=INIT_SCRIPT, help="the /init script (default: init.sh beside this tool)")
    p.add_argument("--module", action="append", default=[],
                   help="a kernel module to include by name (e.g. xen-blkfront), with its dependencies")
    p.add_argument("--verbose", action="store_true", help="list the modules put in")
    args = p.parse_args(argv)
    try:
        archive, loaded = build(args.root, args.init, args.module)
    except (Error, OSError) as e:
        sys.stderr.write(f"make_initramfs: {e}\n")
        return 1
    compressed = io.BytesIO()
    with gzip.GzipFile(fileobj=compressed, mode="wb", compresslevel=9, mtime=0, filename="") as z:
        z.write(archive)
    with open(args.output, "wb") as f:
        f.write(compressed.getvalue())
    if args.verbose:
        for path in loaded:
            sys.stderr.write(f"make_initramfs: module {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
