#!/usr/bin/python3
"""Runs the conformance domain on the reference Xen 4.17 and compares.

Boots the domain with tests/xen/run_on_xen.py (a dom0less domU under QEMU),
which stops QEMU once the line "conformance: done (N cases)" appears, saves the console log,
then compares it with the expected file (compare.py). The log goes to --log,
else to $TEST_UNDECLARED_OUTPUTS_DIR/xen-console.log under Bazel.

--update-expected writes the run's case lines (extract.py) to the expected
file instead of comparing: how the reference is recorded. Under `bazel run`
relative paths are taken from the workspace.
"""

import argparse
import os
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
sys.dont_write_bytecode = True
import compare  # noqa: E402
import extract  # noqa: E402

# The runner stops QEMU as soon as every marker is in the output; both
# together mean the whole done line "conformance: done (N cases)" is there.
DONE_MARKERS = ["conformance: done (", " cases)"]


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runner", required=True, help="tests/xen/run_on_xen.py")
    p.add_argument("--image", required=True, help="the conformance domain's Image")
    p.add_argument("--vcpus", type=int, default=2)
    p.add_argument("--domain-memory", type=int, default=256, help="MiB")
    p.add_argument("--expected", required=True)
    p.add_argument("--allowlist", default="-", help='"-" (default): the run must match exactly')
    p.add_argument("--log", help="where to keep the console log")
    p.add_argument("--timeout", type=float, default=240, help="seconds")
    p.add_argument("--update-expected", action="store_true", help="record the run as the new expected file")
    return p.parse_args(argv)


def log_path(args, workdir):
    if args.log:
        return args.log
    outputs = os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR")
    return os.path.join(outputs or workdir, "xen-console.log")


def run_xen(args, log):
    cmd = [sys.executable, args.runner, "--image", args.image, "--vcpus", str(args.vcpus),
           "--domain-memory", str(args.domain_memory), "--timeout", str(args.timeout)]
    for marker in DONE_MARKERS:
        cmd += ["--expect", marker]
    runner = subprocess.Popen(cmd, stdout=subprocess.PIPE)

    def forward(signum, _frame):  # the runner kills QEMU when it is told to stop
        runner.send_signal(signum)
        runner.wait()
        sys.exit(128 + signum)

    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, forward)
    with open(log, "wb") as f:
        for chunk in iter(lambda: runner.stdout.read1(65536), b""):
            f.write(chunk)
            sys.stdout.buffer.write(chunk)
            sys.stdout.flush()
    return runner.wait()


def main(argv):
    args = parse_args(argv)
    workspace = os.environ.get("BUILD_WORKSPACE_DIRECTORY")
    if args.update_expected and workspace and not os.path.isabs(args.expected):
        args.expected = os.path.join(workspace, args.expected)
    with tempfile.TemporaryDirectory(prefix="conformance-", dir=os.environ.get("TEST_TMPDIR")) as workdir:
        log = log_path(args, workdir)
        status = run_xen(args, log)
        if status != 0:
            sys.stderr.write(f"check_on_xen: the Xen run failed (run_on_xen.py exit status {status}); "
                             f"log: {log}\n")
        text = extract.read_log(log)
        if args.update_expected:
            run = extract.extract(text)
            if status != 0 or run.done_count != len(run.cases):
                sys.stderr.write("check_on_xen: incomplete run; expected file left alone\n")
                return 1
            with open(args.expected, "w", encoding="utf-8") as f:
                f.writelines(line + "\n" for _, _, line in run.cases)
            print(f"check_on_xen: wrote {len(run.cases)} cases to {args.expected}")
            return 0
        try:
            expected, order = compare.read_expected(args.expected)
            allowlist = compare.read_allowlist(args.allowlist)
        except (OSError, compare.BadInput) as e:
            sys.stderr.write(f"check_on_xen: {e}\n")
            return compare.EXIT_BAD_INPUT
        sys.stdout.write("\n")
        verdict = compare.compare(text, expected, order, allowlist)
        return verdict or (1 if status != 0 else 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
