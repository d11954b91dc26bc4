"""Reading and writing gettext ``.po`` files: the few parts of the format the lab uses.

An entry is a msgid, its msgstr, flags (``fuzzy``, ``python-brace-format``), source
references, and whether it is obsolete (``#~``: no longer in the source, its translation
kept in case the sentence comes back)."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

HEADER = {
    "Project-Id-Version": "tui-lab",
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding": "8bit",
    "Plural-Forms": "nplurals=1; plural=0;",
}
_WIDTH = 79  # msgmerge's line width, so that diffs of the catalogue look like everyone's


@dataclass
class Entry:
    msgid: str
    msgstr: str = ""
    flags: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    obsolete: bool = False

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags


@dataclass
class Catalogue:
    header: dict[str, str]
    entries: dict[str, Entry]  # by msgid, in file order

    def translated(self, msgid: str) -> str:
        """The usable translation: empty when missing, fuzzy or obsolete."""
        entry = self.entries.get(msgid)
        return entry.msgstr if entry and not entry.fuzzy and not entry.obsolete else ""


def _unquote(line: str) -> str:
    return ast.literal_eval(line) if line.startswith('"') else ""


def read_po(path: Path) -> Catalogue:
    """The catalogue in ``path`` (an empty one when the file does not exist)."""
    if not path.exists():
        return Catalogue(dict(HEADER), {})
    entries: dict[str, Entry] = {}
    header: dict[str, str] = {}
    current: dict[str, list[str]] = {}
    flags: list[str] = []
    refs: list[str] = []
    obsolete = False
    last = ""

    def finish() -> None:
        nonlocal current, flags, refs, obsolete
        if "msgid" in current:
            msgid, msgstr = "".join(current["msgid"]), "".join(current.get("msgstr", []))
            if msgid == "":
                for line in msgstr.splitlines():
                    key, _, value = line.partition(":")
                    header[key.strip()] = value.strip()
            else:
                entries[msgid] = Entry(msgid, msgstr, flags, refs, obsolete)
        current, flags, refs, obsolete = {}, [], [], False

    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if line.startswith("#~"):
            line, is_obsolete = line[2:].strip(), True
        else:
            is_obsolete = False
        if not line:
            finish()
            continue
        if raw.startswith("#,"):
            flags += [f.strip() for f in line[2:].split(",") if f.strip()]
        elif raw.startswith("#:"):
            refs += line[2:].split()
        elif line.startswith("#"):
            continue
        else:
            match = re.match(r"(msgid|msgstr)\s+(\".*\")$", line)
            if match:
                if match.group(1) == "msgid" and "msgstr" in current:
                    finish()
                last = match.group(1)
                current[last] = [_unquote(match.group(2))]
                obsolete = obsolete or is_obsolete
            elif line.startswith('"') and last in current:
                current[last].append(_unquote(line))
    return Catalogue(header or dict(HEADER), entries)


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t").replace("\n", "\\n")
    return f'"{escaped}"'


def _field(name: str, text: str, prefix: str = "") -> list[str]:
    """``msgid "…"``, or split after newlines and at spaces when it is long, as msgmerge does."""
    whole = f"{prefix}{name} {_quote(text)}"
    if len(whole) <= _WIDTH and "\n" not in text.rstrip("\n"):
        return [whole]
    lines = [f'{prefix}{name} ""']
    for piece in re.findall(r"[^\n]*\n|[^\n]+", text):
        chunk = ""
        for word in re.findall(r"\S*\s*", piece):
            if chunk and len(_quote(chunk + word)) + len(prefix) > _WIDTH:
                lines.append(prefix + _quote(chunk))
                chunk = ""
            chunk += word
        if chunk:
            lines.append(prefix + _quote(chunk))
    return lines


def format_po(catalogue: Catalogue) -> str:
    out = ["# Interface text of the lab in Simplified Chinese.",
           "# Updated by `python -m lab_i18n.extract`; compiled by `python -m lab_i18n.compile`.",
           'msgid ""', 'msgstr ""']
    out += [_quote(f"{key}: {value}\n") for key, value in catalogue.header.items()] + [""]
    for entry in catalogue.entries.values():
        prefix = "#~ " if entry.obsolete else ""
        if entry.references and not entry.obsolete:
            out += _wrap_refs(entry.references)
        if entry.flags:
            out.append("#, " + ", ".join(entry.flags))
        out += _field("msgid", entry.msgid, prefix) + _field("msgstr", entry.msgstr, prefix) + [""]
    return "\n".join(out)


def _wrap_refs(refs: list[str]) -> list[str]:
    lines, line = [], "#:"
    for ref in refs:
        if len(line) + 1 + len(ref) > _WIDTH and line != "#:":
            lines.append(line)
            line = "#:"
        line += " " + ref
    return lines + [line]


def write_po(catalogue: Catalogue, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(format_po(catalogue), encoding="utf-8")
