"""Temperature fits on small, separable validation splits: the table in docs/evaluation-notes.md
("Separable validation splits").

Known generating distribution: K Gaussian classes in 2-D (unit variance, means on a circle), the
true posterior computed exactly; the "network" reports the true logits times ``over`` (over-confident,
so the right temperature is ``over``). For each validation draw, the fits compared are: the 0/1-label
NLL (meddx before), meddx's fit (Platt's smoothed targets only when the split is separable), T = 1
when separable, Platt's targets always, and a lower bound tied to the validation size. Scored on one
large test sample: log-loss, ECE (15 bins) and the fraction of probabilities exactly 0 or 1 (float64).

    python benchmarks/separable_temperature.py [draws]
    python benchmarks/separable_temperature.py [draws] --arms   # the knife-edge comparison (RESULTS.md)

``--arms`` compares threshold-free alternatives to meddx's switch (review: the switch is a knife-edge,
a split with one error by a log-odds margin of 1e-5 gets the 0/1 fit, one by 1e-6 the smoothed one):
(a) meddx's rule, (b) Platt's targets always, (c) Firth's (1993) penalised likelihood (the Jeffreys
prior, the textbook remedy for separation in logistic regression; continuous in the data) and (d) the
posterior median of T under that prior, (e) Firth only where (a) smooths (a separable split, or one whose
0/1 fit sits on the bound: where the likelihood has no finite maximum), Platt's targets never, and (f)
Firth only where (a) does not (its 0/1 fit elsewhere replaced by Firth's, Platt's targets kept); at
validation sizes 30-1 000, with the draws having at most one validation error scored apart ("near"),
the test log-loss's sd over the draws, and each arm's mean paired difference to (a) with its
standard error.
"""

from __future__ import annotations

import sys

import numpy as np
from scipy.special import log_softmax, softmax

from meddx.evaluation.calibration import (_scores, apply_temperature, calibration_targets,
                                          expected_calibration_error, fit_temperature, temperature_fit)
from meddx.evaluation.temperature_targets import (T_BOUNDS, minimise_over_temperature, separable, smoothed_targets,
                                                  soft_nll)

METHODS = ("0/1 labels (before)", "meddx (Platt when separable)", "T=1 when separable", "Platt always",
           "size bound", "true T")


def draw(rng: np.random.Generator, n: int, k: int, sep: float, over: float, prior: np.ndarray):
    y = rng.choice(k, size=n, p=prior)
    angle = 2 * np.pi * np.arange(k) / k
    mu = sep * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    x = mu[y] + rng.standard_normal((n, 2))
    logits = x @ mu.T - 0.5 * (mu ** 2).sum(axis=1) + np.log(prior)
    return y, softmax(over * logits, axis=1), softmax(logits, axis=1)


def _fit(y: np.ndarray, p: np.ndarray, targets: np.ndarray) -> float:
    s = _scores(p, "multiclass")
    return minimise_over_temperature(lambda t: soft_nll(targets, s / t, "multiclass"))


def fits(y: np.ndarray, p: np.ndarray, over: float) -> dict[str, float]:
    k, s = p.shape[1], _scores(p, "multiclass")
    old = _fit(y, p, np.eye(k)[y])
    split_separable = separable(s, y, "multiclass")
    top = np.sort(s, axis=1)
    t_min = max(T_BOUNDS[0], float(np.max(top[:, -1] - top[:, -2])) / np.log(len(y) + 1))
    return dict(zip(METHODS, (old, fit_temperature(y, p, "binary" if k == 2 else "multiclass"),
                              1.0 if split_separable else old, _fit(y, p, smoothed_targets(y, "multiclass", k)),
                              max(old, t_min), over)))


def scores(y: np.ndarray, p: np.ndarray) -> tuple[float, float, float]:
    nll = -np.mean(np.log(np.maximum(p[np.arange(len(y)), y], 1e-300)))
    conf, out = calibration_targets(y, p, "binary" if p.shape[1] == 2 else "multiclass")
    return nll, expected_calibration_error(conf, out, 15), float(np.mean((p == 0.0) | (p == 1.0)))


def run(k: int, sep: float, n_val: int, draws: int, over: float = 3.0, prior=None) -> None:
    prior = np.full(k, 1 / k) if prior is None else np.asarray(prior)
    y_test, p_test, truth = draw(np.random.default_rng(12345), 100_000, k, sep, over, prior)
    rows: dict[str, list] = {m: [] for m in METHODS}
    n_sep = 0
    for seed in range(draws):
        y, p, _ = draw(np.random.default_rng(seed), n_val, k, sep, over, prior)
        if np.unique(y).size < 2:
            continue
        n_sep += separable(_scores(p, "multiclass"), y, "multiclass")
        for m, t in fits(y, p, over).items():
            rows[m].append((t, *scores(y_test, apply_temperature(p_test, t, "multiclass"))))
    print(f"K={k} sep={sep} over={over} n_val={n_val}: {n_sep} of {draws} separable; "
          f"true-posterior test log-loss {scores(y_test, truth)[0]:.4f}")
    for m, r in rows.items():
        a = np.array(r)
        print(f"  {m:30s} T median {np.median(a[:, 0]):7.3f}  log-loss {a[:, 1].mean():.4f}  "
              f"ECE {a[:, 2].mean():.4f}  P exactly 0/1 {a[:, 3].mean():.4f}")


