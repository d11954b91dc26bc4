"""The lab's plot rules, for every plot it draws or writes: which ticks, how numbers read,
what a series is called.

* Steps and epochs are counted: their axis has integer ticks only (``0 50 100``).
* A linear value axis has 1-2-5 ticks (each step 1, 2 or 5 × 10ᵏ) that cover the data,
  all written in one format (``0.00 0.25 0.50``), so the column of labels lines up.
* A log axis is labelled at decades (``0.01 0.1 1`` or ``1e-5 1e-4``); data spanning less
  than a decade gets 1-2-5 labels at its ends (``0.2 0.5``) instead of one lone decade.
* A number never reads ``-0`` or ``-0.00``: a value that rounds to zero is written ``0``.
* A series without a name from its lesson is called by its key made readable
  (``test_accuracy`` → ``test accuracy``), less the words every series of its plot shares.

Pure functions, no Textual: the live plot, CSV export and any text output use them alike.
"""

from __future__ import annotations

import math
from typing import Iterable, Mapping, NamedTuple, Sequence

MANTISSAS = (1, 2, 5)
PLAIN_DECADES = range(-3, 4)  # 0.001 … 1000 read well as plain numbers; beyond, 1e-5
GREEK = {"alpha": "α", "beta": "β", "eta": "η", "theta": "θ", "lambda": "λ", "sigma": "σ", "mu": "μ"}
_EPS = 1e-9


# -- numbers -------------------------------------------------------------------------


def no_negative_zero(value: float, decimals: int | None = None) -> float:
    """``value``, or 0.0 where it is zero or would print as zero with ``decimals`` decimals."""
    if value == 0 or (decimals is not None and round(value, decimals) == 0):
        return 0.0
    return value


def fixed(value: float, decimals: int) -> str:
    """``value`` with ``decimals`` decimals; zero (also -0.001 at 2 decimals) is ``0``."""
    value = no_negative_zero(value, decimals)
    return "0" if value == 0 else f"{value:.{decimals}f}"


def short(value: float, digits: int = 4) -> str:
    """A value read off a plot: ``digits`` significant digits, never ``-0``."""
    value = no_negative_zero(value)
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else str(value)
    text = f"{value:.{digits}g}"
    return "0" if float(text) == 0 else _tidy_exponent(text)


def integer(value: float) -> str:
    """A step or epoch: ``120``, never ``120.0``."""
    return str(int(round(value)))


def data_number(value: float, *, counted: bool = False) -> str:
    """A number in a data file: exact (``repr``), counted values as integers, no ``-0.0``."""
    if counted and float(value).is_integer():
        return integer(value)
    return repr(float(no_negative_zero(value)))


def _tidy_exponent(text: str) -> str:
    """``2e-05`` → ``2e-5``, ``1e+06`` → ``1e6``."""
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    return f"{mantissa}e{int(exponent)}"


# -- the 1-2-5 sequence ------------------------------------------------------------------


def nice_step(at_least: float) -> tuple[float, int]:
    """The smallest step m × 10ᵏ (m in 1, 2, 5) that is ≥ ``at_least``: (step, k)."""
    exponent = math.floor(math.log10(at_least)) if at_least > 0 else 0
    while True:
        for mantissa in MANTISSAS:
            step = mantissa * 10.0 ** exponent
            if step >= at_least * (1 - _EPS):
                return step, exponent
        exponent += 1


def _next_step(step: float, exponent: int) -> tuple[float, int]:
    mantissa = round(step / 10.0 ** exponent)
    if mantissa == 5:
        return 10.0 ** (exponent + 1), exponent + 1
    return MANTISSAS[MANTISSAS.index(mantissa) + 1] * 10.0 ** exponent, exponent


# -- linear axes ---------------------------------------------------------------------------


def value_ticks(low: float, high: float, most: int = 5) -> tuple[list[float], int]:
    """1-2-5 ticks from a multiple of the step at or below ``low`` to one at or above
    ``high`` (so the axis can run from first to last tick), at most ``most`` of them
    (at least 2); and the decimals that every label of the axis is written with."""
    most = max(2, most)
    low, high = _widened(low, high)
    step, exponent = nice_step((high - low) / (most - 1))
    while True:
        first = math.floor(low / step + _EPS)
        last = math.ceil(high / step - _EPS)
        if last - first + 1 <= most:
            break
        step, exponent = _next_step(step, exponent)
    decimals = max(0, -exponent)
    return [round(k * step, decimals) for k in range(first, last + 1)], decimals


def _widened(low: float, high: float) -> tuple[float, float]:
    """A range to tick: a single value gets room around it (10 %, or ±1 around zero)."""
    if high - low > abs(high) * 1e-12:
        return low, high
    half = abs(low) * 0.05 or 1.0
    return low - half, high + half


