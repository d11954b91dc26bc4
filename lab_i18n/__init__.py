"""The lab's interface text in the user's language: one gettext catalogue for every layer.

Every sentence the interface shows is written in English in the code, wrapped in ``_()``
where it is shown, and translated through ``lab_i18n/<lang>/LC_MESSAGES/tui-lab.mo``
(compiled from the ``.po`` next to it by ``python -m lab_i18n.compile``). Module-level
constants are marked with ``N_()`` (no translation at import time) and translated where
they are shown, with ``_(CONSTANT)``. Placeholders use ``str.format`` names:
``_("{count} steps").format(count=n)``.

The language is process-wide: ``set_language`` sets it (the app on start and when the
learner switches; an engine worker from its run request), and ``TUI_LAB_LANG`` gives the
default so that worker processes speak the language of the lab that started them.
This package imports only the standard library: every layer may use it.

Tools: ``python -m lab_i18n.extract`` brings the ``.po`` up to date with the source (and
``--merge FILE.json`` fills translations from a JSON object of msgid → msgstr);
``lab_i18n.coverage.gaps`` lists what a language cannot show (``tui-lab check --lang zh``
fails on any); ``lab_i18n.cjk`` says where a line of Chinese may break.
"""

from __future__ import annotations

import gettext
import os
from functools import lru_cache
from pathlib import Path

DOMAIN = "tui-lab"
LOCALE_DIR = Path(__file__).resolve().parent
LANGUAGES = {"en": "English", "zh": "简体中文"}

_current = os.environ.get("TUI_LAB_LANG", "en")
if _current not in LANGUAGES:
    _current = "en"


@lru_cache(maxsize=None)
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``lang`` (English, the source text, needs none)."""
    if lang == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), languages=[lang], fallback=True)


def set_language(lang: str) -> None:
    """Make ``lang`` the language of everything shown from now on (and of child processes)."""
    global _current
    _current = lang if lang in LANGUAGES else "en"
    os.environ["TUI_LAB_LANG"] = _current


def language() -> str:
    return _current


def _(message: str) -> str:
    """``message`` in the current language (the English text where it has no translation)."""
    return translations(_current).gettext(message)


def gettext_in(lang: str, message: str) -> str:
    """``message`` in ``lang``, whatever the current language is."""
    return translations(lang).gettext(message)


# What goes between two sentences: a matter of script, not of words to translate
# (a Chinese full stop needs no space after it).
SENTENCE_SEPARATORS = {"en": " ", "zh": ""}


def sentences(*parts: str, lang: str | None = None) -> str:
    """Whole sentences one after another (empty ones left out), spaced as the language
    (default: the current one) spaces them."""
    return SENTENCE_SEPARATORS.get(lang or _current, " ").join(p.strip() for p in parts if p and p.strip())


def N_(message: str) -> str:
    """Mark a constant for the catalogue without translating it now."""
    return message
