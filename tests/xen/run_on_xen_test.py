#!/usr/bin/python3
"""Checks run_on_xen.py's own guarantees: a marker that never comes times out
with 124 and QEMU killed, and a terminated runner takes QEMU down with it."""

import os
import signal
import subprocess
import tempfile
import time

RUNNER = "tests/xen/run_on_xen.py"
IMAGE = "tests/domains/hello.img"


def alive(pid_file):
    try:
        os.kill(int(open(pid_file).read()), 0)
        return True
    except ProcessLookupError:
        return False


def start(pid_file, timeout):
    return subprocess.Popen(
        ["/usr/bin/python3", RUNNER, "--image", IMAGE, "--expect", "a marker nobody prints", "--timeout",
         str(timeout)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=dict(os.environ, SEPTUM_QEMU_PID_FILE=pid_file))


def main():
    work = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))

    pid_file = os.path.join(work, "timeout.pid")
    runner = start(pid_file, 5)
    _, err = runner.communicate(timeout=120)
    assert runner.returncode == 124, (runner.returncode, err)
    assert b"timeout after 5 s; QEMU stopped" in err, err
    assert b"markers not seen: 'a marker nobody prints'" in err, err
    assert not alive(pid_file), "QEMU survived the timeout"

    pid_file = os.path.join(work, "term.pid")
    runner = start(pid_file, 120)
    deadline = time.monotonic() + 60
    while not os.path.exists(pid_file) and time.monotonic() < deadline:
        time.sleep(0.05)
    runner.send_signal(signal.SIGTERM)
    _, err = runner.communicate(timeout=60)
    assert runner.returncode == 128 + signal.SIGTERM, (runner.returncode, err)
    assert not alive(pid_file), "QEMU survived the runner"
    print("run_on_xen kills QEMU on timeout and on SIGTERM")


if __name__ == "__main__":
    main()
