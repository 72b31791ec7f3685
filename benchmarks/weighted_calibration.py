"""Removing a class-weighted loss's shift after temperature scaling: four rules; the tables in docs/evaluation-notes.md
("How much of the shift to remove", "Rare labels borrow the share of the shift").

Known generating distribution: outcome y ~ Bernoulli(prev) with prevalence .03 (rare) or .30 (common);
score x ~ N(1.5·y, 1), so the true log-odds are η = logit(prev) + 1.5·x − 1.125 (exact). The loss weighs
positives by w = (1 − prev)/prev (binary class weights w1/w0, or a multi-label ``pos_weight`` of
negatives/positives), which moves a well-fit network's log-odds by c = log w. The simulated network
reports z = s·η + a·c: well-fit (s = a = 1); over-confident by s = 3 with its shift scaled as much
(a = 3: "z/T − c" is exact), not at all (a = 1: "(z − c)/T" is exact) or half-way (a = 2, where the trained
MLPs of /tmp/calib_exp sat); and s = 8, a = 4 (a long-trained MLP). Rules, each fitted on validation
(sizes 150 and 2 000; 20 draws) by meddx's rules (0/1 NLL; Platt's targets when separable) and scored on
one test sample of 100 000:

- current: ``z / T − c`` (b = −c, T fitted);
- shift first: ``(z − c) / T`` (T fitted on the shifted log-odds);
- between: b fitted jointly with T within [−c, −c/T] (``evaluation.shift_fit``);
- Platt: T and b both free.

``--rare``: a multi-label model's rare labels (under 10 validation positives) keep b = −c (the rule
before stop 46) or borrow the share λ of the interval from the labels with enough cases (three ways to
pool, and the truth's λ = (s − a)/(s − 1)), including networks whose rare labels scale their shift
unlike the common ones (the risk of pooling). ``--trained``'s last column is meddx's fit without pooling.

Binary models run through ``recalibration.shifted_temperature_fit``'s data path (one column, (N, 2)
probabilities); multi-label models hold both labels (.03 and .30) in one (N, 2) output with per-label
``pos_weight``, fitted label by label. Columns: test ECE (15 uniform bins), calibration-in-the-large (the
logistic intercept with slope 1; 0 ideal, > 0: risks too low) with its sd over draws, and log-loss.

    python benchmarks/weighted_calibration.py [draws]
    python benchmarks/weighted_calibration.py --rare [draws] [n_val]
    python benchmarks/weighted_calibration.py --trained [seeds] [n_val]
"""

from __future__ import annotations

import sys

import numpy as np
from scipy.optimize import brentq, minimize_scalar
from scipy.special import expit, logit

from meddx.evaluation.calibration import _degenerate, expected_calibration_error
from meddx.evaluation.shift_fit import fit_shift_between
from meddx.evaluation.temperature_targets import fit_with_smoothing, smoothed_targets, soft_nll

PREVALENCES = (0.03, 0.30)
NETWORKS = (("well-fit s=1 a=1", 1.0, 1.0), ("over-conf. s=3 a=3", 3.0, 3.0), ("over-conf. s=3 a=1", 3.0, 1.0),
            ("over-conf. s=3 a=2", 3.0, 2.0), ("over-conf. s=8 a=4", 8.0, 4.0))
SIZES = (150, 2000)
N_TEST = 100_000
RULES = ("current", "shift first", "between", "Platt")


def draw(n: int, rng: np.random.Generator, prev: float, s: float, a: float) -> tuple[np.ndarray, np.ndarray]:
    """Outcomes (n,) and the network's log-odds z = s·η + a·c."""
    y = (rng.random(n) < prev).astype(int)
    eta = logit(prev) + 1.5 * (1.5 * y + rng.normal(size=n)) - 1.125
    return y, s * eta + a * np.log((1 - prev) / prev)


