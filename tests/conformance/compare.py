#!/usr/bin/python3
"""Compares a conformance run with a reference.

    compare.py LOG EXPECTED ALLOWLIST [--domain NAME]

LOG is a console log of the conformance domain (Xen's "(XEN) DOM1: " or
Septum's "[name] " prefixes; see extract.py). EXPECTED holds the reference
case lines ("conformance: <case>: <result>", one per case, as extract.py
prints them). ALLOWLIST holds "<case> <reason>" lines (a case may be an
fnmatch pattern such as "console-io-*"; '#' starts a comment; the reason is
required); "-" means none.

Every case of EXPECTED must appear in LOG with the same result, LOG must
have no other case, and the run must have ended with "conformance: done (N
cases)". A difference in an allow-listed case is reported but accepted.
Exit status: 0 when every difference is allow-listed, 1 otherwise, 2 when
an input cannot be read or is malformed.
"""

import argparse
import fnmatch
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
sys.dont_write_bytecode = True
import extract  # noqa: E402

EXIT_DIFFERENT = 1
EXIT_BAD_INPUT = 2


class BadInput(Exception):
    pass


def read_expected(path):
    """{name: result} and the names in file order."""
    results = {}
    order = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n").rstrip()
            if not line or line.startswith("#"):
                continue
            case = extract.parse_case(line)
            if case is None:
                raise BadInput(f"{path}:{number}: not a case line: {line!r}")
            name, result = case
            if name in results:
                raise BadInput(f"{path}:{number}: case {name} listed twice")
            results[name] = result
            order.append(name)
    return results, order


def read_allowlist(path):
    """[(pattern, reason, line number)]."""
    if path == "-":
        return []
    entries = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            fields = line.split(None, 1)
            if len(fields) < 2:
                raise BadInput(f"{path}:{number}: '{fields[0]}' has no reason (format: <case> <reason>)")
            entries.append((fields[0], fields[1], number))
    return entries


def allowed(name, allowlist):
    for pattern, reason, _ in allowlist:
        if fnmatch.fnmatchcase(name, pattern):
            return reason
    return None


def compare(log_text, expected, order, allowlist, domain=None, out=sys.stdout):
    """Prints the differences; returns the exit status."""
    run = extract.extract(log_text, domain)
    actual = {}
    actual_order = []
    duplicates = []
    for name, result, _ in run.cases:
        if name in actual:
            duplicates.append(name)
            continue
        actual[name] = result
        actual_order.append(name)

    differences = []  # (name, expected result or None, actual result or None)
    for name in order:
        if actual.get(name) != expected[name]:
            differences.append((name, expected[name], actual.get(name)))
    for name in actual_order:
        if name not in expected:
            differences.append((name, None, actual[name]))

    failing = []
    accepted = []
    for difference in differences:
        reason = allowed(difference[0], allowlist)
        (accepted if reason is not None else failing).append((difference, reason))

    def show(difference):
        name, want, got = difference
        out.write(f"  {name}\n")
        out.write(f"    - expected: {want if want is not None else '(no such case)'}\n")
        out.write(f"    + actual:   {got if got is not None else '(missing)'}\n")

    problems = 0
    if run.done_count is None:
        last = run.cases[-1][0] if run.cases else "none"
        out.write(f"compare: the run did not finish: no 'conformance: done (N cases)' line "
                  f"(last case seen: {last})\n")
        problems += 1
    elif run.done_count != len(run.cases):
        out.write(f"compare: the domain counted {run.done_count} cases but the log shows {len(run.cases)} "
                  f"(lost or split lines?)\n")
        problems += 1
    for name in duplicates:
        out.write(f"compare: case {name} appears more than once in the log\n")
        problems += 1
    if failing:
        out.write(f"compare: {len(failing)} difference(s) not in the allow-list:\n")
        for difference, _ in failing:
            show(difference)
    if accepted:
        out.write(f"compare: {len(accepted)} allow-listed difference(s):\n")
        for difference, reason in accepted:
            show(difference)
            out.write(f"    allowed: {reason}\n")
    unused = [(p, n) for p, _, n in allowlist if not any(fnmatch.fnmatchcase(name, p) for name in order)]
    for pattern, number in unused:
        out.write(f"compare: note: allow-list line {number}: '{pattern}' matches no expected case\n")
    same = sum(1 for name in order if actual.get(name) == expected[name])
    verdict = "FAIL" if failing or problems else "OK"
    out.write(f"compare: {len(order)} expected cases: {same} same, {len(accepted)} allow-listed, "
              f"{len(failing)} different -> {verdict}\n")
    return EXIT_DIFFERENT if failing or problems else 0


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("log")
    p.add_argument("expected")
    p.add_argument("allowlist", help='"<case> <reason>" lines, or "-" for none')
    p.add_argument("--domain", help="only this domain's lines (see extract.py)")
    args = p.parse_args(argv)
    try:
        expected, order = read_expected(args.expected)
        allowlist = read_allowlist(args.allowlist)
        log_text = extract.read_log(args.log)
    except (OSError, BadInput) as e:
        sys.stderr.write(f"compare: {e}\n")
        return EXIT_BAD_INPUT
    if not order:
        sys.stderr.write(f"compare: {args.expected} lists no case\n")
        return EXIT_BAD_INPUT
    return compare(log_text, expected, order, allowlist, args.domain)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
