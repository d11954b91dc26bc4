"""``tui-lab values LESSON [--variant N] [--json]``: a lesson's numbers for one set of
numbers, name → value in the order the engine gives them — a teacher's answer key.

Plain output is one ``name = value`` line each (floats to 10 significant digits, a graph
or other structure only named); ``--json`` is one object with every value in full: numbers
stay numbers, lists stay lists, and a value JSON cannot hold (NaN, ±∞) is written as null
and named on stderr.
"""

from __future__ import annotations

import json
import math
from typing import IO, Any, Callable

from lessons import Catalog
from lessons.values import lesson_has_variants, lesson_values
from tui_lab.contract import EXIT_OK, find_lesson
from lab_i18n import _


def cmd_values(catalog: Catalog, lesson_id: str, variant: int | None, as_json: bool, out: IO[str],
               err: IO[str]) -> int:
    """``variant``: None when not asked for (the articles' numbers, variant 0)."""
    lesson = find_lesson(catalog, lesson_id)
    if not lesson.values:
        err.write(_("{lesson} has no value table: its text quotes no engine numbers.").format(lesson=lesson.id) + "\n")
    elif variant is not None and not lesson_has_variants(lesson):
        err.write(_("{lesson} has one set of numbers: every variant gives these.").format(lesson=lesson.id) + "\n")
    values = lesson_values(lesson, variant or 0)
    if as_json:
        nulled: list[str] = []
        table = {name: _jsonable(value, lambda name=name: nulled.append(name)) for name, value in values.items()}
        if nulled:
            err.write(_("Written as null (JSON has no NaN or infinity): {names}.").format(
                names=", ".join(dict.fromkeys(nulled))) + "\n")
        out.write(json.dumps(table, ensure_ascii=False, allow_nan=False, indent=1) + "\n")
    else:
        out.writelines(f"{name} = {_shown(value)}\n" for name, value in values.items())
    return EXIT_OK


def _jsonable(value: Any, nulled: Callable[[], None]) -> Any:
    """``value`` as JSON types: NumPy scalars and arrays as numbers and lists; NaN and ±∞ as None
    (and ``nulled`` is called)."""
    if hasattr(value, "tolist"):  # a NumPy scalar or array
        value = value.tolist()
    if isinstance(value, float) and not math.isfinite(value):
        nulled()
        return None
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, nulled) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v, nulled) for k, v in value.items()}
    return value


def _shown(value: Any) -> str:
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return format(value, ".10g")
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    if isinstance(value, dict):
        return _("(a structure: --json gives it in full)")
    return str(value)
