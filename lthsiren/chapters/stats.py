"""Paired comparisons over a handful of seeds: a sign test and a t interval, stated in one line.

The open-questions chapter and the ReLU-and-transfer chapter compare two tickets seed by seed
(:func:`lthsiren.report.paired_differences`
gives the differences). With three or five seeds, "A beats B" needs to say how sure it is:

- the **sign test**: under the null that a difference is as likely positive as negative, the
  number of positive differences among the ``n`` non-zero ones is Binomial(n, 1/2); its exact
  two-sided p-value is twice the smaller tail, at most 1. With n seeds all on one side it is
  ``2 / 2**n``: 0.25 for 3 of 3, 0.0625 for 5 of 5, so three seeds can never reach p < 0.05;
- the **paired t interval**: mean difference plus or minus ``t * sd / sqrt(n)``, with the t
  quantile for ``n - 1`` degrees of freedom. It assumes roughly normal differences, which a few
  seeds cannot check; the sign test assumes only symmetry.

The package does not depend on scipy, so the t quantile is computed here: the Student t
distribution function for a whole number of degrees of freedom has a closed form (a finite sum
in the angle ``atan(t / sqrt(df))``), and bisection inverts it.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass


def t_within(t: float, df: int) -> float:
    """``P(|T| <= t)`` for Student's t with a whole number ``df`` of degrees of freedom."""
    if df < 1 or int(df) != df:
        raise ValueError(f"degrees of freedom must be a whole number >= 1, got {df}")
    theta = math.atan(abs(t) / math.sqrt(df))
    c2 = math.cos(theta) ** 2
    if df % 2 == 1:
        # odd df: (2/pi) [theta + sin cos (1 + 2/3 c2 + (2*4)/(3*5) c2^2 + ...)], df - 2 terms
        term, total = 1.0, 0.0
        for j in range(1, (df - 1) // 2 + 1):
            total += term
            term *= c2 * (2 * j) / (2 * j + 1)
        return 2.0 / math.pi * (theta + math.sin(theta) * math.cos(theta) * total)
    # even df: sin (1 + 1/2 c2 + (1*3)/(2*4) c2^2 + ...), df / 2 terms
    term, total = 1.0, 0.0
    for j in range(1, df // 2 + 1):
        total += term
        term *= c2 * (2 * j - 1) / (2 * j)
    return math.sin(theta) * total


def t_quantile(level: float, df: int) -> float:
    """The ``t`` with ``P(|T| <= t) = level``: the half-width factor of a two-sided interval."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    low, high = 0.0, 1.0
    while t_within(high, df) < level:
        high *= 2.0
    for _ in range(200):  # bisection to float precision
        mid = 0.5 * (low + high)
        if mid in (low, high):
            break
        low, high = (mid, high) if t_within(mid, df) < level else (low, mid)
    return 0.5 * (low + high)


def sign_test(differences) -> tuple[int, int, float]:
    """(positive count, non-zero count n, exact two-sided sign-test p-value): ties (exact zeros)
    carry no sign and are left out, as the test's null is about the sign."""
    positive = sum(1 for d in differences if d > 0)
    n = sum(1 for d in differences if d != 0)
    tail = min(positive, n - positive)
    p = 2.0 * sum(math.comb(n, i) for i in range(tail + 1)) / 2.0**n
    return positive, n, min(1.0, p)


@dataclass(frozen=True)
class PairedSummary:
    """Paired differences summed up: their count and mean, the t interval ``[low, high]`` at
    ``level`` (NaN with a single difference), the positive and non-zero counts and the sign
    test's p-value."""

    n: int
    mean: float
    low: float
    high: float
    level: float
    positive: int
    nonzero: int
    p_sign: float


def paired_summary(differences, level: float = 0.95) -> PairedSummary:
    """Sign test and t interval of ``differences`` (one per seed, A minus B)."""
    d = [float(x) for x in differences]
    if not d:
        raise ValueError("no differences to summarise")
    mean = statistics.fmean(d)
    if len(d) > 1:
        half = t_quantile(level, len(d) - 1) * statistics.stdev(d) / math.sqrt(len(d))
    else:
        half = math.nan
    positive, nonzero, p = sign_test(d)
    return PairedSummary(len(d), mean, mean - half, mean + half, level, positive, nonzero, p)


def format_paired(summary: PairedSummary, unit: str = "dB") -> str:
    """One line: ``+0.42 dB (95% CI -0.10 to +0.94), 5 of 5 seeds positive, sign test
    p = 0.062``."""
    s = summary
    ci = f"{round(100 * s.level)}% CI {s.low:+.2f} to {s.high:+.2f}"
    ties = s.n - s.nonzero
    tied = f" ({ties} tied)" if ties else ""
    return (
        f"{s.mean:+.2f} {unit} ({ci}), {s.positive} of {s.n} seeds positive{tied}, "
        f"sign test p = {s.p_sign:.2g}"
    )
