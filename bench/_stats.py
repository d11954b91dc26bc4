"""Statistics for the benches: summaries, the fraction of seeds reaching a target and a
one-sided Student t test that the mean accuracy is at least the target.

Standard library only (no scipy): the t distribution's CDF comes from the regularized
incomplete beta function, evaluated by its continued fraction (Lentz's method), which is
exact to float precision for every degree of freedom the benches use.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

ALPHA = 0.05  # the test passes when p < ALPHA


def summarize(values: Iterable[float]) -> dict:
    """Mean, sample standard deviation (n - 1), min, max and count; sd is 0.0 for one value
    and every figure None for none."""
    data = [float(v) for v in values]
    n = len(data)
    if n == 0:
        return {"mean": None, "sd": None, "min": None, "max": None, "n": 0}
    mean = math.fsum(data) / n
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in data) / (n - 1)) if n > 1 else 0.0
    return {"mean": mean, "sd": sd, "min": min(data), "max": max(data), "n": n}


def fraction_at_least(values: Sequence[float], target: float) -> float | None:
    """Share of values at or above the target (None for no values)."""
    data = list(values)
    return sum(1 for v in data if v >= target) / len(data) if data else None


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    tiny, eps = 1e-300, 1e-15
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        for numerator in (m * (b - m) * x / ((qam + m2) * (a + m2)),
                          -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < eps:
            return h
    raise ArithmeticError("incomplete beta: the continued fraction did not converge")


def incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b) for a, b > 0 and 0 <= x <= 1."""
    if not 0.0 <= x <= 1.0:
        raise ValueError("x must lie in [0, 1]")
    if x in (0.0, 1.0):
        return x
    log_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                 + a * math.log(x) + b * math.log1p(-x))
    front = math.exp(log_front)
    # The fraction converges fast only on one side of the mean; use the symmetry otherwise.
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_fraction(a, b, x) / a
    return 1.0 - front * _beta_fraction(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with ``df`` degrees of freedom."""
    if df <= 0:
        raise ValueError("degrees of freedom must be positive")
    if math.isinf(t):
        return 1.0 if t > 0 else 0.0
    tail = 0.5 * incomplete_beta(df / 2.0, 0.5, df / (df + t * t))  # P(T > |t|)
    return 1.0 - tail if t > 0 else tail


def one_sided_t(values: Sequence[float], target: float) -> dict:
    """One-sample t test of H0: mean < target against H1: mean >= target.

    ``p`` is P(T >= t) under a mean equal to the target with n - 1 degrees of freedom;
    ``passes`` when p < 0.05. With fewer than two values there is no test (t and p None,
    passes False); with no spread t is None and p is 0 or 1 by which side the mean is on.
    """
    summary = summarize(values)
    n, mean = summary["n"], summary["mean"]
    result = {"n": n, "mean": mean, "target": float(target), "t": None, "p": None, "passes": False}
    if n < 2:
        return result
    if summary["sd"] == 0.0:
        result["p"] = 0.0 if mean > target else 1.0
    else:
        t = (mean - target) / (summary["sd"] / math.sqrt(n))
        result["t"] = t
        result["p"] = 1.0 - t_cdf(t, n - 1)
    result["passes"] = result["p"] < ALPHA
    return result