def value_labels(ticks: Sequence[float], decimals: int) -> list[str]:
    """One format for every tick of an axis: fixed decimals, or one shared scientific form
    where fixed would need more than 4 decimals or more than 6 digits."""
    biggest = max((abs(t) for t in ticks), default=0.0)
    if decimals <= 4 and biggest < 1e6:
        return [fixed(t, decimals) for t in ticks]
    # m·10ᵉ with every mantissa to the step's precision: 2e-5 4e-5, or 1.5e6 3.0e6
    exponent = math.floor(math.log10(biggest)) if biggest else 0
    digits = max(0, exponent - _step_exponent(ticks))
    labels = []
    for tick in ticks:
        mantissa = no_negative_zero(tick / 10.0 ** exponent, digits)
        labels.append("0" if mantissa == 0 else f"{mantissa:.{digits}f}e{exponent}")
    return labels


def _step_exponent(ticks: Sequence[float]) -> int:
    if len(ticks) < 2:
        return 0
    return math.floor(math.log10(abs(ticks[1] - ticks[0])) + _EPS)


def count_ticks(low: float, high: float, most: int = 5) -> list[int]:
    """Integer ticks (steps, epochs) inside ``low``..``high``: multiples of a 1-2-5 step
    of at least 1, at most ``most``; at least two (the ends) whenever the range has two
    integers; one, the value itself, for a single point."""
    first, last = math.ceil(low - _EPS), math.floor(high + _EPS)
    if last <= first:
        return [int(round(low))] if last == first or high - low < 1 else [first]
    most = max(2, most)
    step, exponent = nice_step(max(1.0, (last - first) / (most - 1)))
    while True:
        ticks = list(range(math.ceil(first / step - _EPS) * int(step), last + 1, int(step)))
        if len(ticks) <= most:
            break
        step, exponent = _next_step(step, exponent)
    if len(ticks) < 2:
        return [first, last]
    return ticks