def _penalised(s: np.ndarray, y: np.ndarray, t: float) -> tuple[float, float]:
    """(log-likelihood, log Fisher information in 1/T) of the scores ``s`` / ``t`` against labels ``y``."""
    lp = log_softmax(s / t, axis=1)
    q = np.exp(lp)
    mean = (q * s).sum(axis=1)
    info = float(np.sum((q * s * s).sum(axis=1) - mean ** 2))
    return float(lp[np.arange(len(y)), y].sum()), float(np.log(max(info, 1e-300)))


def firth_temperature(y: np.ndarray, p: np.ndarray) -> float:
    """T maximising the log-likelihood + 1/2 log I(1/T) (Firth 1993; Heinze & Schemper 2002)."""
    s = _scores(p, "multiclass")
    return minimise_over_temperature(lambda t: -(lambda ll, li: ll + 0.5 * li)(*_penalised(s, y, t)))


def jeffreys_median_temperature(y: np.ndarray, p: np.ndarray) -> float:
    """Posterior median of T under the Jeffreys prior on 1/T (a grid over log T within the bounds)."""
    s, log_t = _scores(p, "multiclass"), np.linspace(*np.log(T_BOUNDS), 600)
    log_w = np.array([(lambda ll, li: ll + 0.5 * li)(*_penalised(s, y, np.exp(lt))) - lt for lt in log_t])
    w = np.cumsum(np.exp(log_w - log_w.max()))
    return float(np.exp(np.interp(0.5, w / w[-1], log_t)))


ARMS = ("(a) meddx: Platt when separable", "(b) Platt always", "(c) Firth (Jeffreys penalty)",
        "(d) Jeffreys posterior median", "(e) Firth when separable", "(f) Firth unless separable")


def arms(k: int, sep: float, n_val: int, draws: int, over: float = 3.0, prior=None) -> None:
    """Median and mean test log-loss / ECE of each arm; 'near': the draws with at most one validation error."""
    prior = np.full(k, 1 / k) if prior is None else np.asarray(prior)
    y_test, p_test, truth = draw(np.random.default_rng(12345), 100_000, k, sep, over, prior)
    rows: dict[str, list] = {m: [] for m in ARMS}
    near = []
    for seed in range(draws):
        y, p, _ = draw(np.random.default_rng(seed), n_val, k, sep, over, prior)
        if np.unique(y).size < 2:
            continue
        near.append(int(np.sum(p.argmax(axis=1) != y)) <= 1)
        (t_a, smoothed), t_c = temperature_fit(y, p, "binary" if k == 2 else "multiclass"), firth_temperature(y, p)
        ts = (t_a, _fit(y, p, smoothed_targets(y, "multiclass", k)), t_c, jeffreys_median_temperature(y, p),
              t_c if smoothed else t_a, t_a if smoothed else t_c)
        for m, t in zip(ARMS, ts):
            rows[m].append((t, *scores(y_test, apply_temperature(p_test, t, "multiclass"))))
    near_ = np.array(near)
    print(f"K={k} sep={sep} n_val={n_val}: {len(near)} draws, {near_.sum()} near (<= 1 error); "
          f"true-posterior test log-loss {scores(y_test, truth)[0]:.4f}")
    for m, r in rows.items():
        a = np.array(r)
        nl = f"{a[near_, 1].mean():.4f}" if near_.any() else "  -   "
        diff = a[:, 1] - np.array(rows[ARMS[0]])[:, 1]
        se = diff.std(ddof=1) / np.sqrt(len(diff))
        print(f"  {m:32s} T med {np.median(a[:, 0]):6.2f}  log-loss med {np.median(a[:, 1]):.4f} mean "
              f"{a[:, 1].mean():.4f} sd {a[:, 1].std(ddof=1):.4f} (near {nl}; vs (a) {diff.mean():+.4f} se {se:.4f})  "
              f"ECE med {np.median(a[:, 2]):.4f} mean {a[:, 2].mean():.4f} sd {a[:, 2].std(ddof=1):.4f}  "
              f"P 0/1 {a[:, 3].mean():.4f}")


def knife_edge() -> None:
    """500 cases right by a log-odds margin of 1 each side, one positive wrong by ``eps``: T per arm."""
    for eps in (1e-4, 1e-5, 1e-6, 1e-8):
        d = np.r_[np.full(500, 1.0), np.full(500, -1.0), [-eps]]
        y = np.r_[np.ones(500, int), np.zeros(500, int), [1]]
        p = softmax(np.stack([-d, d], axis=1) / 2, axis=1)
        print(f"knife edge, one error by {eps:g}: T (a) {fit_temperature(y, p, 'binary'):.4f}  "
              f"(b) {_fit(y, p, smoothed_targets(y, 'multiclass', 2)):.4f}  (c) {firth_temperature(y, p):.4f}  "
              f"(d) {jeffreys_median_temperature(y, p):.4f}")


def main_arms(n: int) -> None:
    knife_edge()
    for n_val in (30, 100, 300, 1000):
        arms(2, 4.07 / 2, n_val, n, prior=[0.7, 0.3])
    for sep in (4.0, 2.5):
        for n_val in (30, 100, 300, 1000):
            arms(3, sep, n_val, n)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 20
    if "--arms" in sys.argv:
        main_arms(n)
        sys.exit(0)
    for n_val in (30, 100):
        run(2, 4.07 / 2, n_val, n, prior=[0.7, 0.3])
    run(2, 4.07 / 2, 100, n, over=10.0, prior=[0.7, 0.3])
    run(2, 4.07 / 2, 524, n, prior=[0.26, 0.74])
    run(3, 4.0, 60, n)
    run(3, 2.5, 60, n)
    run(2, 1.0, 5000, 10)
    run(3, 1.5, 5000, 10)
