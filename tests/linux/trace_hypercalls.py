#!/usr/bin/python3
"""Lists, in order, the hypervisor calls a domU makes on the reference Xen 4.17.

A tool for finding out what a guest (Debian's Linux by default) needs from
the hypervisor, not a test. It boots the guest as a dom0less domU exactly as
tests/xen/run_on_xen.py does and lets QEMU log the guest's registers each
time Xen's vector for synchronous exceptions from a lower EL runs:

  pass 1  `-d int` until the guest's first console line: the first HVC
          taken from EL1 shows where that vector is (VBAR_EL2 + 0x400);
  pass 2  `-d int,cpu,nochain -dfilter VECTOR+0x80`: for every exception
          QEMU logs its class (ESR) and, on entry to the vector, the
          guest's x0-x30, until --until appears on the console.

Then prints one line per HVC/SMC from EL1: the physical (QEMU) CPU, the call (x16 for HVC
#0xEA1, x0 for SMCCC/PSCI over HVC #0 or SMC #0), its sub-op and the
register arguments, decoded with the numbers of Xen's public headers.
Arguments in memory (structures behind pointers) are not visible, and the
log shows entries only, not results. Also counts the other traps (data
aborts on MMIO, system-register traps, WFI/WFE).

Example:
  tests/linux/trace_hypercalls.py --initrd bazel-bin/tests/linux/initramfs.cpio.gz \\
      --bootargs "console=ttyAMA0 rdinit=/init nokaslr septum.run=hypervisor,poweroff"
"""

import argparse
import collections
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.realpath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO_ROOT, "tests", "xen"))
sys.path.insert(0, os.path.join(REPO_ROOT, "sdk", "tools"))
sys.dont_write_bytecode = True
import qemu_runner  # noqa: E402
import run_on_xen  # noqa: E402

EC_NAMES = {0x01: "WFI/WFE", 0x07: "FP/SIMD access", 0x16: "HVC", 0x17: "SMC", 0x18: "system register",
            0x20: "instruction abort", 0x24: "data abort"}

# Hypercall numbers and sub-ops (xen/include/public/*.h).
HYPERCALLS = {
    12: ("memory_op", {0: "increase_reservation", 1: "decrease_reservation", 6: "populate_physmap",
                       7: "add_to_physmap", 23: "add_to_physmap_range", 28: "acquire_resource"}),
    13: ("multicall", {}),
    17: ("xen_version", {0: "version", 1: "extraversion", 2: "compile_info", 3: "capabilities",
                         4: "changeset", 5: "platform_parameters", 6: "get_features", 7: "pagesize",
                         8: "guest_handle", 9: "commandline", 10: "build_id"}),
    18: ("console_io", {0: "write", 1: "read"}),
    20: ("grant_table_op", {0: "map_grant_ref", 1: "unmap_grant_ref", 2: "setup_table", 5: "copy",
                            6: "query_size", 8: "set_version", 9: "get_status_frames", 10: "get_version"}),
    21: ("vm_assist", {0: "enable", 1: "disable"}),
    24: ("vcpu_op", {0: "initialise", 1: "up", 2: "down", 3: "is_up", 4: "get_runstate_info",
                     5: "register_runstate_memory_area", 10: "register_vcpu_info"}),
    29: ("sched_op", {0: "yield", 1: "block", 2: "shutdown", 3: "poll", 4: "remote_shutdown"}),
    32: ("event_channel_op", {0: "bind_interdomain", 1: "bind_virq", 3: "close", 4: "send", 5: "status",
                              6: "alloc_unbound", 7: "bind_ipi", 8: "bind_vcpu", 9: "unmask", 10: "reset",
                              11: "init_control", 12: "expand_array", 13: "set_priority"}),
    33: ("physdev_op", {}),
    34: ("hvm_op", {0: "set_param", 1: "get_param"}),
}

