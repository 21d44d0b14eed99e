"""Sign test and paired t interval (lthsiren.chapters.stats), against hand-computed values."""

import math

import pytest

from lthsiren.chapters.stats import (
    format_paired,
    paired_summary,
    sign_test,
    t_quantile,
    t_within,
)


@pytest.mark.parametrize(
    "differences, expected",
    [
        ([0.5, 1.0, 0.1], (3, 3, 0.25)),  # 2 / 2**3
        ([1, 2, 3, 4, 5], (5, 5, 0.0625)),  # 2 / 2**5
        ([-1, -2, -3, -4, -5], (0, 5, 0.0625)),
        ([1, 2, 3, 4, -5], (4, 5, 0.375)),  # 2 * (1 + 5) / 32
        ([1, -1], (1, 2, 1.0)),  # 2 * 3/4, capped at 1
        ([1, 2, 0, 0], (2, 2, 0.5)),  # ties carry no sign
        ([0, 0], (0, 0, 1.0)),
    ],
)
def test_sign_test(differences, expected):
    positive, n, p = sign_test(differences)
    assert (positive, n) == expected[:2]
    assert math.isclose(p, expected[2], rel_tol=1e-12)


@pytest.mark.parametrize(
    "df, quantile",
    # two-sided 95% points of Student's t, from printed tables
    [(1, 12.7062), (2, 4.3027), (3, 3.1824), (4, 2.7764), (5, 2.5706), (9, 2.2622), (30, 2.0423)],
)
def test_t_quantile_matches_the_table(df, quantile):
    assert math.isclose(t_quantile(0.95, df), quantile, abs_tol=1e-4)
    assert math.isclose(t_within(quantile, df), 0.95, abs_tol=1e-5)


def test_t_within_closed_forms():
    # df = 1 is the Cauchy distribution, df = 2 has P(|T| <= t) = t / sqrt(t^2 + 2)
    for t in (0.3, 1.0, 4.0):
        assert math.isclose(t_within(t, 1), 2 / math.pi * math.atan(t), rel_tol=1e-12)
        assert math.isclose(t_within(t, 2), t / math.sqrt(t * t + 2), rel_tol=1e-12)
    assert t_within(0.0, 7) == 0.0
    # many degrees of freedom: the normal distribution's 95% point
    assert math.isclose(t_quantile(0.95, 2000), 1.96, abs_tol=2e-3)
    with pytest.raises(ValueError):
        t_within(1.0, 0)


def test_paired_summary_by_hand():
    # mean 2, sd 1 over three seeds: half-width 4.3027 / sqrt(3)
    s = paired_summary([1.0, 2.0, 3.0])
    half = 4.302653 / math.sqrt(3)
    assert s.n == 3 and s.mean == 2.0
    assert math.isclose(s.low, 2.0 - half, abs_tol=1e-5)
    assert math.isclose(s.high, 2.0 + half, abs_tol=1e-5)
    assert (s.positive, s.nonzero, s.p_sign) == (3, 3, 0.25)
    single = paired_summary([0.7])
    assert single.mean == 0.7 and math.isnan(single.low) and math.isnan(single.high)
    with pytest.raises(ValueError):
        paired_summary([])


def test_format_paired():
    d = [0.42 + x for x in (-0.3, -0.1, 0.0, 0.1, 0.3)]
    s = paired_summary(d)
    half = 2.776445 * math.sqrt(0.05) / math.sqrt(5)  # sd = sqrt(0.2 / 4)
    line = format_paired(s)
    assert line == (
        f"+0.42 dB (95% CI {0.42 - half:+.2f} to {0.42 + half:+.2f}), "
        "5 of 5 seeds positive, sign test p = 0.062"
    )
    assert "1 tied" in format_paired(paired_summary([1.0, 0.0, 2.0]), unit="dB")
