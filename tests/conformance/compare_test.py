#!/usr/bin/python3
"""Checks extract.py and compare.py on made-up logs, and that the checked-in
reference and allow-list are well formed (every allow-list entry names a
case of the reference)."""

import os
import subprocess
import sys
import tempfile

HERE = "tests/conformance"
EXTRACT = os.path.join(HERE, "extract.py")
COMPARE = os.path.join(HERE, "compare.py")
EXPECTED = os.path.join(HERE, "xen-4.17.expected")
ALLOWLIST = os.path.join(HERE, "allowlist.txt")

WORK = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))


def write(name, text):
    path = os.path.join(WORK, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def run(*args):
    p = subprocess.run([sys.executable, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


XEN_LOG = """(XEN) Freed 348kB init memory.
(XEN) DOM1: sdk: some runtime line
(XEN) DOM1: conformance: alpha: 0\r
(XEN) d1v0 Over-allocation for d1: 65537 > 65536
(XEN) DOM1: conformance: beta: -22 EINVAL
(XEN) DOM1: conformance: gamma: 0 port=1 pending=yes
(XEN) DOM1: conformance: done (3 cases)
"""

SEPTUM_LOG = """septum: boot pack with 2 domain(s)
[other] conformance: alpha: 7
[conformance] conformance: alpha: 0
[conformance] conformance: beta: -38 ENOSYS
[conformance] conformance: gamma: 0 port=1 pending=yes
[conformance] conformance: done (3 cases)
septum: system off, status 0
"""

REFERENCE = """conformance: alpha: 0
conformance: beta: -22 EINVAL
conformance: gamma: 0 port=1 pending=yes
"""


def test_extract():
    code, out, err = run(EXTRACT, write("xen.log", XEN_LOG))
    assert code == 0, (code, err)
    assert out == REFERENCE, out
    code, out, err = run(EXTRACT, write("septum.log", SEPTUM_LOG), "--domain", "conformance")
    assert code == 0, (code, err)
    assert out.splitlines()[1] == "conformance: beta: -38 ENOSYS", out
    code, out, err = run(EXTRACT, write("unfinished.log", XEN_LOG.replace("done (3 cases)", "delta: 1")))
    assert code == 1 and "did not finish" in err, (code, err)


def test_compare():
    reference = write("reference.expected", REFERENCE)
    none = "-"
    code, out, _ = run(COMPARE, write("xen.log", XEN_LOG), reference, none)
    assert code == 0 and "3 same" in out and "-> OK" in out, (code, out)

    septum = write("septum.log", SEPTUM_LOG)
    code, out, _ = run(COMPARE, septum, reference, none, "--domain", "conformance")
    assert code == 1, (code, out)
    assert "1 difference(s) not in the allow-list" in out, out
    assert "  beta\n    - expected: -22 EINVAL\n    + actual:   -38 ENOSYS\n" in out, out

    allow = write("allow.txt", "# comment\nbe* Septum answers ENOSYS here  # why\n")
    code, out, _ = run(COMPARE, septum, reference, allow, "--domain", "conformance")
    assert code == 0, (code, out)
    assert "allowed: Septum answers ENOSYS here" in out and "1 allow-listed" in out, out

    # Without --domain the other domain's line is a second "alpha".
    code, out, _ = run(COMPARE, septum, reference, allow)
    assert code == 1 and "case alpha appears more than once" in out, (code, out)

    missing = write("missing.log", SEPTUM_LOG.replace("[conformance] conformance: gamma: 0 port=1 pending=yes\n", "")
                    .replace("done (3 cases)", "done (2 cases)"))
    code, out, _ = run(COMPARE, missing, reference, allow, "--domain", "conformance")
    assert code == 1 and "+ actual:   (missing)" in out, (code, out)

    extra = write("extra.log", XEN_LOG.replace("conformance: done (3 cases)",
                                               "conformance: delta: 5\n(XEN) DOM1: conformance: done (4 cases)"))
    code, out, _ = run(COMPARE, extra, reference, none)
    assert code == 1 and "  delta\n    - expected: (no such case)" in out, (code, out)

    unfinished = write("unfinished.log", XEN_LOG.replace("(XEN) DOM1: conformance: done (3 cases)\n", ""))
    code, out, _ = run(COMPARE, unfinished, reference, none)
    assert code == 1 and "the run did not finish" in out and "last case seen: gamma" in out, (code, out)

    code, _, err = run(COMPARE, septum, reference, write("bad.txt", "beta\n"))
    assert code == 2 and "has no reason" in err, (code, err)
    code, _, err = run(COMPARE, septum, write("bad.expected", "alpha: 0\n"), none)
    assert code == 2 and "not a case line" in err, (code, err)


def test_reference_files():
    sys.path.insert(0, HERE)
    sys.dont_write_bytecode = True
    import compare

    expected, order = compare.read_expected(EXPECTED)
    assert len(order) > 250, len(order)
    allowlist = compare.read_allowlist(ALLOWLIST)
    for pattern, _, number in allowlist:
        assert any(compare.fnmatch.fnmatchcase(name, pattern) for name in order), \
            f"{ALLOWLIST}:{number}: '{pattern}' matches no case of {EXPECTED}"
    for name in order:
        line = f"conformance: {name}: {expected[name]}"
        assert len(line) + len("(XEN) DOM1: ") < 128, f"{name}: line too long for Xen's vpl011"
    # The reference compares equal to itself, as a log of a finished run.
    log = "".join(f"(XEN) DOM1: conformance: {n}: {expected[n]}\n" for n in order)
    log += f"(XEN) DOM1: conformance: done ({len(order)} cases)\n"
    code, out, _ = run(COMPARE, write("reference.log", log), EXPECTED, ALLOWLIST)
    assert code == 0 and "matches no expected case" not in out, out


def main():
    test_extract()
    test_compare()
    test_reference_files()
    print("extract.py and compare.py behave; the reference and allow-list are well formed")


if __name__ == "__main__":
    main()
