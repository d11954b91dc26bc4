"""Which interface messages a language cannot show: no translation in the compiled
catalogue, or a translation whose ``{placeholders}`` differ from the English (it would
raise, or drop a number, when formatted)."""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from pathlib import Path

from lab_i18n.compile import mo_path
from lab_i18n.extract import Message, placeholders, source_messages


@dataclass(frozen=True)
class Gap:
    msgid: str
    where: str  # the first place in the source that shows it
    problem: str  # "no translation" or "placeholders differ: …"

    def line(self, lang: str) -> str:
        return f"{self.where}: {self.problem} ({lang}): {self.msgid!r}"


def compiled(lang: str, path: Path | None = None) -> dict[str, str]:
    """The translations the lab would load for ``lang`` (empty when there is no catalogue)."""
    path = path or mo_path(lang)
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)._catalog  # the msgid → msgstr table gettext built
    return {k: v for k, v in catalog.items() if isinstance(k, str) and k}


def gaps(lang: str, messages: list[Message] | None = None, translations: dict[str, str] | None = None) -> list[Gap]:
    """Every message of the source that ``lang``'s catalogue does not translate faithfully."""
    messages = source_messages() if messages is None else messages
    translations = compiled(lang) if translations is None else translations
    found: dict[str, Gap] = {}
    for message in messages:
        if message.msgid in found:
            continue
        text = translations.get(message.msgid, "")
        if not text:
            found[message.msgid] = Gap(message.msgid, message.where, "no translation")
        elif placeholders(text) != placeholders(message.msgid):
            extra = sorted(placeholders(text) ^ placeholders(message.msgid))
            found[message.msgid] = Gap(message.msgid, message.where, "placeholders differ: " + ", ".join(extra))
    return list(found.values())
