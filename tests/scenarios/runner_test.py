#!/usr/bin/python3
"""Checks the QEMU runner's own guarantees with an image that never ends:
a timeout kills QEMU and fails with 124, and a terminated runner takes QEMU
down with it."""

import os
import signal
import struct
import subprocess
import sys
import tempfile
import time

RUNNER = "sdk/tools/qemu_runner.py"
BRANCH_TO_SELF = 0x14000000

sys.path.insert(0, os.path.dirname(RUNNER))
import qemu_runner  # noqa: E402


def qemu_children_alive(pid_file):
    pid = int(open(pid_file).read())
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def start(image, pid_file, timeout):
    return subprocess.Popen(
        ["/usr/bin/python3", RUNNER, "--kernel", image, "--smp", "1", "--timeout", str(timeout)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=dict(os.environ, SEPTUM_QEMU_PID_FILE=pid_file))


def main():
    work = tempfile.mkdtemp()
    blob, image = os.path.join(work, "loop.bin"), os.path.join(work, "loop.elf")
    open(blob, "wb").write(struct.pack("<I", BRANCH_TO_SELF))
    qemu_runner.write_blob_elf(blob, qemu_runner.RAM_BASE, image)

    pid_file = os.path.join(work, "timeout.pid")
    runner = start(image, pid_file, 2)
    _, err = runner.communicate(timeout=60)
    assert runner.returncode == 124, (runner.returncode, err)
    assert b"timeout after 2 s; QEMU killed" in err, err
    assert not qemu_children_alive(pid_file), "QEMU survived the timeout"

    pid_file = os.path.join(work, "term.pid")
    runner = start(image, pid_file, 60)
    deadline = time.monotonic() + 30
    while not os.path.exists(pid_file) and time.monotonic() < deadline:
        time.sleep(0.05)
    runner.send_signal(signal.SIGTERM)
    _, err = runner.communicate(timeout=60)
    assert runner.returncode == 128 + signal.SIGTERM, (runner.returncode, err)
    assert not qemu_children_alive(pid_file), "QEMU survived the runner"
    print("runner kills QEMU on timeout and on SIGTERM")


if __name__ == "__main__":
    main()
