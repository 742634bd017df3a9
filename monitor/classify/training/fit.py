"""Small, deterministic fitting helpers around scikit-learn's logistic regression.

Data are a few hundred items, so the regularisation strength is picked by
story-grouped cross-validation (items about one event never straddle folds),
and the out-of-fold scores calibrate probabilities and label thresholds.
"""

from __future__ import annotations

import warnings
from itertools import pairwise

import numpy as np
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

GRID = (0.5, 2.0, 8.0, 32.0)
FOLDS = 5
PRECISION_TARGET = 0.95


# tol 1e-4 (scikit-learn's default, was 1e-6): the derived short copies make the data
# three times larger, and on this shared 2-core machine training must stay in minutes.
def _lr(C: float) -> LogisticRegression:
    return LogisticRegression(C=C, solver="lbfgs", max_iter=3000, tol=1e-4)


def _folds(y: np.ndarray, groups: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]] | None:
    n_groups = len(set(groups.tolist()))
    if n_groups < 3 or y.sum() < 2 or (len(y) - y.sum()) < 2:
        return None
    k = min(FOLDS, n_groups)
    folds = []
    for tr, te in GroupKFold(n_splits=k).split(np.zeros(len(y)), y, groups):
        if len(set(y[tr].tolist())) == 2:
            folds.append((tr, te))
    return folds or None


def _fit(X: sparse.csr_matrix, y: np.ndarray, w: np.ndarray, C: float) -> LogisticRegression:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return _lr(C).fit(X, y, sample_weight=w)


def oof_logits(X: sparse.csr_matrix, y: np.ndarray, w: np.ndarray, groups: np.ndarray,
               C: float | None) -> np.ndarray | None:
    """Out-of-fold decision values, or None when the data cannot be split."""
    folds = _folds(y, groups) if C is not None else None
    if folds is None or C is None:
        return None
    out = np.full(len(y), np.nan)
    for tr, te in folds:
        out[te] = _fit(X[tr], y[tr], w[tr], C).decision_function(X[te])
    filled: np.ndarray = np.nan_to_num(out, nan=0.0)
    return filled


def _logloss(z: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return float(-(w * (y * np.log(p) + (1 - y) * np.log(1 - p))).sum() / w.sum())


def fit_head(X: sparse.csr_matrix, y: np.ndarray, w: np.ndarray, groups: np.ndarray,
             grid: tuple[float, ...] = GRID, oof_cache: dict[str, np.ndarray] | None = None
             ) -> tuple[np.ndarray, float, float | None]:
    """Weights, bias and chosen C for one binary head (constant head if one class only)."""
    if len(y) == 0 or len(set(y.tolist())) < 2:
        rate = float(y.mean()) if len(y) else 0.0
        bias = 6.0 if rate > 0.5 else -6.0
        return np.zeros(X.shape[1]), bias, None
    best_c, best = grid[len(grid) // 2], np.inf
    if _folds(y, groups) is not None and len(grid) > 1:
        for C in grid:
            z = oof_logits(X, y, w, groups, C)
            loss = _logloss(z, y, w) if z is not None else np.inf
            if loss < best - 1e-9:
                best_c, best = C, loss
                if oof_cache is not None and z is not None:
                    oof_cache["z"] = z  # the caller needs these again: spare five fits
    model = _fit(X, y, w, best_c)
    return model.coef_[0].astype(float), float(model.intercept_[0]), best_c


def platt(z: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """1-D logistic fit of out-of-fold scores: probabilities that mean what they say."""
    model = _fit(sparse.csr_matrix(z.reshape(-1, 1)), y, w, 100.0)
    return float(model.coef_[0][0]), float(model.intercept_[0])


def platt_by_form(z: np.ndarray, y: np.ndarray, w: np.ndarray, forms: np.ndarray,
                  names: tuple[str, ...]) -> tuple[float, dict[str, float]]:
    """Platt scaling with one slope and an intercept per form bucket.

    The out-of-fold scores of bare headlines sit lower than those of full articles
    with the same verdict (fewer cues, fewer n-grams); a single intercept would make
    0.5 mean "likely" on one form and "certain" on another.  Buckets absent from
    the data get the intercept of a plain Platt fit.
    """
    a_all, b_all = platt(z, y, w)
    present = [f for f in names if (forms == f).any()]
    cols = [z] + [(forms == f).astype(float) for f in present]
    model = _fit_no_intercept(np.column_stack(cols), y, w)
    a = float(model.coef_[0][0])
    if a <= 0.05:  # degenerate (tiny or separable data): keep the plain fit
        return a_all, {f: b_all for f in names}
    got = {f: float(c) for f, c in zip(present, model.coef_[0][1:], strict=True)}
    return a, {f: got.get(f, b_all) for f in names}


def _fit_no_intercept(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> LogisticRegression:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return LogisticRegression(C=100.0, fit_intercept=False, solver="lbfgs", max_iter=3000,
                                  tol=1e-8).fit(X, y, sample_weight=w)


def reliability(p: np.ndarray, y: np.ndarray, w: np.ndarray,
                edges: tuple[float, ...] = (0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0001)
                ) -> list[list[float]]:
    """[low, high, weight, mean predicted, observed rate] per probability bin with data."""
    rows = []
    for lo, hi in pairwise(edges):
        m = (p >= lo) & (p < hi)
        n = float(w[m].sum())
        if n:
            rows.append([lo, min(hi, 1.0), round(n, 1), round(float((w[m] * p[m]).sum() / n), 3),
                         round(float((w[m] * y[m]).sum() / n), 3)])
    return rows


def operating_shift(z: np.ndarray, y: np.ndarray, w: np.ndarray, a_b: tuple[float, float],
                    target: float = PRECISION_TARGET) -> tuple[float, float]:
    """Shift of the calibrated logit that puts score 0.5 where out-of-fold precision
    first reaches `target`, and the probability cut-off that shift stands for.

    A false alarm teaches analysts to mute the channel; a miss at a score near
    the line is rarer and shows up in the log.  So the default threshold 0.5
    means "precise enough", not "more likely than not".  Never moved past 0.8,
    where recall would collapse on a small training set.
    """
    p = 1.0 / (1.0 + np.exp(-(a_b[0] * z + a_b[1])))
    for t in np.arange(0.5, 0.801, 0.025):
        pred = p >= t
        sel = float(w[pred].sum())
        if sel and float(w[pred & (y == 1)].sum()) / sel >= target:
            return float(np.log(t / (1 - t))), round(float(t), 3)
    return float(np.log(0.8 / 0.2)), 0.8


def pick_threshold(oofs: list[np.ndarray | None], Y: np.ndarray, default: float) -> float:
    """Threshold on per-label probabilities maximising out-of-fold micro-F1.

    Mirrors inference: labels above the threshold, else the single best label.
    """
    present = [o for o in oofs if o is not None]
    if len(Y) < 10 or len(present) < len(oofs):
        return default
    P = 1.0 / (1.0 + np.exp(-np.column_stack(present)))
    best_t, best_f = default, -1.0
    for t in np.arange(0.15, 0.71, 0.05):
        pred = t <= P
        none = ~pred.any(axis=1)
        pred[none, P[none].argmax(axis=1)] = True
        tp = float((pred & (Y == 1)).sum())
        f = 2 * tp / (pred.sum() + Y.sum()) if (pred.sum() + Y.sum()) else 0.0
        if f > best_f + 1e-9:
            best_t, best_f = float(t), f
    return round(best_t, 3)
