#!/usr/bin/python3
"""Boots the reference Linux kernel natively (no hypervisor) on QEMU virt.

The kernel is Debian's arm64 Image from third_party/reference/ (the 'kernel'
entry of manifest.txt) unless --kernel names another; the initramfs is given
with --initrd. The console is streamed to stdout. Succeeds (0) when every
--expect marker appeared, in order, and QEMU then exited by itself with
status 0 (a clean power-off: PSCI SYSTEM_OFF ends QEMU). Fails (1) when a
--fail-on text appears, a marker is missing or QEMU fails; 2 when the setup
is incomplete; 124 on timeout. QEMU is always killed on exit, timeout and
signals. For each --time-to text, prints the wall time from QEMU's launch to
its first appearance (a figure, not a verdict).
"""

import argparse
import os
import sys
import time

# QEMU's process and console handling is the Septum runner's, imported from
# the source tree (REPO_ROOT resolves Bazel's runfiles symlinks) without
# leaving a __pycache__ there.
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
sys.path.insert(0, os.path.join(REPO_ROOT, "sdk", "tools"))
sys.dont_write_bytecode = True
import qemu_runner  # noqa: E402

MANIFEST = os.path.join(REPO_ROOT, "third_party", "reference", "manifest.txt")
MACHINE = "virt,gic-version=3"  # Linux enters at EL1, as it does under a hypervisor
DEFAULT_FAILURES = ["Kernel panic", "SEPTUM-MODULE: FAILED"]

EXIT_FAILED = 1
EXIT_SETUP = 2
EXIT_TIMEOUT = 124


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kernel", help="arm64 Image (default: the 'kernel' entry of third_party/reference/manifest.txt)")
    p.add_argument("--initrd", required=True, help="the initramfs (tests/linux:initramfs)")
    p.add_argument("--append", default="console=ttyAMA0 rdinit=/init", help="the kernel command line")
    p.add_argument("--smp", type=int, default=2)
    p.add_argument("--cpu", default="max,pauth-impdef=on")
    p.add_argument("--memory", default="1G")
    p.add_argument("--timeout", type=float, default=240, help="seconds; 0 = none")
    p.add_argument("--expect", action="append", default=[], help="marker that must appear (in order)")
    p.add_argument("--time-to", action="append", default=[],
                   help="print the wall time from QEMU's launch to this text's first appearance")
    p.add_argument("--fail-on", action="append",
                   help="text that fails the run at once (default: " + "; ".join(DEFAULT_FAILURES) + ")")
    p.add_argument("--qemu", default="qemu-system-aarch64")
    return p.parse_args(argv)


def reference_kernel():
    """The 'kernel' entry of the reference manifest, or None."""
    try:
        with open(MANIFEST) as f:
            for line in f:
                fields = line.split()
                if len(fields) == 6 and fields[0] == "kernel":
                    return os.path.join(REPO_ROOT, fields[5])
    except OSError:
        pass
    return None


class Run:
    def __init__(self, args):
        self.args = args
        self.qemu = qemu_runner.Qemu("run_linux")
        self.started = 0.0

    def log(self, message):
        sys.stdout.flush()
        sys.stderr.write(f"\nrun_linux: {message}\n")

    def watch(self):
        """Streams the console; returns the exit status."""
        expected = [m.encode() for m in self.args.expect]
        timed = [m.encode() for m in self.args.time_to]
        failures = [m.encode() for m in self.args.fail_on or DEFAULT_FAILURES]
        output = self.qemu.output
        search_from = 0
        try:
            for chunk in self.qemu.console(self.args.timeout):
                now = time.monotonic()
                for text in [t for t in timed if t in output]:
                    self.log(f"{now - self.started:.2f} s from QEMU launch to {text.decode()!r}")
                    timed.remove(text)
                failure = qemu_runner.failure_in(output, len(chunk), failures)
                if failure:
                    self.qemu.kill()
                    self.log(f"saw {failure.decode()!r}; QEMU stopped")
                    return EXIT_FAILED
                while expected:
                    at = output.find(expected[0], search_from)
                    if at < 0:
                        break
                    search_from = at + len(expected[0])
                    expected.pop(0)
        except qemu_runner.Timeout:
            self.log(f"timeout after {self.args.timeout:g} s; QEMU killed")
            self.report_missing(expected)
            return EXIT_TIMEOUT
        status = self.qemu.wait()
        self.log(f"QEMU exited with status {status} after {time.monotonic() - self.started:.2f} s")
        if expected:
            self.report_missing(expected)
            return EXIT_FAILED
        if status != 0:
            return EXIT_FAILED
        self.log(f"all {len(self.args.expect)} markers seen, clean power-off")
        return 0

    def report_missing(self, missing):
        if missing:
            sys.stderr.write("run_linux: markers not seen (in order): " +
                             "; ".join(repr(m.decode()) for m in missing) + "\n")

    def run(self):
        kernel = self.args.kernel or reference_kernel()
        for what, path in (("kernel", kernel), ("initramfs", self.args.initrd)):
            if not path or not os.path.isfile(path):
                sys.stderr.write(f"run_linux: no {what} ({path or 'no kernel entry in ' + MANIFEST}); "
                                 "run `sdk/tools/setup.sh artifacts` or pass --kernel\n")
                return EXIT_SETUP
        cmd = [self.args.qemu, "-M", MACHINE, "-cpu", self.args.cpu, "-smp", str(self.args.smp),
               "-m", self.args.memory, "-display", "none", "-monitor", "none", "-serial", "stdio",
               "-no-reboot", "-kernel", kernel, "-initrd", self.args.initrd, "-append", self.args.append]
        self.started = time.monotonic()
        try:
            self.qemu.start(cmd)
        except OSError as e:
            sys.stderr.write(f"run_linux: cannot start {cmd[0]}: {e}\n")
            return EXIT_SETUP
        try:
            return self.watch()
        finally:
            self.qemu.kill()


def main(argv):
    return Run(parse_args(argv)).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
