#!/usr/bin/python3
"""Extracts the conformance domain's result lines from a console log.

The domain (tests/domains/conformance.cc) prints one line per case,
"conformance: <case-name>: <result>", and finally "conformance: done (N cases)".
On Xen a domU's lines carry the prefix "(XEN) DOM<id>: "; on Septum "[<name>] ".
Both are stripped (as are bare lines without a prefix). Prints the case lines,
in order, without the done line: that is the format of the expected files, so

    extract.py xen-console.log > tests/conformance/xen-4.17.expected

records a new reference.

--domain NAME keeps only the lines of one domain when several share the
console: "[NAME] " on Septum, "(XEN) DOMNAME: " on Xen (e.g. --domain 1).
"""

import argparse
import re
import sys

PREFIX = re.compile(r"^(?:\(XEN\) DOM(?P<xen>\d+): |\[(?P<septum>[A-Za-z0-9_.-]+)\] )?(?P<line>conformance: .*)$")
CASE = re.compile(r"^conformance: (?P<name>[A-Za-z0-9_.-]+):(?: (?P<result>.*))?$")
DONE = re.compile(r"^conformance: done \((?P<count>\d+) cases\)$")


class Extract:
    """The conformance lines of one log."""

    def __init__(self, cases, done_count):
        self.cases = cases            # [(name, result, line)] in log order
        self.done_count = done_count  # N of "done (N cases)", None if the run never got there


def conformance_lines(text, domain=None):
    """Yields the "conformance: ..." lines of `text`, prefixes stripped."""
    for raw in text.splitlines():
        m = PREFIX.match(raw.rstrip("\r\n").rstrip())
        if not m:
            continue
        source = m.group("xen") or m.group("septum")
        if domain is not None and source != domain:
            continue
        yield m.group("line")


def parse_case(line):
    """(name, result) of a case line, or None for any other line."""
    if DONE.match(line):
        return None
    m = CASE.match(line)
    if not m:
        return None
    return m.group("name"), m.group("result") or ""


def extract(text, domain=None):
    cases = []
    done = None
    for line in conformance_lines(text, domain):
        m = DONE.match(line)
        if m:
            done = int(m.group("count"))
            continue
        case = parse_case(line)
        if case:
            cases.append((case[0], case[1], line))
    return Extract(cases, done)


def read_log(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", errors="replace")


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("log", help="console log (Xen's or Septum's serial output)")
    p.add_argument("--domain", help="keep only this domain's lines ('[NAME] ' or '(XEN) DOMNAME: ')")
    args = p.parse_args(argv)
    try:
        result = extract(read_log(args.log), args.domain)
    except OSError as e:
        sys.stderr.write(f"extract: {e}\n")
        return 2
    for _, _, line in result.cases:
        print(line)
    if result.done_count is None:
        sys.stderr.write("extract: warning: no 'conformance: done (N cases)' line; the run did not finish\n")
        return 1
    if result.done_count != len(result.cases):
        sys.stderr.write(f"extract: warning: the domain counted {result.done_count} cases, the log has "
                         f"{len(result.cases)}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
