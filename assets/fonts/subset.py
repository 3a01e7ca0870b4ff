#!/usr/bin/env python3
"""Build assets/fonts/NotoSansMonoCJKtc-Regular.subset.otf.

Source: Debian package fonts-noto-cjk (1:20220127+repack1-1),
/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc, face "Noto Sans Mono
CJK TC" (SIL Open Font License 1.1). Needs fonttools (pip install fonttools).

The subset keeps what a till prints: ASCII, Latin-1, general punctuation,
CJK symbols and punctuation, full-width forms, and every character of the
Big5 symbol area (0xA140-0xA3BF) and Big5 level 1, the ~5,400 frequently
used characters (0xA440-0xC67E), decoded with Python's big5 codec.

Usage: python3 assets/fonts/subset.py [path/to/NotoSansCJK-Regular.ttc]
"""
import os
import sys

from fontTools import subset
from fontTools.ttLib import TTCollection

SRC = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
FACE = "Noto Sans Mono CJK TC"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "NotoSansMonoCJKtc-Regular.subset.otf")


def big5_range(lo, hi):
    """Characters of the Big5 double-byte codes lo..hi (trail bytes 40-7E, A1-FE)."""
    chars = set()
    for lead in range(lo >> 8, (hi >> 8) + 1):
        for trail in list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF)):
            code = (lead << 8) | trail
            if lo <= code <= hi:
                try:
                    chars.add(bytes([lead, trail]).decode("big5"))
                except UnicodeDecodeError:
                    pass
    return chars


def main():
    chars = set(chr(c) for c in range(0x20, 0x7F))
    chars |= set(chr(c) for c in range(0xA0, 0x100))
    chars |= set(chr(c) for c in range(0x2010, 0x2040))  # general punctuation
    chars |= set(chr(c) for c in range(0x3000, 0x3020))  # CJK symbols/punctuation
    chars |= set(chr(c) for c in range(0xFF01, 0xFF5F))  # full-width forms
    chars |= {"\u2500", "\u2550", "\u20ac", "\u00d7"}  # box rules, euro, times
    chars |= big5_range(0xA140, 0xA3BF)
    chars |= big5_range(0xA440, 0xC67E)

    collection = TTCollection(SRC)
    font = next(f for f in collection.fonts if f["name"].getDebugName(4) == FACE)
    options = subset.Options()
    options.layout_features = []  # no shaping needed: one glyph per character
    options.hinting = False
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options=options)
    subsetter.populate(unicodes=[ord(c) for c in chars])
    subsetter.subset(font)
    font.save(OUT)
    print(f"{OUT}: {len(chars)} characters, {os.path.getsize(OUT)} bytes")


if __name__ == "__main__":
    main()
