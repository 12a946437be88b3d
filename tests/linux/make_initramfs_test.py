#!/usr/bin/python3
"""make_initramfs.py on a stand-in reference tree (no Debian packages needed),
and /init's command groups run by the host's sh with stand-in commands."""

import gzip
import os
import struct
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.realpath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
import make_initramfs  # noqa: E402

VERSION = "6.1.0-99-arm64"


def elf_with_modinfo(modinfo):
    """A minimal ELF64 relocatable file whose only section is .modinfo."""
    names = b"\0.modinfo\0.shstrtab\0"
    header_size, section_header_size = 64, 64
    data_offset = header_size
    names_offset = data_offset + len(modinfo)
    sections_offset = (names_offset + len(names) + 7) // 8 * 8
    ident = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    header = ident + struct.pack("<HHIQQQIHHHHHH", 1, 183, 1, 0, 0, sections_offset, 0, header_size, 0, 0,
                                 section_header_size, 3, 2)

    def section(name, kind, offset, size):
        return struct.pack("<IIQQQQIIQQ", name, kind, 0, 0, offset, size, 0, 0, 1, 0)

    body = modinfo + names
    body += b"\0" * (sections_offset - header_size - len(body))
    table = bytes(section_header_size) + section(1, 1, data_offset, len(modinfo)) + \
        section(10, 3, names_offset, len(names))
    return header + body + table


def read_cpio(path):
    """[(name, mode, data, rdevmajor, rdevminor)] of a gzip'd newc archive."""
    data = gzip.open(path).read()
    entries, at = [], 0
    while True:
        assert data[at:at + 6] == b"070701", at
        fields = [int(data[at + 6 + 8 * i:at + 14 + 8 * i], 16) for i in range(13)]
        name_size, size = fields[11], fields[6]
        name = data[at + 110:at + 110 + name_size - 1].decode()
        at += 110 + name_size
        at += -at % 4
        entries.append((name, fields[1], data[at:at + size], fields[9], fields[10]))
        at += size
        at += -at % 4
        if name == "TRAILER!!!":
            assert not data[at:].strip(b"\0")
            return entries