# SMCCC function IDs (PSCI 1.1, SMCCC 1.2, TRNG, vendor hypervisor services).
SMCCC = {
    0x80000000: "SMCCC_VERSION", 0x80000001: "SMCCC_ARCH_FEATURES", 0x80000002: "SMCCC_ARCH_SOC_ID",
    0x80008000: "SMCCC_ARCH_WORKAROUND_1", 0x80007FFF: "SMCCC_ARCH_WORKAROUND_2",
    0x80003FFF: "SMCCC_ARCH_WORKAROUND_3",
    0x84000000: "PSCI_VERSION", 0xC4000001: "PSCI_CPU_SUSPEND", 0x84000002: "PSCI_CPU_OFF",
    0xC4000003: "PSCI_CPU_ON", 0xC4000004: "PSCI_AFFINITY_INFO", 0x84000006: "PSCI_MIGRATE_INFO_TYPE",
    0x84000008: "PSCI_SYSTEM_OFF", 0x84000009: "PSCI_SYSTEM_RESET", 0x8400000A: "PSCI_FEATURES",
    0xC400000E: "PSCI_SYSTEM_SUSPEND", 0xC4000012: "PSCI_SYSTEM_RESET2",
    0x84000050: "TRNG_VERSION", 0x8600FF01: "VENDOR_HYP_CALL_UID",
    0xC5000020: "HV_PV_TIME_FEATURES", 0xC5000021: "HV_PV_TIME_ST",
}


# System registers by (op0, op1, CRn, CRm, op2).
SYSREGS = {
    (3, 0, 12, 11, 5): "ICC_SGI1R_EL1", (3, 0, 0, 4, 0): "ID_AA64PFR0_EL1", (3, 0, 0, 4, 1): "ID_AA64PFR1_EL1",
    (3, 0, 0, 4, 4): "ID_AA64ZFR0_EL1", (3, 0, 0, 4, 5): "ID_AA64SMFR0_EL1", (3, 0, 0, 5, 0): "ID_AA64DFR0_EL1",
    (3, 0, 0, 5, 1): "ID_AA64DFR1_EL1", (3, 0, 0, 6, 0): "ID_AA64ISAR0_EL1", (3, 0, 0, 6, 1): "ID_AA64ISAR1_EL1",
    (3, 0, 0, 6, 2): "ID_AA64ISAR2_EL1", (3, 0, 0, 7, 0): "ID_AA64MMFR0_EL1", (3, 0, 0, 7, 1): "ID_AA64MMFR1_EL1",
    (3, 0, 0, 7, 2): "ID_AA64MMFR2_EL1", (3, 3, 14, 2, 0): "CNTP_TVAL_EL0", (3, 3, 14, 2, 1): "CNTP_CTL_EL0",
    (3, 3, 14, 2, 2): "CNTP_CVAL_EL0", (3, 0, 0, 0, 5): "MPIDR_EL1", (2, 0, 0, 2, 2): "MDSCR_EL1",
    (2, 0, 1, 0, 4): "OSLAR_EL1", (2, 0, 1, 3, 4): "OSDLR_EL1", (3, 3, 9, 14, 0): "PMUSERENR_EL0",
}


def sysreg(iss):
    """'NAME read' / 'S3_1_C2_C3_4 write' for a trapped MSR/MRS (EC 0x18)."""
    key = ((iss >> 20) & 3, (iss >> 14) & 7, (iss >> 10) & 0xF, (iss >> 1) & 0xF, (iss >> 17) & 7)
    name = SYSREGS.get(key, "S{}_{}_C{}_C{}_{}".format(*key))
    op0, op1, crn, crm, op2 = key
    if (op0, op1, crn) == (2, 0, 0) and op2 >= 4:
        name = f"DBG{'BBWW'[op2 - 4]}{'VCVC'[op2 - 4]}R{crm}_EL1"
    elif (op0, op1, crn) == (3, 0, 0) and 1 <= crm <= 3:
        name = f"{name} (AArch32 ID register)"
    return f"{name} {'read' if iss & 1 else 'write'}"


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--image", help="the domU's arm64 Image (default: the reference Linux kernel)")
    p.add_argument("--initrd", help="the domU's initramfs")
    p.add_argument("--bootargs", default="console=ttyAMA0 rdinit=/init nokaslr septum.run=hypervisor,poweroff")
    p.add_argument("--vcpus", type=int, default=2)
    p.add_argument("--domain-memory", type=int, default=1024, help="MiB")
    p.add_argument("--smp", type=int, default=2)
    p.add_argument("--cpu", default="max,pauth-impdef=on")
    p.add_argument("--memory", default="2G", help="QEMU's RAM")
    p.add_argument("--xen-bootargs", default="")
    p.add_argument("--until", default="reboot: Power down", help="console text that ends the trace")
    p.add_argument("--timeout", type=float, default=600)
    p.add_argument("--keep-log", help="also copy QEMU's trace log here")
    p.add_argument("--qemu", default="qemu-system-aarch64")
    args = p.parse_args(argv)
    args.xen = None
    args.expect, args.fail_on, args.time_to = [], None, []
    return args