def fit(rule: str, y: np.ndarray, z: np.ndarray, c: float) -> tuple[float, float]:
    """(T, b) of one rule on one validation column."""
    if _degenerate(y[:, None]):
        return 1.0, -c
    col, s = y[:, None].astype(float), z[:, None]
    if rule == "between":
        return fit_shift_between(y, z, c)[:2]
    if rule == "current":
        t, _ = fit_with_smoothing(lambda q, t: soft_nll(q, s / t - c, "multilabel"), col, "multilabel", s)
        return t, -c
    if rule == "shift first":
        t, _ = fit_with_smoothing(lambda q, t: soft_nll(q, (s - c) / t, "multilabel"), col, "multilabel", s - c)
        return t, -c / t

    def free_bias(q: np.ndarray, t: float) -> float:
        return float(minimize_scalar(lambda b: soft_nll(q, s / t + b, "multilabel"), bounds=(-40, 40),
                                     method="bounded", options={"xatol": 1e-7}).x)

    t, smoothed = fit_with_smoothing(lambda q, t: soft_nll(q, s / t + free_bias(q, t), "multilabel"), col,
                                     "multilabel", s)
    return t, free_bias(smoothed_targets(col, "multilabel", 1) if smoothed else col, t)


def score(y: np.ndarray, z: np.ndarray) -> tuple[float, float, float]:
    """ECE, calibration-in-the-large and log-loss of the calibrated log-odds ``z`` on outcomes ``y``."""
    p = np.clip(expit(z), 1e-15, 1 - 1e-15)
    itl = brentq(lambda a: float(np.sum(y - expit(a + z))), -60.0, 60.0)
    ll = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    return expected_calibration_error(p, y, 15), itl, float(ll)


