"""When may a label fit its own class-weight bias? Expected validation positives swept 5..40
(docs/evaluation-notes.md, "Why 10 validation cases, whatever c").

The design of ``weighted_calibration.py``: outcome y of prevalence p, score x ~ N(1.5·y, 1), true log-odds
η = logit(p) + 1.5·x − 1.125, loss weight w = (1 − p)/p, c = log w, network log-odds z = s·η + a·c
(λ = (s − a)/(s − 1) is the truth's share of [−c, −c/T]). Each draw is a validation set of round(m / p) cases,
so about m positives (the count k varies as it would). The test metrics are exact expectations under the
generating model (Gauss–Hermite quadrature, 80 nodes per class), so the only noise is validation's, and the
rules are compared on the same draws (paired). Per (network, p, m), over ``draws`` validation sets:

- current: own when k ≥ ``MIN_CASES`` (10), else fallback (meddx's rule);
- own: b fitted with T within [−c, −c/T] (``shift_fit``'s joint fit, here at every k ≥ 2);
- fallback: what a label with too few cases gets: b = −c with T fitted (binary), or b at the share λ pooled
  over a multi-label model's common labels (.2/.3/.5, same validation set, ``shift_fit.pooled_share``);
- min 20, min 10c/log19: own only from 20 positives, or from a minimum growing with c (10 at c = log 19,
  19 at c = log 249);
- true: T fitted at the truth's share (an oracle: the best any share rule can do);
- shrunk k0: the own λ pulled towards the fallback's, (k·λ_own + k0·λ_fallback)/(k + k0), at every k, T refitted.

The last network gives a multi-label model's rare label a shift scaled wholly (s = a = 3) while its common labels
scale part of theirs (s = 3, a = 2): the risk of borrowing. Printed: the test in-the-large mean (sd) of current,
fallback and shrunk 10; current's mean in the large over the draws with 10–14 positives (and how many); the
test log-loss change of each other rule against current, paired by draw, with its standard error, ×1e4
(Δ < 0: better than current). ``--selection``: the draws with 10–14 positives where about 8 were expected.

    python benchmarks/weighted_calibration_mincases.py [draws] [binary|multilabel]
    python benchmarks/weighted_calibration_mincases.py --selection [draws]
"""

from __future__ import annotations

import sys

import numpy as np
from scipy.optimize import brentq
from scipy.special import expit, log_expit, logit

from meddx.evaluation.shift_fit import best_bias, enough_cases, fit_shift_at_share, pooled_share, share_of
from meddx.evaluation.temperature_targets import fit_with_smoothing, smoothed_targets, soft_nll

PREVALENCES = (0.004, 0.02, 0.05)  # c = log 249, log 49, log 19
POSITIVES = (5, 8, 10, 12, 15, 20, 30, 40)  # expected validation positives m
NETWORKS = (("s=1 a=1", (1.0, 1.0), (1.0, 1.0)), ("s=3 a=2", (3.0, 2.0), (3.0, 2.0)),
            ("s=8 a=4", (8.0, 4.0), (8.0, 4.0)), ("s=3 a=3", (3.0, 3.0), (3.0, 3.0)),
            ("s=3 a=1", (3.0, 1.0), (3.0, 1.0)), ("rare 3/3, common 3/2", (3.0, 3.0), (3.0, 2.0)))
COMMON = (0.2, 0.3, 0.5)
SHRINK = (5, 10, 20)
NODES, WEIGHTS = np.polynomial.hermite_e.hermegauss(80)
WEIGHTS = WEIGHTS / WEIGHTS.sum()


