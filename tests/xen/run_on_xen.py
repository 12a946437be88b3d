#!/usr/bin/python3
"""Boots a domain image as a dom0less domU of the reference Xen 4.17 in QEMU.

Dumps QEMU's own device tree (same machine options), adds Xen's boot
arguments and a domU node under /chosen, boots Xen with the image as the
domU's kernel module and streams the console. Exits 0 as soon as every
--expect marker has appeared (in any order; Xen prefixes the domU's vpl011
lines with "(XEN) DOM1: "), 1 when a --fail-on text appears or QEMU stops
first, 124 on timeout. QEMU is always killed on exit, timeout and signals.

A Linux domU: --reference-kernel (Debian's Image from third_party/reference/)
or --image, and --initrd for its initramfs, loaded as the domU's ramdisk
module at the first 2 MiB boundary after the image. --time-to prints the
wall time from QEMU's launch to a text's first appearance (a figure).
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

# QEMU's process and console handling is the Septum runner's, imported from
# the source tree (REPO_ROOT resolves Bazel's runfiles symlinks) without
# leaving a __pycache__ there.
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
sys.path.insert(0, os.path.join(REPO_ROOT, "sdk", "tools"))
sys.dont_write_bytecode = True
import qemu_runner  # noqa: E402

MANIFEST = os.path.join(REPO_ROOT, "third_party", "reference", "manifest.txt")
MODULE_ADDRESS = 0x50000000  # where QEMU's loader puts the image for Xen to find
MODULE_ALIGNMENT = 2 << 20  # the initrd goes at the next boundary after the image

# Xen panics, the runtime's crash reports and the test domains' verdicts.
DEFAULT_FAILURES = ["Panic on CPU", "sdk: CRASH", ": FAILED"]

EXIT_FAILED = 1
EXIT_SETUP = 2
EXIT_TIMEOUT = 124


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    image = p.add_mutually_exclusive_group(required=True)
    image.add_argument("--image", help="the domain's flat arm64 Image (an SDK domain or Linux)")
    image.add_argument("--reference-kernel", action="store_true",
                       help="the domain is Debian's Linux Image (the 'kernel' entry of third_party/reference/manifest.txt)")
    p.add_argument("--initrd", help="the domain's initial ramdisk (a Linux initramfs)")
    p.add_argument("--vcpus", type=int, default=1)
    p.add_argument("--domain-memory", type=int, default=256, help="MiB")
    p.add_argument("--bootargs", default="", help="the domain's command line")
    p.add_argument("--xen-bootargs", default="", help="appended to Xen's own command line")
    p.add_argument("--smp", type=int, default=4)
    p.add_argument("--cpu", default="max,pauth-impdef=on")
    p.add_argument("--memory", default="2G", help="QEMU's RAM")
    p.add_argument("--timeout", type=float, default=120, help="seconds; 0 = none")
    p.add_argument("--expect", action="append", default=[], help="marker that must appear")
    p.add_argument("--time-to", action="append", default=[],
                   help="print the wall time from QEMU's launch to this text's first appearance")
    p.add_argument("--fail-on", action="append",
                   help="text that fails the run at once (default: " + "; ".join(DEFAULT_FAILURES) + ")")
    p.add_argument("--xen", help="Xen image (default: the 'xen' entry of third_party/reference/manifest.txt)")
    p.add_argument("--qemu", default="qemu-system-aarch64")
    return p.parse_args(argv)


def find_reference(role):
    """The key file of the manifest entry with `role` ('xen', 'kernel'), or None."""
    try:
        with open(MANIFEST) as f:
            for line in f:
                fields = line.split()
                if len(fields) == 6 and fields[0] == role:
                    return os.path.join(REPO_ROOT, fields[5])
    except OSError:
        pass
    return None


def machine_options(args):
    return ["-cpu", args.cpu, "-smp", str(args.smp), "-m", args.memory]


def initrd_address(args):
    end = MODULE_ADDRESS + os.path.getsize(args.image)
    return (end + MODULE_ALIGNMENT - 1) // MODULE_ALIGNMENT * MODULE_ALIGNMENT


def xen_device_tree(args, workdir):
    """QEMU's device tree plus Xen's /chosen entries and the domU; returns the DTB path."""
    qemu_dtb = os.path.join(workdir, "qemu.dtb")
    subprocess.run([args.qemu, "-machine", f"{qemu_runner.MACHINE},dumpdtb={qemu_dtb}", *machine_options(args),
                    "-display", "none"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    source = subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dts", qemu_dtb], check=True,
                            capture_output=True, text=True).stdout
    image_size = os.path.getsize(args.image)
    ramdisk = ""
    if args.initrd:
        ramdisk = f"""
			module@{initrd_address(args):x} {{
				compatible = "multiboot,ramdisk", "multiboot,module";
				reg = <{initrd_address(args):#x} {os.path.getsize(args.initrd):#x}>;
			}};"""
    bootargs, xen_bootargs = (a.replace("\\", "\\\\").replace('"', '\\"') for a in (args.bootargs, args.xen_bootargs))
    # dtc merges a node defined twice, so the additions are appended. Xen 4.17
    # panics on xen,enhanced = "enabled" without a dom0 ("Xenstore support
    # requires dom0"); "no-xenstore" still gives the /hypervisor node.
    source += f"""
/ {{
	chosen {{
		#address-cells = <2>;
		#size-cells = <2>;
		xen,xen-bootargs = "console=dtuart bootscrub=0 loglvl=all guest_loglvl=all {xen_bootargs}";
		domU1 {{
			compatible = "xen,domain";
			#address-cells = <1>;
			#size-cells = <1>;
			memory = <0 {args.domain_memory * 1024}>;
			cpus = <{args.vcpus}>;
			vpl011;
			xen,enhanced = "no-xenstore";
			module@{MODULE_ADDRESS:x} {{
				compatible = "multiboot,kernel", "multiboot,module";
				reg = <{MODULE_ADDRESS:#x} {image_size:#x}>;
				bootargs = "{bootargs}";
			}};{ramdisk}
		}};
	}};
}};
"""
    xen_dtb = os.path.join(workdir, "xen.dtb")
    subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", xen_dtb, "-"], input=source, check=True, text=True)
    return xen_dtb


class Run:
    def __init__(self, args):
        self.args = args
        self.qemu = qemu_runner.Qemu("run_on_xen")

    def start(self, xen, dtb):
        loaders = ["-device", f"loader,file={self.args.image},addr={MODULE_ADDRESS:#x},force-raw=on"]
        if self.args.initrd:
            loaders += ["-device", f"loader,file={self.args.initrd},addr={initrd_address(self.args):#x},force-raw=on"]
        self.started = time.monotonic()
        self.qemu.start([self.args.qemu, "-M", qemu_runner.MACHINE, *machine_options(self.args),
                         "-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot",
                         "-kernel", xen, "-dtb", dtb, *loaders])

    def report_times(self, timed):
        """Prints the launch-to-first-appearance time of each --time-to text seen so far."""
        now = time.monotonic()
        for text in [t for t in timed if t in self.qemu.output]:
            sys.stdout.flush()
            sys.stderr.write(f"\nrun_on_xen: {now - self.started:.2f} s from QEMU launch to {text.decode()!r}\n")
            timed.remove(text)

    def watch(self):
        missing = [m.encode() for m in self.args.expect]
        timed = [m.encode() for m in self.args.time_to]
        failures = [m.encode() for m in self.args.fail_on or DEFAULT_FAILURES]
        output = self.qemu.output
        console = self.qemu.console(self.args.timeout)
        try:
            while missing:
                chunk = next(console, None)
                if chunk is None:
                    return self.verdict(EXIT_FAILED, f"QEMU exited with status {self.qemu.wait()}", missing)
                failure = qemu_runner.failure_in(output, len(chunk), failures)
                if failure:
                    return self.verdict(EXIT_FAILED, f"saw {failure.decode()!r}", missing)
                missing = [m for m in missing if m not in output]
                if timed:
                    self.report_times(timed)
        except qemu_runner.Timeout:
            return self.verdict(EXIT_TIMEOUT, f"timeout after {self.args.timeout:g} s", missing)
        return self.verdict(0, f"all {len(self.args.expect)} markers seen", [])

    def verdict(self, status, reason, missing):
        self.qemu.kill()
        sys.stdout.flush()
        sys.stderr.write(f"\nrun_on_xen: {reason}; QEMU stopped\n")
        if missing:
            sys.stderr.write("run_on_xen: markers not seen: " + "; ".join(repr(m.decode()) for m in missing) + "\n")
        return status

    def run(self):
        xen = self.args.xen or find_reference("xen")
        if not xen or not os.path.isfile(xen):
            sys.stderr.write(f"run_on_xen: no Xen image (looked in {MANIFEST}); "
                             "run `sdk/tools/setup.sh artifacts` or pass --xen\n")
            return EXIT_SETUP
        if self.args.reference_kernel:
            self.args.image = find_reference("kernel")
            if not self.args.image or not os.path.isfile(self.args.image):
                sys.stderr.write(f"run_on_xen: no Linux kernel (looked in {MANIFEST}); "
                                 "run `sdk/tools/setup.sh artifacts`\n")
                return EXIT_SETUP
        with tempfile.TemporaryDirectory(prefix="run-on-xen-", dir=os.environ.get("TEST_TMPDIR")) as workdir:
            try:
                dtb = xen_device_tree(self.args, workdir)
                self.start(xen, dtb)
            except (OSError, subprocess.CalledProcessError) as e:
                sys.stderr.write(f"run_on_xen: cannot prepare or start QEMU: {e}\n")
                return EXIT_SETUP
            try:
                return self.watch()
            finally:
                self.qemu.kill()


def main(argv):
    return Run(parse_args(argv)).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