def fit_through_meddx(task: str, y: np.ndarray, z: np.ndarray, c: np.ndarray,
                      pool_rare: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(T, b) per column of the "between" rule as bundles fit it: binary through
    ``recalibration.shifted_temperature_fit`` on (N, 2) probabilities (class weights w0 = 1, w1 = w),
    multi-label through ``label_temperature.fit_label_temperatures`` with ``pos_weight`` w per label (``pool_rare``
    False: its rare labels keep b = −c, the rule before they borrowed the pooled share)."""
    from meddx.evaluation.label_temperature import fit_label_temperatures
    from meddx.evaluation.recalibration import shifted_temperature_fit

    p1 = expit(z)
    if task == "binary":
        t, b, _ = shifted_temperature_fit(y[:, 0], np.stack([1 - p1[:, 0], p1[:, 0]], axis=1), [1.0, np.exp(c[0])])
        return np.array([t]), np.array([b])
    fitted = fit_label_temperatures(y, np.clip(p1, 1e-300, 1 - 1e-16), list(np.exp(c)), pool_rare=pool_rare)
    return np.array(fitted.temperatures), np.array(fitted.bias)


def main(draws: int = 20) -> None:
    for task, columns in (("binary", [(p,) for p in PREVALENCES]), ("multilabel", [PREVALENCES])):
        print(f"\n## {task}: test ECE / in-the-large (sd) / log-loss, mean of {draws} draws; T = current rule's")
        print(f"{'prev':>5} {'n_val':>5} {'network':20} {'T':>5} " + " ".join(f"{r:>26}" for r in RULES))
        for prevs in columns:
            c = np.log((1 - np.array(prevs)) / np.array(prevs))
            for n_val in SIZES:
                for title, s, a in NETWORKS:
                    out = np.zeros((draws, len(RULES), len(prevs), 3))
                    temps = []
                    for d in range(draws):
                        rng = np.random.default_rng([d, n_val, int(100 * prevs[0]), int(10 * s + a), len(prevs)])
                        val = [draw(n_val, rng, p, s, a) for p in prevs]
                        test = [draw(N_TEST, rng, p, s, a) for p in prevs]
                        yv, zv = np.stack([v[0] for v in val], 1), np.stack([v[1] for v in val], 1)
                        for r, rule in enumerate(RULES):
                            if rule == "between":
                                t, b = fit_through_meddx(task, yv, zv, c)
                            else:
                                t, b = np.array([fit(rule, yv[:, j], zv[:, j], c[j]) for j in range(len(prevs))]).T
                            if rule == "current":
                                temps.append(t)
                            for j, (yt, zt) in enumerate(test):
                                out[d, r, j] = score(yt, zt / t[j] + b[j])
                    mean, sd, tm = out.mean(axis=0), out.std(axis=0), np.mean(temps, axis=0)
                    for j, prev in enumerate(prevs):
                        cells = [f"{m[0]:.4f} {m[1]:+.3f} ({v[1]:.2f}) {m[2]:.4f}" for m, v in zip(mean[:, j], sd[:, j])]
                        print(f"{prev:5.2f} {n_val:5d} {title:20} {tm[j]:5.2f} " + " ".join(f"{x:>26}" for x in cells),
                              flush=True)


def _features(n: int, rng: np.random.Generator, beta: np.ndarray, intercepts: np.ndarray,
              labels: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """n cases of 30 Gaussian features and their labels (the columns ``labels`` of 4)."""
    x = rng.normal(size=(n, 30))
    y = (rng.random((n, 4)) < expit(x @ beta + intercepts)).astype(np.float32)
    return x.astype(np.float32), y[:, labels]


def trained(seeds: int = 5, n_val: int = 300) -> None:
    """The same rules on networks trained with ``pos_weight`` = negatives/positives (the design of the
    stop-45 measurement): 30 Gaussian features, 4 labels of prevalence about .03/.07/.2/.5, 2 000 training
    cases; a linear model (50 epochs, well-fit) and an MLP of 256 units trained 10 and 100 epochs
    (over-confident); each label fitted on ``n_val`` validation cases, scored on 20 000 test cases. The
    binary rows are the network of label 2 alone (one output, pos_weight of that label: the binary loss
    with class weights 1 and w)."""
    import torch

    torch.set_num_threads(1)
    intercepts = np.array([-4.6, -3.5, -1.8, 0.0])
    for task, labels in (("multilabel", [0, 1, 2, 3]), ("binary", [1])):
        for title, hidden, epochs in (("linear 50 ep.", 0, 50), ("MLP 10 ep.", 256, 10), ("MLP 100 ep.", 256, 100)):
            rules = RULES + ("between, b=-c rare",)
            out = np.zeros((seeds, len(rules), len(labels), 3))
            temps = []
            for seed in range(seeds):
                rng = np.random.default_rng(seed)
                beta = rng.normal(size=(30, 4)) * 0.25
                (xtr, ytr), (xva, yva), (xte, yte) = (_features(n, rng, beta, intercepts, labels)
                                                      for n in (2000, n_val, 20_000))
                torch.manual_seed(seed)
                pos = ytr.sum(0)
                w = (len(ytr) - pos) / np.maximum(pos, 1)
                k = len(labels)
                net = torch.nn.Linear(30, k) if hidden == 0 else torch.nn.Sequential(
                    torch.nn.Linear(30, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, k))
                opt = torch.optim.Adam(net.parameters(), lr=1e-3)
                loss = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(w, dtype=torch.float32))
                xt, yt = torch.from_numpy(xtr), torch.from_numpy(ytr)
                for _ in range(epochs):
                    perm = torch.randperm(len(xt))
                    for i in range(0, len(xt), 64):
                        opt.zero_grad()
                        loss(net(xt[perm[i:i + 64]]), yt[perm[i:i + 64]]).backward()
                        opt.step()
                with torch.no_grad():
                    zv, zt = (net(torch.from_numpy(x)).double().numpy() for x in (xva, xte))
                c = np.log(w)
                for r, rule in enumerate(rules):
                    if rule.startswith("between"):
                        t, b = fit_through_meddx(task, yva.astype(int), zv, c, pool_rare=rule == "between")
                    else:
                        t, b = np.array([fit(rule, yva[:, j].astype(int), zv[:, j], c[j]) for j in range(k)]).T
                    if rule == "current":
                        temps.append(t)
                    for j in range(k):
                        out[seed, r, j] = score(yte[:, j], zt[:, j] / t[j] + b[j])
            mean, sd, tm = out.mean(axis=0), out.std(axis=0), np.mean(temps, axis=0)
            print(f"\n## trained, {task}, {title}: {seeds} seeds, {n_val} validation cases; T = current rule's")
            for j, label in enumerate(labels):
                cells = [f"{m[0]:.4f} {m[1]:+.3f} ({v[1]:.2f}) {m[2]:.4f}" for m, v in zip(mean[:, j], sd[:, j])]
                print(f"label {label} prev {yte[:, j].mean():.3f} T {tm[j]:5.2f} " + " ".join(f"{x:>26}" for x in cells),
                      flush=True)


RARE_PREVS, COMMON_PREVS = (0.02, 0.04), (0.2, 0.3, 0.5)
# (title, common labels' (s, a), rare labels' (s, a)); λ = (s − a)/(s − 1) is the truth's share
RARE_NETWORKS = (("all s=1 a=1", (1.0, 1.0), (1.0, 1.0)), ("all s=3 a=3", (3.0, 3.0), (3.0, 3.0)),
                 ("all s=3 a=2", (3.0, 2.0), (3.0, 2.0)), ("all s=3 a=1", (3.0, 1.0), (3.0, 1.0)),
                 ("all s=8 a=4", (8.0, 4.0), (8.0, 4.0)), ("common 3/2, rare 3/3", (3.0, 2.0), (3.0, 3.0)),
                 ("common 3/2, rare 3/1", (3.0, 2.0), (3.0, 1.0)), ("common 8/4, rare 8/8", (8.0, 4.0), (8.0, 8.0)),
                 ("common 3/3, rare 3/1", (3.0, 3.0), (3.0, 1.0)))
RARE_RULES = ("b = -c (HEAD)", "mean, n", "meddx: n·width²", "joint", "true share")


def _mean_share(fits: list[tuple[float, float, float, int]], by_width: bool = False) -> float:
    """The share a rare label borrows, 0 when no label tells: with ``by_width`` meddx's rule
    (``shift_fit.pooled_share``: weights n·(c·(1 − 1/T))², about the inverse of each share's variance), else
    the mean of the shares weighted by each label's cases of its less frequent class n alone."""
    from meddx.evaluation.shift_fit import pooled_share, share_of

    if by_width:
        return pooled_share(fits) or 0.0
    pairs = [(share_of(b, c, t), n) for t, b, c, n in fits]
    pairs = [(lam, n) for lam, n in pairs if lam is not None]
    return float(np.average([lam for lam, _ in pairs], weights=[n for _, n in pairs])) if pairs else 0.0


def _joint_share(columns: list[tuple[np.ndarray, np.ndarray, float]]) -> float:
    """λ minimising the summed validation NLL of the labels with enough cases, each with its own T."""
    from meddx.evaluation.shift_fit import bias_at_share
    from meddx.evaluation.temperature_targets import minimise_over_temperature, separable

    prepared = []
    for y, z, c in columns:
        col, s = y[:, None].astype(float), z[:, None]
        q = smoothed_targets(col, "multilabel", 1) if separable(s, col, "multilabel") else col
        prepared.append((q, s, c))

    def column(q: np.ndarray, s: np.ndarray, c: float, lam: float) -> float:  # its NLL at its best T
        def nll(t: float) -> float:
            return soft_nll(q, s / t + bias_at_share(c, t, lam), "multilabel")

        return nll(minimise_over_temperature(nll))

    def total(lam: float) -> float:
        return sum(column(q, s, c, lam) for q, s, c in prepared)

    return float(minimize_scalar(total, bounds=(0.0, 1.0), method="bounded", options={"xatol": 1e-3}).x)


def rare(draws: int = 40, n_val: int = 150) -> None:
    """Rare labels of a multi-label model (fewer than 10 validation positives) borrow the share λ of the
    interval from the labels with enough: rare labels .03/.05, common .2/.3/.5, one model, n_val validation
    cases, 100 000 test cases per rare label; the rare labels' test in-the-large (sd over draws) and
    log-loss per rule, and the log-loss change against b = −c paired by draw (its standard error)."""
    from meddx.evaluation.shift_fit import enough_cases, fit_shift_at_share

    prevs = RARE_PREVS + COMMON_PREVS
    c = np.log((1 - np.array(prevs)) / np.array(prevs))
    print(f"\n## rare labels: {draws} draws, {n_val} validation cases; in-the-large (sd) / log-loss / "
          "Δ log-loss vs b = -c (se)")
    print(f"{'network':22} {'prev':>5} {'pos':>4} {'share':>9} " + " ".join(f"{r:>30}" for r in RARE_RULES))
    for title, common, rare_net in RARE_NETWORKS:
        nets = [rare_net] * len(RARE_PREVS) + [common] * len(COMMON_PREVS)
        out = np.zeros((draws, len(RARE_RULES), len(RARE_PREVS), 3))
        positives, shares = np.zeros((draws, len(RARE_PREVS))), np.zeros((draws, 2))
        for d in range(draws):
            rng = np.random.default_rng([d, n_val, 7])
            val = [draw(n_val, rng, p, s, a) for p, (s, a) in zip(prevs, nets)]
            fits, columns = [], []
            for j in range(len(RARE_PREVS), len(prevs)):
                y, z = val[j]
                if enough_cases(y):
                    t, b, _ = fit_shift_between(y, z, c[j])
                    fits.append((t, b, c[j], int(min(y.sum(), len(y) - y.sum()))))
                    columns.append((y, z, c[j]))
            lams = (0.0, _mean_share(fits), _mean_share(fits, True), _joint_share(columns) if columns else 0.0)
            shares[d] = lams[1:3]
            for j in range(len(RARE_PREVS)):
                y, z = val[j]
                positives[d, j] = y.sum()
                s_, a_ = nets[j]
                truth = (s_ - a_) / (s_ - 1) if s_ != 1 else 0.0
                yt, zt = draw(N_TEST, rng, prevs[j], s_, a_)
                for r, lam in enumerate(lams + (truth,)):
                    if _degenerate(y[:, None]):
                        t, b = 1.0, -c[j]
                    elif enough_cases(y):  # its own fit, whatever the rule
                        t, b = fit_shift_between(y, z, c[j])[:2]
                    else:
                        t, b = fit_shift_at_share(y, z, c[j], lam)[:2]
                    out[d, r, j] = score(yt, zt / t + b)
        for j, prev in enumerate(RARE_PREVS):
            cells = []
            for r in range(len(RARE_RULES)):
                delta = out[:, r, j, 2] - out[:, 0, j, 2]
                cells.append(f"{out[:, r, j, 1].mean():+.3f} ({out[:, r, j, 1].std():.2f}) {out[:, r, j, 2].mean():.4f} "
                             f"{delta.mean():+.4f} ({delta.std() / np.sqrt(draws):.4f})")
            print(f"{title:22} {prev:5.2f} {positives[:, j].mean():4.1f} {shares[:, 0].mean():4.2f}/{shares[:, 1].mean():4.2f} "
                  + " ".join(f"{x:>30}" for x in cells), flush=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--rare":
        rare(*(int(a) for a in sys.argv[2:4]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--trained":
        trained(*(int(a) for a in sys.argv[2:4]))
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