class FakeReference:
    """third_party/reference/ with a busybox and a kernel module tree."""

    def __init__(self, root):
        self.root = root
        ref = os.path.join(root, "third_party", "reference")
        busybox = os.path.join(ref, "busybox-static", "bin", "busybox")
        os.makedirs(os.path.dirname(busybox))
        with open(busybox, "wb") as f:
            f.write(b"\x7fELF...\0" + b"\0".join(a.encode() for a in make_initramfs.APPLETS) + b"\0")
        kernel = os.path.join(ref, "linux-image-x", "boot", "vmlinuz-x")
        os.makedirs(os.path.dirname(kernel))
        open(kernel, "wb").close()
        self.modules = os.path.join(ref, "linux-image-x", "lib", "modules", VERSION, "kernel")
        with open(os.path.join(ref, "manifest.txt"), "w") as f:
            f.write("# role package version sha256 deb key-file\n")
            f.write("kernel linux-image-x 1 0 deb third_party/reference/linux-image-x/boot/vmlinuz-x\n")
            f.write("busybox busybox-static 1 0 deb third_party/reference/busybox-static/bin/busybox\n")

    def module(self, path, depends):
        full = os.path.join(self.modules, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(elf_with_modinfo(b"license=GPL\0depends=" + ",".join(depends).encode() + b"\0vermagic=x\0"))


class MakeInitramfsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(dir=os.environ.get("TEST_TMPDIR"))
        self.ref = FakeReference(self.tmp.name)
        self.output = os.path.join(self.tmp.name, "initramfs.cpio.gz")

    def tearDown(self):
        self.tmp.cleanup()

    def make(self, *args):
        return make_initramfs.main(["--root", self.tmp.name, *args, self.output])

    def test_layout(self):
        self.assertEqual(self.make(), 0)
        entries = {name: (mode, data, major, minor) for name, mode, data, major, minor in read_cpio(self.output)}
        self.assertEqual(entries["init"][0], 0o100755)
        with open(os.path.join(HERE, "init.sh"), "rb") as f:
            self.assertEqual(entries["init"][1], f.read())
        self.assertEqual(entries["bin/busybox"][0], 0o100755)
        for applet in make_initramfs.APPLETS:
            self.assertEqual(entries["bin/" + applet][:2], (0o120777, b"busybox"))
        self.assertEqual(entries["dev/console"][0] & 0o170000, 0o020000)
        self.assertEqual(entries["dev/console"][2:], (5, 1))
        for directory in ("proc", "sys", "dev", "tmp"):
            self.assertEqual(entries[directory][0], 0o040755)
        self.assertNotIn("lib/modules/load-order", entries)

    def test_reproducible(self):
        self.assertEqual(self.make(), 0)
        with open(self.output, "rb") as f:
            first = f.read()
        self.assertEqual(self.make(), 0)
        with open(self.output, "rb") as f:
            self.assertEqual(f.read(), first)

    def test_modules_in_dependency_order(self):
        self.ref.module("drivers/xen/xenfs/xenfs.ko", ["xen-privcmd"])
        self.ref.module("drivers/xen/xen-privcmd.ko", [])
        self.ref.module("drivers/block/xen-blkfront.ko", [])
        self.assertEqual(self.make("--module", "xenfs", "--module", "xen_blkfront", "--module", "xen-privcmd"), 0)
        entries = {name: data for name, _mode, data, _major, _minor in read_cpio(self.output)}
        prefix = f"/lib/modules/{VERSION}/kernel/drivers/"
        self.assertEqual(entries["lib/modules/load-order"].decode().split(), [
            prefix + "xen/xen-privcmd.ko", prefix + "xen/xenfs/xenfs.ko", prefix + "block/xen-blkfront.ko"])
        self.assertIn(f"lib/modules/{VERSION}/kernel/drivers/xen/xenfs/xenfs.ko", entries)

    def test_errors(self):
        self.assertEqual(self.make("--module", "absent"), 1)
        self.ref.module("a.ko", ["b"])
        self.ref.module("b.ko", ["a"])
        self.assertEqual(self.make("--module", "a"), 1)
        os.remove(os.path.join(self.tmp.name, "third_party", "reference", "manifest.txt"))
        self.assertEqual(self.make(), 1)


class InitScriptTest(unittest.TestCase):
    """init.sh with its absolute paths moved into a scratch root and the
    commands a host lacks (mount, poweroff, insmod, dmesg) stood in for."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(dir=os.environ.get("TEST_TMPDIR"))
        root = self.root = self.tmp.name
        for d in ("bin", "proc", "sys/hypervisor/version", "lib/modules"):
            os.makedirs(os.path.join(root, d))
        stubs = {
            "mount": "exit 0",
            "poweroff": 'echo "STUB: poweroff $*"; kill -KILL $PPID',
            "insmod": 'case "$1" in *bad*) exit 1;; esac; echo "STUB: insmod $1"',
            "dmesg": 'echo "[    0.0] Xen 4.17 support found"; echo "[    0.1] other"',
        }
        for name, body in stubs.items():
            self.write(f"bin/{name}", f"#!/bin/sh\n{body}\n", 0o755)
        for name in ("cat", "tr", "grep", "uname", "od"):
            os.symlink(subprocess.run(["sh", "-c", f"command -v {name}"], capture_output=True, text=True,
                                      check=True).stdout.strip(), os.path.join(root, "bin", name))
        self.write("proc/cpuinfo", "processor\t: 0\n")
        self.write("proc/interrupts", "12: 1 GICv3 31 Level events\n")
        with open(os.path.join(HERE, "init.sh")) as f:
            script = f.read()
        for path in ("/proc/", "/sys/", "/lib/"):
            script = script.replace(path, root + path)
        self.script = script.replace("PATH=/bin", f"PATH={root}/bin")

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, path, text, mode=0o644):
        full = os.path.join(self.root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb" if isinstance(text, bytes) else "w") as f:
            f.write(text)
        os.chmod(full, mode)

    def run_init(self, cmdline):
        self.write("proc/cmdline", cmdline + "\n")
        result = subprocess.run(["sh", "-c", self.script], capture_output=True, text=True, timeout=30)
        return result.stdout.splitlines()

    def test_native(self):
        self.assertEqual(self.run_init("console=ttyAMA0 septum.run=cpuinfo,hypervisor,bogus rdinit=/init"), [
            "SEPTUM-INIT: reached init",
            "processor\t: 0",
            "SEPTUM-CMD: cpuinfo done",
            "SEPTUM-HYPERVISOR: none",
            "SEPTUM-CMD: hypervisor done",
            "SEPTUM-CMD: bogus unknown",
            "SEPTUM-CMD: poweroff now",
            "STUB: poweroff -f",
        ])

    def test_xen(self):
        self.write("sys/hypervisor/type", "xen\n")
        self.write("sys/hypervisor/version/major", "4\n")
        self.write("sys/hypervisor/version/minor", "17\n")
        self.write("sys/hypervisor/version/extra", ".7\n")
        os.makedirs(os.path.join(self.root, "sys/hypervisor/properties"))
        self.write("sys/hypervisor/properties/features", "00016005\n")
        self.write("proc/device-tree/hypervisor/compatible", b"xen,xen-4.17\0xen,xen\0")
        self.write("proc/device-tree/hypervisor/interrupts", bytes.fromhex("000000010000000f00000004"))
        self.assertEqual(self.run_init("septum.run=hypervisor,xenlog,interrupts,dt,poweroff,cpuinfo"), [
            "SEPTUM-INIT: reached init",
            "SEPTUM-HYPERVISOR: xen",
            "SEPTUM-HYPERVISOR-VERSION: 4.17.7",
            "SEPTUM-HYPERVISOR-FEATURES: 00016005",
            "SEPTUM-CMD: hypervisor done",
            "[    0.0] Xen 4.17 support found",
            "SEPTUM-CMD: xenlog done",
            "12: 1 GICv3 31 Level events",
            "SEPTUM-CMD: interrupts done",
            "SEPTUM-DT: hypervisor/compatible: 78656e2c78656e2d342e31370078656e2c78656e00",
            "SEPTUM-DT: hypervisor/reg: absent",
            "SEPTUM-DT: hypervisor/interrupts: 000000010000000f00000004",
            "SEPTUM-DT: chosen/linux,initrd-start: absent",
            "SEPTUM-DT: chosen/linux,initrd-end: absent",
            "SEPTUM-CMD: dt done",
            "SEPTUM-CMD: poweroff now",
            "STUB: poweroff -f",
        ])

    def test_modules_and_crash(self):
        self.assertEqual(self.run_init("septum.run=modules")[1:3], ["SEPTUM-MODULES: none", "SEPTUM-CMD: modules done"])
        self.write("lib/modules/load-order", "/lib/modules/v/a.ko\n/lib/modules/v/bad.ko\n")
        lines = self.run_init("septum.run=modules,crash")
        self.assertEqual(lines[1:7], [
            "STUB: insmod /lib/modules/v/a.ko",
            "SEPTUM-MODULE: loaded /lib/modules/v/a.ko",
            "SEPTUM-MODULE: FAILED /lib/modules/v/bad.ko",
            "SEPTUM-CMD: modules done",
            "SEPTUM-CMD: crash now",
            "SEPTUM-CMD: crash done",  # the stand-in /proc/sysrq-trigger is a plain file
        ])
        with open(os.path.join(self.root, "proc/sysrq-trigger")) as f:
            self.assertEqual(f.read(), "c\n")

    def test_without_septum_run(self):
        self.assertEqual(self.run_init("console=hvc0"), [
            "SEPTUM-INIT: reached init", "SEPTUM-CMD: poweroff now", "STUB: poweroff -f"])


if __name__ == "__main__":
    unittest.main()
