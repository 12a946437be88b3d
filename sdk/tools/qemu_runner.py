#!/usr/bin/python3
"""Boots a Septum image in QEMU and reports how the system ended.

The serial console is streamed to stdout. The core's last line is always
"septum: system off, status N"; the runner exits with N, or with its own
non-zero code when QEMU fails, times out or the line never appears. QEMU is
killed on timeout and when the runner itself is interrupted.

Scenario mode (--expect-status): succeed only if every --expect marker
appeared, in order, and the system ended with the expected status.
"""

import argparse
import os
import re
import select
import signal
import struct
import subprocess
import sys
import tempfile
import time

MACHINE = "virt,virtualization=on,gic-version=3"
RAM_BASE = 0x40000000
STATUS_LINE = re.compile(rb"septum: system off, status (\d+)")

EXIT_TIMEOUT = 124
EXIT_NO_STATUS = 3
EXIT_QEMU_FAILED = 4
EXIT_SCENARIO_FAILED = 1


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kernel", required=True, help="the core's ELF image")
    p.add_argument("--smp", type=int, default=4)
    p.add_argument("--cpu", default="max")
    p.add_argument("--memory", default="1G")
    p.add_argument("--append", default="", help="boot arguments for the core")
    p.add_argument("--timeout", type=float, default=120, help="seconds; 0 = none")
    p.add_argument("--raw-dtb", help="place this blob, unchecked, where the core looks for its device tree")
    p.add_argument("--interactive", action="store_true", help="connect the terminal to the serial port")
    p.add_argument("--expect", action="append", default=[], help="marker that must appear (in order)")
    p.add_argument("--expect-anywhere", action="append", default=[],
                   help="marker that must appear, in any order relative to the others")
    p.add_argument("--expect-status", type=int, help="scenario mode: the status the system must end with")
    p.add_argument("--qemu", default="qemu-system-aarch64")
    return p.parse_args(argv)


def write_blob_elf(blob_path, entry, elf_path):
    """Writes an ELF whose only segment puts the blob at the start of RAM.

    Given as -kernel, an ELF that covers the start of RAM stops QEMU from
    writing its own device tree there, so the core finds this blob instead.
    """
    blob = open(blob_path, "rb").read()
    ehdr_size, phdr_size = 64, 56
    ident = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)  # 64-bit, little endian
    ehdr = ident + struct.pack("<HHIQQQIHHHHHH", 2, 183, 1, entry, ehdr_size, 0, 0,
                               ehdr_size, phdr_size, 1, 0, 0, 0)  # ET_EXEC, EM_AARCH64
    offset = ehdr_size + phdr_size
    phdr = struct.pack("<IIQQQQQQ", 1, 4, offset, RAM_BASE, RAM_BASE, len(blob), len(blob), 8)  # PT_LOAD, R
    with open(elf_path, "wb") as f:
        f.write(ehdr + phdr + blob)


def elf_entry(path):
    with open(path, "rb") as f:
        header = f.read(32)
    return struct.unpack_from("<Q", header, 24)[0]


def qemu_command(args, blob_elf=None):
    cmd = [
        args.qemu,
        "-M", MACHINE,
        "-cpu", args.cpu,
        "-smp", str(args.smp),
        "-m", args.memory,
        "-no-reboot",
    ]
    if args.interactive:
        cmd += ["-nographic"]
    else:
        cmd += ["-display", "none", "-monitor", "none", "-serial", "stdio"]
    if blob_elf:
        # Both ELFs enter at the core's entry point, whichever reset runs last.
        cmd += ["-kernel", blob_elf, "-device", f"loader,file={args.kernel},cpu-num=0"]
    else:
        cmd += ["-kernel", args.kernel]
        if args.append:
            cmd += ["-append", args.append]
    return cmd


def failure_in(output, chunk_length, failures):
    """The first of `failures` (bytes) in the newest output, or None.

    A failure text may straddle chunks, so the tail searched is the new chunk
    plus what could hold the start of the longest failure text.
    """
    longest = max((len(f) for f in failures), default=0)
    window = output[max(0, len(output) - chunk_length - longest):]
    return next((f for f in failures if f in window), None)


class Timeout(Exception):
    """QEMU's console stayed open past the deadline; QEMU has been killed."""


