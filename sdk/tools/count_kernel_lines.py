#!/usr/bin/python3
"""Counts the lines of code of the privileged core (kernel/): C++, assembly
and linker script, without blank lines and comments. The host fake arch is
test support and not counted. Budget: 15,000 lines."""

import os
import re
import sys

BUDGET = 15000
EXTENSIONS = (".cc", ".h", ".S", ".ld")
EXCLUDED_DIRS = {os.path.join("kernel", "arch", "fake")}
BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.S)
STRING = re.compile(r'"(?:\\.|[^"\\])*"')


def code_lines(text):
    # Blank out strings first so "//" or "/*" inside them are not comments.
    text = STRING.sub('""', text)
    text = BLOCK_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    count = 0
    for line in text.splitlines():
        line = line.split("//", 1)[0].strip()
        if line:
            count += 1
    return count


def main(root):
    per_dir = {}
    for dirpath, dirnames, filenames in os.walk(os.path.join(root, "kernel")):
        rel = os.path.relpath(dirpath, root)
        dirnames[:] = sorted(d for d in dirnames if os.path.join(rel, d) not in EXCLUDED_DIRS)
        for name in sorted(filenames):
            if name.endswith(EXTENSIONS):
                with open(os.path.join(dirpath, name), encoding="utf-8") as f:
                    per_dir[rel] = per_dir.get(rel, 0) + code_lines(f.read())
    total = sum(per_dir.values())
    for rel in sorted(per_dir):
        print(f"  {per_dir[rel]:6d}  {rel}/")
    print(f"kernel/ lines of code: {total} (budget {BUDGET})")
    return 0 if total <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")))