def qemu_command(args, xen, dtb, extra):
    loaders = ["-device", f"loader,file={args.image},addr={run_on_xen.MODULE_ADDRESS:#x},force-raw=on"]
    if args.initrd:
        loaders += ["-device", f"loader,file={args.initrd},addr={run_on_xen.initrd_address(args):#x},force-raw=on"]
    return [args.qemu, "-M", qemu_runner.MACHINE, *run_on_xen.machine_options(args), "-display", "none",
            "-monitor", "none", "-serial", "stdio", "-no-reboot", "-kernel", xen, "-dtb", dtb, *loaders, *extra]


def boot_until(cmd, texts, timeout, grace=0.0):
    """Runs QEMU until one of `texts` is on its console; returns True if one was.

    QEMU then runs `grace` seconds more (the guest's last call, e.g.
    SCHEDOP_shutdown, follows its last console line) and is asked to stop
    with SIGTERM, so that it flushes its log; it is killed if it does not.
    """
    qemu = qemu_runner.Qemu("trace_hypercalls")
    qemu.start(cmd)
    wanted = [t.encode() for t in texts]
    try:
        for _ in qemu.console(timeout):
            if any(t in qemu.output for t in wanted):
                break
        else:
            return False
        deadline = time.monotonic() + grace
        fd = qemu.process.stdout.fileno()
        while (left := deadline - time.monotonic()) > 0:
            if select.select([fd], [], [], left)[0] and not os.read(fd, 65536):
                break
        os.killpg(qemu.process.pid, signal.SIGTERM)
        qemu.process.wait(timeout=30)
        return True
    except (qemu_runner.Timeout, subprocess.TimeoutExpired):
        return False
    finally:
        qemu.kill()


# QEMU logs a stale ESR with these; they are not synchronous exceptions.
ASYNCHRONOUS = ("IRQ", "FIQ", "Virtual IRQ", "Virtual FIQ", "SError", "Virtual SError")


class Exception_:
    def __init__(self, kind, cpu):
        self.kind, self.cpu = kind, cpu
        self.ec, self.iss, self.source, self.target, self.pc, self.regs = None, 0, None, None, 0, {}

    @property
    def synchronous(self):
        return self.kind not in ASYNCHRONOUS


def exceptions(log_path):
    """Yields each exception logged by `-d int` (with registers when `-d cpu` dumped them)."""
    current = None
    with open(log_path, errors="replace") as f:
        for line in f:
            m = re.match(r"Taking exception \d+ \[(.*)\] on CPU (\d+)", line)
            if m:
                if current:
                    yield current
                current = Exception_(m.group(1), int(m.group(2)))
                continue
            if current is None:
                continue
            if m := re.match(r"\.\.\.from EL(\d) to EL(\d)", line):
                current.source, current.target = int(m.group(1)), int(m.group(2))
            elif m := re.match(r"\.\.\.with ESR 0x([0-9a-f]+)/0x([0-9a-f]+)", line):
                current.ec, current.iss = int(m.group(1), 16), int(m.group(2), 16) & 0x1FFFFFF
            elif m := re.match(r"\.\.\.to EL\d PC 0x([0-9a-f]+)", line):
                current.pc = int(m.group(1), 16)
            elif line.startswith(" PC=") or re.match(r"X\d\d=", line):
                for name, value in re.findall(r"(X\d\d|PC|SP)=([0-9a-f]+)", line):
                    current.regs[name] = int(value, 16)
            elif line.startswith("PSTATE="):
                yield current
                current = None
    if current:
        yield current


