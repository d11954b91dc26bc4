"""Find every interface message in the source and bring the catalogue up to date.

``python -m lab_i18n.extract`` reads each ``_("…")`` and ``N_("…")`` with a literal
argument in ``tui_lab/``, ``lessons/``, ``engines/`` and ``lab_i18n/`` (by parsing the
code, so a message is found wherever it is written, however it is laid out), then
rewrites ``lab_i18n/zh/LC_MESSAGES/tui-lab.po``: translations kept, new messages added
with an empty translation, messages gone from the source kept as obsolete (``#~``) so
their translation returns with them. ``--merge FILE.json`` (repeatable) first fills
empty translations from a JSON object of msgid → msgstr; ``--replace FILE.json`` also
replaces the translations it gives.
"""

from __future__ import annotations

import argparse
import ast
import json
import string
import sys
from dataclasses import dataclass
from pathlib import Path

from lab_i18n import DOMAIN, LOCALE_DIR
from lab_i18n.po import Catalogue, Entry, read_po, write_po

ROOT = LOCALE_DIR.parent
PACKAGES = ("tui_lab", "lessons", "engines", "lab_i18n")
MARKERS = {"_", "N_"}


@dataclass(frozen=True)
class Message:
    msgid: str
    where: str  # "tui_lab/cli.py:12", relative to the repository


def po_path(lang: str = "zh") -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def messages_in(source: str, name: str) -> list[Message]:
    """The literal messages marked in one file's source (``name`` is how references call it)."""
    found = []
    for node in ast.walk(ast.parse(source, filename=name)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in MARKERS
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.append(Message(node.args[0].value, f"{name}:{node.lineno}"))
    return sorted(found, key=lambda m: int(m.where.rsplit(":", 1)[1]))


def formatted_too_early(source: str, name: str) -> list[str]:
    """``_(f"…")`` or ``_("a" + b)``: text built before it is looked up, which no catalogue
    can hold (format after translating: ``_("{n} steps").format(n=n)``)."""
    return [f"{name}:{node.lineno}" for node in ast.walk(ast.parse(source, filename=name))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in MARKERS
            and node.args and isinstance(node.args[0], (ast.JoinedStr, ast.BinOp))]


def source_messages(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> list[Message]:
    """Every marked message under the packages, in file then line order (repeats included)."""
    found = []
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            found += messages_in(path.read_text(encoding="utf-8"), path.relative_to(root).as_posix())
    return found


def placeholders(text: str) -> set[str]:
    """The ``str.format`` fields of a message (``{count}``, ``{value:.3g}`` → ``value``)."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:  # a lone brace: not a format string
        return set()


def update(catalogue: Catalogue, messages: list[Message]) -> Catalogue:
    """The catalogue for these messages: existing translations kept, the rest obsolete."""
    refs: dict[str, list[str]] = {}
    for message in messages:
        refs.setdefault(message.msgid, []).append(message.where)
    entries: dict[str, Entry] = {}
    for msgid, where in refs.items():
        old = catalogue.entries.get(msgid)
        flags = [f for f in (old.flags if old else []) if f != "python-brace-format"]
        if placeholders(msgid):
            flags.append("python-brace-format")
        entries[msgid] = Entry(msgid, old.msgstr if old else "", flags, where)
    for msgid, old in catalogue.entries.items():
        if msgid not in entries and old.msgstr:  # an untranslated message that left has nothing to keep
            entries[msgid] = Entry(msgid, old.msgstr, [f for f in old.flags if f != "python-brace-format"],
                                   [], obsolete=True)
    return Catalogue(catalogue.header, entries)


def merge(catalogue: Catalogue, translations: dict[str, str], replace: bool = False) -> list[str]:
    """Fill empty translations from ``translations`` (with ``replace``, also change the ones
    there); a msgid the source does not have yet is kept as obsolete, ready for when it
    arrives. Returns the msgids whose existing, different translation was left as it was."""
    conflicts = []
    for msgid, msgstr in translations.items():
        if not msgid or not msgstr:
            continue
        entry = catalogue.entries.get(msgid)
        if entry is None:
            catalogue.entries[msgid] = Entry(msgid, msgstr, obsolete=True)
        elif not entry.msgstr or entry.fuzzy or replace:
            entry.msgstr = msgstr
            entry.flags = [f for f in entry.flags if f != "fuzzy"]
        elif entry.msgstr != msgstr:
            conflicts.append(msgid)
    return conflicts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab_i18n.extract", description=__doc__.split("\n\n")[0])
    parser.add_argument("--merge", action="append", default=[], metavar="FILE.json",
                        help="fill empty translations from a JSON object msgid -> msgstr (repeatable)")
    parser.add_argument("--replace", action="append", default=[], metavar="FILE.json",
                        help="as --merge, but its translations also replace the catalogue's (repeatable)")
    parser.add_argument("--lang", default="zh")
    args = parser.parse_args(argv)
    path = po_path(args.lang)
    catalogue = read_po(path)
    for name, replace in [(name, False) for name in args.merge] + [(name, True) for name in args.replace]:
        conflicts = merge(catalogue, json.loads(Path(name).read_text(encoding="utf-8")), replace)
        for msgid in conflicts:
            print(f"{name}: kept the catalogue's translation of {msgid!r}", file=sys.stderr)
    catalogue = update(catalogue, source_messages())
    write_po(catalogue, path)
    live = [e for e in catalogue.entries.values() if not e.obsolete]
    done = sum(bool(catalogue.translated(e.msgid)) for e in live)
    print(f"{path.relative_to(ROOT)}: {len(live)} messages, {done} translated, {len(live) - done} to translate")
    return 0


if __name__ == "__main__":
    sys.exit(main())
