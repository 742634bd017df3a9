"""The operating point: score 0.5 must mean cross-validated precision >= the target."""

from __future__ import annotations

import numpy as np

from monitor.classify.training.fit import PRECISION_TARGET, operating_shift


def _precision_at_half(z: np.ndarray, y: np.ndarray, a_b: tuple[float, float],
                       shift: float) -> float:
    p = 1.0 / (1.0 + np.exp(-(a_b[0] * z + a_b[1] - shift)))
    pred = p >= 0.5
    return float((pred & (y == 1)).sum() / pred.sum())


def test_shift_moves_half_to_the_precision_target() -> None:
    rng = np.random.default_rng(0)
    # Overlapping classes: at the calibrated 0.5 precision is well below the target.
    z = np.concatenate([rng.normal(1.0, 1.0, 400), rng.normal(-1.0, 1.0, 400)])
    y = np.concatenate([np.ones(400, int), np.zeros(400, int)])
    w = np.ones(len(y))
    a_b = (1.0, 0.0)
    assert _precision_at_half(z, y, a_b, 0.0) < PRECISION_TARGET
    shift, cut = operating_shift(z, y, w, a_b)
    assert 0.5 < cut <= 0.8 and shift > 0
    assert _precision_at_half(z, y, a_b, shift) >= PRECISION_TARGET


def test_no_shift_when_already_precise() -> None:
    z = np.array([-3.0, -2.0, -2.5, 2.0, 3.0, 2.5])
    y = np.array([0, 0, 0, 1, 1, 1])
    shift, cut = operating_shift(z, y, np.ones(6), (1.0, 0.0))
    assert shift == 0.0 and cut == 0.5


def test_shift_is_capped() -> None:
    # Hopeless data: precision never reaches the target, the cut stops at 0.8.
    z = np.linspace(-2, 2, 100)
    y = np.tile([0, 1], 50)
    shift, cut = operating_shift(z, y, np.ones(100), (1.0, 0.0))
    assert cut == 0.8 and abs(shift - np.log(4.0)) < 1e-9


def test_platt_by_form_gives_each_form_its_own_intercept() -> None:
    from monitor.classify.training.fit import platt_by_form

    rng = np.random.default_rng(1)
    n = 3000
    forms = np.array(["title_only", "short", "long"] * (n // 3))
    z = rng.normal(0.0, 2.0, n)
    # A bare headline with score z is as likely relevant as a long item scoring z + 2:
    # a shared intercept would under-call headlines and over-call long items.
    truth = z + 2.0 * (forms == "title_only")
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-truth))).astype(int)
    slope, offsets = platt_by_form(z, y, np.ones(n), forms, ("title_only", "short", "long"))
    assert abs(slope - 1.0) < 0.2
    assert abs(offsets["title_only"] - offsets["long"] - 2.0) < 0.5
    assert abs(offsets["short"] - offsets["long"]) < 0.4


def test_platt_by_form_fills_absent_forms() -> None:
    from monitor.classify.training.fit import platt_by_form

    z = np.array([-3.0, -2.0, -1.0, 1.0, 2.0, 3.0, -0.5, 0.5])
    y = np.array([0, 0, 0, 1, 1, 1, 1, 0])
    forms = np.array(["long"] * 8)
    _, offsets = platt_by_form(z, y, np.ones(8), forms, ("title_only", "short", "long"))
    assert set(offsets) == {"title_only", "short", "long"}
    assert offsets["title_only"] == offsets["short"]


def test_reliability_bins() -> None:
    from monitor.classify.training.fit import reliability

    p = np.array([0.05, 0.05, 0.95, 0.95, 0.6])
    y = np.array([0, 0, 1, 1, 0])
    rows = reliability(p, y, np.ones(5))
    assert [r[0] for r in rows] == [0.0, 0.5, 0.9]
    low, mid, high = rows
    assert low[2] == 2 and low[4] == 0.0
    assert mid[3] == 0.6 and mid[4] == 0.0
    assert high[1] == 1.0 and high[4] == 1.0
