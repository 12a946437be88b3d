#!/usr/bin/python3
"""Writes a minimal arm64 Linux "Image" (Documentation/arm64/booting.rst) for tests.

The 64-byte header's first instruction branches past the header to code
that asks for PSCI SYSTEM_OFF through HVC #0 (the guest platform's conduit)
and, should that return, waits for interrupts forever. So the image is a
real program that ends the system cleanly once the core runs it.
"""

import argparse
import struct

BRANCH_PAST_HEADER = 0x14000010  # b #64
CODE = [
    0x52800100,  # mov  w0, #0x8
    0x72B08000,  # movk w0, #0x8400, lsl #16: x0 = PSCI SYSTEM_OFF (0x84000008)
    0xD4000002,  # hvc  #0
    0xD503207F,  # wfi
    0x17FFFFFF,  # b    back to the wfi
]
FLAGS_LE_4K_ANYWHERE = 0b1010  # little-endian, 4 KiB pages, anywhere in RAM
MAGIC = b"ARM\x64"


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("output")
    p.add_argument("--text-offset", type=lambda s: int(s, 0), default=0)
    p.add_argument("--image-size", type=lambda s: int(s, 0), default=0x1000,
                   help="effective size in the header (BSS included); 0 = legacy image")
    p.add_argument("--flags", type=lambda s: int(s, 0), default=FLAGS_LE_4K_ANYWHERE)
    args = p.parse_args()
    header = struct.pack("<IIQQQQQQ4sI", BRANCH_PAST_HEADER, 0, args.text_offset, args.image_size,
                         args.flags, 0, 0, 0, MAGIC, 0)
    assert len(header) == 64
    with open(args.output, "wb") as f:
        f.write(header + struct.pack("<%dI" % len(CODE), *CODE))


if __name__ == "__main__":
    main()