class Qemu:
    """QEMU in its own session, its console streamed to stdout (also used by
    tests/xen/run_on_xen.py).

    The session lets one killpg take down QEMU with anything it spawned.
    Creating a Qemu makes SIGINT, SIGTERM and SIGHUP kill it and exit with
    128 + the signal, so an interrupted caller never leaves QEMU running;
    `name` prefixes that message.
    """

    def __init__(self, name):
        self.name = name
        self.process = None
        self.output = bytearray()
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, self.on_signal)

    def on_signal(self, signum, _frame):
        self.kill()
        sys.stderr.write(f"\n{self.name}: interrupted by signal {signum}; QEMU killed\n")
        sys.exit(128 + signum)

    def start(self, cmd, interactive=False):
        """Starts QEMU; raises OSError when it cannot."""
        stdin = None if interactive else subprocess.DEVNULL
        self.process = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE, start_new_session=True)
        pid_file = os.environ.get("SEPTUM_QEMU_PID_FILE")
        if pid_file:  # lets the runners' own tests check that QEMU is gone
            with open(pid_file, "w") as f:
                f.write(str(self.process.pid))

    def kill(self):
        if self.process and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()

    def wait(self):
        return self.process.wait()

    def console(self, timeout):
        """Yields QEMU's output chunk by chunk, each already copied to stdout
        and appended to self.output, until QEMU closes it.

        Raises Timeout, with QEMU killed, if the output is still open
        `timeout` seconds (0 = no limit) after the first chunk was asked for.
        """
        deadline = time.monotonic() + timeout if timeout > 0 else None
        out = sys.stdout.buffer
        fd = self.process.stdout.fileno()
        while True:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([fd], [], [], wait)
            if not ready:
                self.kill()
                raise Timeout()
            chunk = os.read(fd, 65536)
            if not chunk:
                return
            out.write(chunk)
            out.flush()
            self.output += chunk
            yield chunk


class Runner:
    def __init__(self, args):
        self.args = args
        self.qemu = Qemu("qemu_runner")
        self.marker_index = 0
        self.search_from = 0

    def match_markers(self):
        while self.marker_index < len(self.args.expect):
            marker = self.args.expect[self.marker_index].encode()
            at = self.qemu.output.find(marker, self.search_from)
            if at < 0:
                return
            self.search_from = at + len(marker)
            self.marker_index += 1

    def run(self):
        blob_elf = None
        if self.args.raw_dtb:
            blob_elf = os.path.join(tempfile.mkdtemp(prefix="septum-dtb-"), "dtb.elf")
            write_blob_elf(self.args.raw_dtb, elf_entry(self.args.kernel), blob_elf)
        cmd = qemu_command(self.args, blob_elf)
        try:
            self.qemu.start(cmd, interactive=self.args.interactive)
        except OSError as e:
            sys.stderr.write(f"qemu_runner: cannot start {cmd[0]}: {e}\n")
            return EXIT_QEMU_FAILED
        try:
            for _ in self.qemu.console(self.args.timeout):
                self.match_markers()
        except Timeout:
            sys.stderr.write(f"\nqemu_runner: timeout after {self.args.timeout:g} s; QEMU killed\n")
            self.report_missing_markers()
            return EXIT_TIMEOUT
        return self.verdict(self.qemu.wait())

    def missing_anywhere(self):
        return [m for m in self.args.expect_anywhere if m.encode() not in self.qemu.output]

    def report_missing_markers(self):
        missing = self.args.expect[self.marker_index:] + self.missing_anywhere()
        if missing:
            sys.stderr.write("qemu_runner: markers not seen (in order): " + "; ".join(repr(m) for m in missing) + "\n")

    def verdict(self, qemu_status):
        if qemu_status != 0:
            sys.stderr.write(f"qemu_runner: QEMU exited with status {qemu_status}\n")
            return EXIT_QEMU_FAILED
        statuses = STATUS_LINE.findall(self.qemu.output)
        if not statuses:
            sys.stderr.write("qemu_runner: the system stopped without its 'septum: system off, status N' line\n")
            return EXIT_NO_STATUS
        status = int(statuses[-1])
        if self.args.expect_status is None:
            if self.marker_index < len(self.args.expect) or self.missing_anywhere():
                self.report_missing_markers()
                return EXIT_SCENARIO_FAILED
            return status
        ok = True
        if status != self.args.expect_status:
            sys.stderr.write(f"qemu_runner: system status {status}, expected {self.args.expect_status}\n")
            ok = False
        if self.marker_index < len(self.args.expect) or self.missing_anywhere():
            self.report_missing_markers()
            ok = False
        if ok:
            count = len(self.args.expect) + len(self.args.expect_anywhere)
            sys.stderr.write(f"qemu_runner: scenario passed ({count} markers, status {status})\n")
        return 0 if ok else EXIT_SCENARIO_FAILED


def main(argv):
    return Runner(parse_args(argv)).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