def count_labels(ticks: Sequence[int]) -> list[str]:
    """Integer labels, shortened alike past 10 000: ``20k 40k``, ``1.5M 3M``."""
    biggest = max((abs(t) for t in ticks), default=0)
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if biggest >= 10 * size and all(t % (size // 10) == 0 for t in ticks):
            return [f"{t / size:g}{suffix}" if t else "0" for t in ticks]
    return [integer(t) for t in ticks]


# -- log axes ------------------------------------------------------------------------------


def log_ticks(low: float, high: float, most: int = 5) -> list[float]:
    """Tick values for a log axis whose data runs from ``low`` to ``high`` (both > 0):
    the decades around the data (if they are too many, every 2nd, 5th, … decade among
    them), or, when the data spans less than a decade, the 1-2-5 values just around and
    between its ends. Always at least two."""
    most = max(2, most)
    if high <= low * (1 + _EPS):  # one value: the 1-2-5 values either side of it
        low, high = low / 1.25, high * 1.25
    if math.log10(high) - math.log10(low) <= 1 + _EPS:
        around = _one_two_five_around(low, high)
        if len(around) <= most:
            return around
    first, last = decades_around(low, high)
    stride, exponent = 1.0, 0
    while True:  # every decade, every 2nd, 5th, 10th, … until the labels fit
        every = int(stride)
        exponents = [e for e in range(first, last + 1) if e % every == 0]
        if len(exponents) <= most:
            break
        stride, exponent = _next_step(stride, exponent)
    if len(exponents) < 2:  # no stride fits: the decades at both ends
        exponents = [first, last]
    return [10.0 ** e for e in exponents]


def decades_around(low: float, high: float) -> tuple[int, int]:
    """The exponents of the decades just below ``low`` and just above ``high`` (two at least)."""
    first, last = math.floor(math.log10(low) + _EPS), math.ceil(math.log10(high) - _EPS)
    return first, max(last, first + 1)


def _one_two_five_around(low: float, high: float) -> list[float]:
    """1-2-5 values from the largest ≤ ``low`` to the smallest ≥ ``high``."""
    exponent = math.floor(math.log10(low) + _EPS)
    values: list[float] = []
    while not values or values[-1] < high * (1 - _EPS):
        for mantissa in MANTISSAS:
            value = float(f"{mantissa}e{exponent}")  # exact decimal, not 2 * 10**-3 rounded
            if value <= low * (1 + _EPS):
                values = [value]
            elif not values or values[-1] < high * (1 - _EPS):
                values.append(value)
        exponent += 1
    return values


def log_labels(ticks: Sequence[float]) -> list[str]:
    """Labels of a log axis: plain (``0.001 0.01 0.1 1 10``) while every tick lies in
    0.001…1000, else all in the ``1e-5`` form."""
    exponents = [math.floor(math.log10(t) + _EPS) for t in ticks]
    if all(e in PLAIN_DECADES for e in exponents):
        return [_plain(t) for t in ticks]
    return [_tidy_exponent(f"{t:.0e}") if float(f"{t:.0e}") == t else _tidy_exponent(f"{t:.2g}") for t in ticks]


def _plain(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text or "0"


# -- how many ticks fit ----------------------------------------------------------------------


def ticks_for_width(width: int, widest_label: int) -> int:
    """How many labels fit across ``width`` columns with a gap of two between them."""
    return max(2, width // (widest_label + 2))


def ticks_for_height(rows: int) -> int:
    """How many labels go up ``rows`` rows of curve: about every other row."""
    return max(2, rows // 2 + 1)


# -- names -----------------------------------------------------------------------------------


def readable_name(key: str) -> str:
    """A value's key as words: ``test_accuracy`` → ``test accuracy``, ``batch_theta`` → ``batch θ``."""
    words = [GREEK.get(word, word) for word in key.replace("-", "_").split("_") if word]
    return " ".join(words) or key


def readable_title(title: str) -> str:
    """A plot's title as shown: a bare value name (``theta``) made readable, words kept."""
    return readable_name(title) if title.replace("_", "").isalnum() else title


def legend_names(keys: Iterable[str], labels: Mapping[str, str] | None = None) -> dict[str, str]:
    """The name shown for each series: its lesson label, else its key made readable, less
    the words at the start or end that every unlabelled series shares (the plot's title
    says them): ``batch_loss``, ``sgd_loss`` → ``batch``, ``sgd``."""
    labels = labels or {}
    keys = list(dict.fromkeys(keys))
    plain = [k for k in keys if not labels.get(k)]
    words = {k: readable_name(k).split(" ") for k in plain}
    if len(plain) > 1:
        while all(len(w) > 1 for w in words.values()) and len({w[-1] for w in words.values()}) == 1:
            words = {k: w[:-1] for k, w in words.items()}
        while all(len(w) > 1 for w in words.values()) and len({w[0] for w in words.values()}) == 1:
            words = {k: w[1:] for k, w in words.items()}
    return {k: labels.get(k) or " ".join(words[k]) for k in keys}


# -- whole axes --------------------------------------------------------------------------------


class Axis(NamedTuple):
    """What a plot needs to draw one axis: its limits, and the labels at their positions."""

    lower: float
    upper: float
    positions: list[float]  # where the ticks are, in plotted units (log10 of the value on a log axis)
    labels: list[str]


def count_axis(low: float, high: float, width: int) -> Axis:
    """An axis of steps or epochs across ``width`` columns: the data's range (a lone point
    in the middle), integer labels."""
    widest = len(count_labels([int(round(max(abs(low), abs(high))))])[0]) + 1
    ticks = count_ticks(low, high, ticks_for_width(width, widest))
    lower, upper = (low - 0.5, high + 0.5) if high - low < 1 else (low, high)
    return Axis(lower, upper, [float(t) for t in ticks], count_labels(ticks))


def value_axis(low: float, high: float, most: int) -> Axis:
    """A linear axis running from its first 1-2-5 tick to its last, so both are labelled."""
    ticks, decimals = value_ticks(low, high, most)
    return Axis(ticks[0], ticks[-1], list(ticks), value_labels(ticks, decimals))


def log_axis(low_log: float, high_log: float, most: int) -> Axis:
    """A log axis of data plotted as log10 (``low_log``..``high_log``), labelled with values."""
    ticks = log_ticks(10.0 ** low_log, 10.0 ** high_log, most)
    positions = [math.log10(t) for t in ticks]
    lower, upper = min(positions[0], low_log), max(positions[-1], high_log)
    if all(abs(p - round(p)) < 1e-9 for p in positions):  # labelled at decades: the axis ends at decades
        first, last = decades_around(10.0 ** low_log, 10.0 ** high_log)
        lower, upper = min(lower, first), max(upper, last)
    return Axis(lower, upper, positions, log_labels(ticks))


def log_axis_to_the_data(low_log: float, high_log: float, most: int) -> Axis:
    """As ``log_axis``, but ending a little past the data instead of at whole decades when at
    least two labelled decades lie within it: a sweep from 1.6k to 102k parameters then fills
    the width instead of leaving 1e5–1e6 empty."""
    axis = log_axis(low_log, high_log, most)
    inside = [(p, label) for p, label in zip(axis.positions, axis.labels) if low_log - _EPS <= p <= high_log + _EPS]
    if len(inside) < 2:
        return axis
    margin = 0.03 * (high_log - low_log)  # the first and last points clear of the frame
    return Axis(low_log - margin, high_log + margin, [p for p, _ in inside], [label for _, label in inside])
