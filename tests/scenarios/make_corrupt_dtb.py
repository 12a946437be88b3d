#!/usr/bin/python3
"""Writes a damaged copy of a device tree blob for the boot-failure scenarios.

Modes:
  bad-magic         the header magic is wrong
  truncated         the blob ends halfway through its structure block
  hostile-property  the first property claims a length far past the blob
"""

import struct
import sys

FDT_PROP = 3


def main(mode, source, target):
    blob = bytearray(open(source, "rb").read())
    _magic, _total, off_struct, _off_strings, _off_rsv, _version, _last, _boot_cpu, _size_strings, size_struct = (
        struct.unpack_from(">10I", blob, 0))
    if mode == "bad-magic":
        struct.pack_into(">I", blob, 0, 0xfeedd00d)
    elif mode == "truncated":
        blob = blob[: off_struct + size_struct // 2]
    elif mode == "hostile-property":
        pos = off_struct
        while struct.unpack_from(">I", blob, pos)[0] != FDT_PROP:
            pos += 4
        struct.pack_into(">I", blob, pos + 4, 0x7FFFFFF0)
    else:
        sys.exit(f"unknown mode {mode!r}")
    open(target, "wb").write(blob)


if __name__ == "__main__":
    main(*sys.argv[1:])
