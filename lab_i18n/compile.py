"""Compile a ``.po`` catalogue into the GNU ``.mo`` file that :mod:`gettext` reads.

``python -m lab_i18n.compile`` compiles every ``lab_i18n/<lang>/LC_MESSAGES/tui-lab.po``.
Pure Python (no ``msgfmt`` needed); like ``msgfmt`` it leaves out fuzzy, obsolete and
untranslated entries, and its output depends only on the ``.po`` (entries sorted), so the
committed ``.mo`` can be compared with a fresh compile.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

from lab_i18n import DOMAIN, LOCALE_DIR
from lab_i18n.po import Catalogue, read_po

MAGIC = 0x950412DE


def mo_bytes(catalogue: Catalogue) -> bytes:
    """The ``.mo`` image: header, the two string tables, then the strings (no hash table)."""
    pairs = {"": "".join(f"{k}: {v}\n" for k, v in catalogue.header.items())}
    pairs |= {msgid: catalogue.translated(msgid) for msgid in catalogue.entries if catalogue.translated(msgid)}
    keys = sorted(pairs, key=lambda k: k.encode("utf-8"))
    ids = [k.encode("utf-8") for k in keys]
    strs = [pairs[k].encode("utf-8") for k in keys]
    count = len(keys)
    ids_table, strs_table = 7 * 4, 7 * 4 + count * 8
    data_start = strs_table + count * 8
    offsets, blob = [], b""
    for text in ids + strs:
        offsets.append((len(text), data_start + len(blob)))
        blob += text + b"\0"
    head = struct.pack("<7I", MAGIC, 0, count, ids_table, strs_table, 0, data_start)
    tables = b"".join(struct.pack("<2I", length, offset) for length, offset in offsets)
    return head + tables + blob


def mo_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"


def compile_language(lang: str) -> Path:
    po = mo_path(lang).with_suffix(".po")
    target = mo_path(lang)
    target.write_bytes(mo_bytes(read_po(po)))
    return target


def main() -> int:
    for po in sorted(LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        target = compile_language(po.parents[1].name)
        print(f"{target.relative_to(LOCALE_DIR.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