def describe(e):
    x = [e.regs.get(f"X{i:02d}", 0) for i in range(31)]
    imm = e.iss & 0xFFFF
    kind = "HVC" if e.ec == 0x16 else "SMC"
    if e.ec == 0x16 and imm == 0xEA1:
        name, subops = HYPERCALLS.get(x[16], (f"hypercall {x[16]}", {}))
        sub = subops.get(x[0], str(x[0]))
        return f"{name}({sub}, x1={x[1]:#x}, x2={x[2]:#x})"
    name = SMCCC.get(x[0] & 0xFFFFFFFF, f"{x[0] & 0xFFFFFFFF:#010x}")
    if name in ("PSCI_FEATURES", "SMCCC_ARCH_FEATURES"):
        return f"{kind} #{imm:#x} {name}({SMCCC.get(x[1] & 0xFFFFFFFF, hex(x[1]))})"
    if name == "PSCI_CPU_ON":
        return f"{kind} #{imm:#x} {name}(mpidr={x[1]:#x}, entry={x[2]:#x})"
    return f"{kind} #{imm:#x} {name}"


def main(argv):
    args = parse_args(argv)
    if not args.image:
        args.image = run_on_xen.find_reference("kernel")
    xen = run_on_xen.find_reference("xen")
    if not xen or not args.image:
        sys.stderr.write("trace_hypercalls: no reference Xen or kernel; run `sdk/tools/setup.sh artifacts`\n")
        return 2
    with tempfile.TemporaryDirectory(prefix="trace-hypercalls-") as work:
        dtb = run_on_xen.xen_device_tree(args, work)
        first_log = os.path.join(work, "int.log")
        boot_until(qemu_command(args, xen, dtb, ["-d", "int", "-D", first_log]), ["(XEN) DOM1:"], args.timeout)
        vector = next((e.pc for e in exceptions(first_log)
                       if e.synchronous and e.ec == 0x16 and e.source == 1 and e.target == 2), None)
        if vector is None:
            sys.stderr.write("trace_hypercalls: the guest made no HVC before its first console line\n")
            return 1
        sys.stderr.write(f"trace_hypercalls: Xen's lower-EL synchronous vector is at {vector:#x}\n")
        log = os.path.join(work, "trace.log")
        done = boot_until(qemu_command(args, xen, dtb, ["-d", "int,cpu,nochain", "-dfilter", f"{vector:#x}+0x80",
                                                        "-D", log]), [args.until], args.timeout, grace=2.0)
        if not done:
            sys.stderr.write(f"trace_hypercalls: {args.until!r} did not appear; the trace is partial\n")
        if args.keep_log:
            with open(log, "rb") as src, open(args.keep_log, "wb") as dst:
                dst.write(src.read())
        print("\n# Calls from EL1 to Xen, in order (physical CPU: call)")
        counts = collections.Counter()
        for e in exceptions(log):
            if e.source != 1 or e.target != 2:
                continue
            if not e.synchronous:
                counts[f"interrupt ({e.kind})"] += 1
                continue
            if e.ec in (0x16, 0x17) and e.regs:
                print(f"cpu{e.cpu}: {describe(e)}")
            elif e.ec == 0x18:
                counts[f"system register: {sysreg(e.iss)}"] += 1
            else:
                counts[EC_NAMES.get(e.ec, f"EC {e.ec:#x}")] += 1
        print("\n# Other traps from EL1 to Xen (count by class)")
        for name, count in counts.most_common():
            print(f"{count:7d} {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