def validation(m: int, p: float, s: float, a: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """round(m / p) cases of prevalence p (about m positives), and the network's log-odds z = s·η + a·c."""
    n = int(round(m / p))
    y = (rng.random(n) < p).astype(float)
    return y, network(y, rng.normal(size=n), p, s, a)


def network(y: np.ndarray, noise: np.ndarray, p: float, s: float, a: float) -> np.ndarray:
    eta = logit(p) + 1.5 * (1.5 * y + noise) - 1.125
    return s * eta + a * np.log((1 - p) / p)


def expected(p: float, s: float, a: float, t: float, b: float) -> tuple[float, float]:
    """Calibration-in-the-large and log-loss of sigmoid(z / T + b) under the generating model (exact)."""
    g1, g0 = (network(np.full(NODES.shape, y), NODES, p, s, a) / t + b for y in (1.0, 0.0))
    loss = -(p * WEIGHTS @ log_expit(g1) + (1 - p) * WEIGHTS @ log_expit(-g0))

    def gap(alpha: float) -> float:  # mean predicted minus prevalence at intercept shift alpha
        return float(p * WEIGHTS @ expit(g1 + alpha) + (1 - p) * WEIGHTS @ expit(g0 + alpha) - p)

    return brentq(lambda alpha: -gap(alpha), -60.0, 60.0), float(loss)


def joint(y: np.ndarray, z: np.ndarray, c: float) -> tuple[float, float]:
    """(T, b) of ``shift_fit.fit_shift_between`` without its minimum of cases (the own fit at every k)."""
    col, s = y[:, None], z[:, None]

    def loss(q: np.ndarray, t: float) -> float:
        return soft_nll(q, s / t + best_bias(q, s, t, c), "multilabel")

    t, smoothed = fit_with_smoothing(loss, col, "multilabel", s)
    return t, best_bias(smoothed_targets(col, "multilabel", 1) if smoothed else col, s, t, c)


def pooled(n: int, common: tuple[float, float], rng: np.random.Generator) -> float:
    """The share a multi-label model's rare label borrows from common labels on the same n validation cases."""
    fits = []
    for p in COMMON:
        y = (rng.random(n) < p).astype(float)
        z = network(y, rng.normal(size=n), p, *common)
        c = float(np.log((1 - p) / p))
        if enough_cases(y):
            t, b = joint(y, z, c)
            fits.append((t, b, c, int(min(y.sum(), n - y.sum()))))
    return pooled_share(fits) or 0.0


def sweep(draws: int, task: str) -> None:
    rules = ["current", "own", "fallback", "min 20", "min 10c/log19", "true"] + [f"shrunk {k0}" for k0 in SHRINK]
    print(f"\n## {task}: {draws} draws of round(m / p) validation cases; in-the-large mean (sd) of current, fallback "
          "and shrunk 10; current's in the large where 10-14 positives (draws); Δ log-loss vs current (se), ×1e4")
    print(f"{'network':22} {'prev':>5} {'m':>3} {'T':>5} {'current':>12} {'fallback':>12} {'shrunk 10':>12} "
          f"{'10-14':>10} " + " ".join(f"{r:>13}" for r in rules[1:]))
    for title, rare_net, common_net in NETWORKS:
        if task == "binary" and rare_net != common_net:
            continue
        for p in PREVALENCES:
            c = float(np.log((1 - p) / p))
            s_, a_ = rare_net
            truth = (s_ - a_) / (s_ - 1) if s_ != 1 else 0.0
            for m in POSITIVES:
                out, temps, positives = np.zeros((draws, len(rules), 2)), np.zeros(draws), np.zeros(draws)
                for d in range(draws):
                    rng = np.random.default_rng([d, m, int(1000 * p), int(10 * s_ + a_), len(title)])
                    y, z = validation(m, p, s_, a_, rng)
                    k = positives[d] = y.sum()
                    prior = pooled(len(y), common_net, rng) if task == "multilabel" else 0.0
                    fallback = fit_shift_at_share(y, z, c, prior)[:2]
                    own = joint(y, z, c) if k >= 2 else fallback
                    lam = share_of(own[1], c, own[0]) if k >= 2 else None
                    fits = [own if k >= 10 else fallback, own, fallback, own if k >= 20 else fallback,
                            own if k >= 10 * c / np.log(19) else fallback, fit_shift_at_share(y, z, c, truth)[:2]]
                    for k0 in SHRINK:
                        share = prior if lam is None else (k * lam + k0 * prior) / (k + k0)
                        fits.append(fit_shift_at_share(y, z, c, share)[:2])
                    temps[d] = own[0]
                    for r, (t, b) in enumerate(fits):
                        out[d, r] = expected(p, s_, a_, t, b)
                delta = (out[:, :, 1] - out[:, :1, 1]) * 1e4
                cells = [f"{delta[:, r].mean():+6.1f} ({delta[:, r].std() / np.sqrt(draws):4.1f})"
                         for r in range(1, len(rules))]
                mid = (positives >= 10) & (positives <= 14)
                itl = [f"{out[:, r, 0].mean():+5.2f} ({out[:, r, 0].std():4.2f})" for r in (0, 2, len(rules) - 2)]
                print(f"{title:22} {p:5.3f} {m:3d} {np.median(temps):5.2f} " + " ".join(f"{x:>12}" for x in itl)
                      + f" {(out[mid, 0, 0].mean() if mid.any() else np.nan):+5.2f} ({mid.sum():3d}) "
                      + " ".join(f"{x:>13}" for x in cells), flush=True)


def selection(draws: int = 400) -> None:
    """A label that happens to have 10–14 validation positives where about 8 were expected (p = .004, 2 000
    cases) has a validation prevalence above the truth; every fit that follows validation's prevalence inherits
    it. Mean test in-the-large of such draws: the own fit, b = −c and b at the truth's share (T fitted)."""
    p = 0.004
    c = float(np.log((1 - p) / p))
    print(f"\n## selection: p = {p}, about 8 validation positives, draws with 10-14 of {draws}; test in-the-large")
    for s_, a_ in ((1.0, 1.0), (3.0, 2.0), (3.0, 3.0)):
        truth = (s_ - a_) / (s_ - 1) if s_ != 1 else 0.0
        rows = []
        for d in range(draws):
            y, z = validation(8, p, s_, a_, np.random.default_rng([d, 99, int(10 * s_ + a_)]))
            if 10 <= y.sum() <= 14:
                fits = (joint(y, z, c), fit_shift_at_share(y, z, c, 0.0)[:2], fit_shift_at_share(y, z, c, truth)[:2])
                rows.append([expected(p, s_, a_, t, b)[0] for t, b in fits])
        mean = np.mean(rows, axis=0)
        print(f"s={s_:g} a={a_:g}: {len(rows)} draws; own {mean[0]:+.2f}, b = -c {mean[1]:+.2f}, "
              f"true share {mean[2]:+.2f}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--selection":
        selection(*(int(a) for a in sys.argv[2:3]))
    else:
        n_draws = int(sys.argv[1]) if len(sys.argv) > 1 else 100
        for kind in sys.argv[2:] or ["binary", "multilabel"]:
            sweep(n_draws, kind)
