"""A power law L ≈ a·X^slope fitted by least squares on log10–log10 axes (pure NumPy).

On log–log axes a power law is a straight line, log10 L = log10 a + slope·log10 X, so
the fit is an ordinary straight-line fit of the logarithms: every point weighs the same
whatever its size, which is what the eye sees on a log–log plot.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def fit(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float, float]:
    """(slope, intercept, r2) of log10 y = intercept + slope·log10 x, so y ≈ 10**intercept · x**slope.

    Needs at least two points with different positive x and positive y; r2 is the share of
    the variance of log10 y the line explains (1 for two points, or when all y are equal)."""
    x, y = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    if len(x) < 2 or not np.all(np.isfinite(x) & (x > 0)) or not np.all(np.isfinite(y) & (y > 0)) or np.ptp(x) == 0:
        raise ValueError("a power-law fit needs two or more points with different positive x and positive y")
    x, y = np.log10(x), np.log10(y)
    slope, intercept = np.polyfit(x, y, 1)
    residual = float(np.sum((y - (intercept + slope * x)) ** 2))
    total = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - residual / total if total > 0 else 1.0
    return float(slope), float(intercept), r2


def predict(x: float, slope: float, intercept: float) -> float:
    """The fitted law's value at ``x``."""
    return float(10.0 ** intercept * x ** slope)


def local_slopes(xs: Sequence[float], ys: Sequence[float]) -> list[float | None]:
    """The slope on log–log axes from each point to the one before it (None for the first)."""
    out: list[float | None] = [None]
    for (x0, y0), (x1, y1) in zip(zip(xs, ys), zip(xs[1:], ys[1:])):
        out.append(float(np.log10(y1 / y0) / np.log10(x1 / x0)) if x1 != x0 else None)
    return out


def upper_half(xs: Sequence[float], ys: Sequence[float]) -> tuple[list[float], list[float]]:
    """The points with the larger half of x (the middle one too, for an odd count): where a
    power law still holds once the small-model or small-data end has bent away."""
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    keep = order[len(order) // 2:]
    return [xs[i] for i in keep], [ys[i] for i in keep]
