"""The report's figures (ROC/PR curves with operating points, confusion matrix, reliability
diagram), drawn with matplotlib's object API and embedded as PNG data URIs."""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np

from meddx.evaluation.report_format import _d, _e, _f, _l, _not_computed, _short


# ---------------------------------------------------------------- plots
def _img(fig: Any, alt: str) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{_e(alt)}">'


def _rc() -> Any:
    import matplotlib

    # parse_math off: a '$' in a label name must not be read as TeX (or crash the report).
    return matplotlib.rc_context({"text.parse_math": False, "font.size": 9, "axes.titlesize": 10,
                                  "legend.fontsize": 8, "axes.spines.top": False, "axes.spines.right": False})


def _class_threshold(metrics: dict, c: int, name: str) -> float | None:
    op = _d(metrics.get("operating_point"))
    t = _d(op.get("class_thresholds")).get(name)
    if t is None and op.get("threshold") is not None and metrics.get("task") != "multiclass":
        t = op.get("threshold")
    if t is None:
        t = metrics.get("threshold")
        t = _l(t)[c] if isinstance(t, (list, tuple)) and c < len(t) else t
    return _f(t)


def _op_points(metrics: dict, task: str, truth: np.ndarray, p: np.ndarray, cols: list[int], names: list[str]
               ) -> dict[int, tuple[float | None, float | None, float | None]]:
    """Per plotted class: (1 - specificity, sensitivity, precision) at the operating point."""
    out = {}
    for c in cols:
        t = _class_threshold(metrics, c, names[c])
        if t is not None:
            pred = p[:, c] >= t
        elif task == "multiclass":  # argmax (p_k·w_k when class-weighted): the one-vs-rest point of each class
            from meddx.evaluation.decision import decided_class

            weights = metrics.get("decision_weights")
            pred = decided_class(p, None if weights is None else np.asarray(weights, dtype=np.float64)) == c
        else:
            continue
        pos = truth[:, c] == 1
        tp, fp = int((pred & pos).sum()), int((pred & ~pos).sum())
        fn, tn = int((~pred & pos).sum()), int((~pred & ~pos).sum())
        out[c] = (fp / (fp + tn) if fp + tn else None, tp / (tp + fn) if tp + fn else None,
                  tp / (tp + fp) if tp + fp else None)
    return out


def _curves(metrics: dict, task: str, names: list[str], y_true: Any, probs: Any, scores: Any = None) -> str:
    import matplotlib
    from matplotlib.figure import Figure
    from sklearn.metrics import auc as area, precision_recall_curve, roc_curve

    from meddx.evaluation.metrics import _ranking_scores, _validate

    try:
        y, p = _validate(y_true, probs, task)
        r = _ranking_scores(scores, p, task)  # the curves rank as the AUC does; the dots sit at the thresholds on p
    except Exception as exc:  # a report must not be lost to bad curve inputs: say why instead
        return _not_computed(f"curves not drawn ({_e(exc)})")
    k = p.shape[1]
    truth = y if task == "multilabel" else np.eye(k, dtype=int)[y]
    if len(names) != k:
        names = [str(i) for i in range(k)]
    cols = [1] if task == "binary" else list(range(k))
    ops = _op_points(metrics, task, truth, p, cols, names)
    many = len(cols) > 6
    imgs = []
    with _rc():
        for kind in ("roc", "pr"):
            fig = Figure(figsize=(4.4, 4.0))
            ax = fig.add_subplot()
            colors = [f"C{i}" for i in range(len(cols))] if len(cols) <= 10 else \
                [matplotlib.colormaps["tab20"](i % 20) for i in range(len(cols))]
            marked = False
            for color, c in zip(colors, cols):
                yc, pc = truth[:, c], r[:, c]
                if yc.min() == yc.max():
                    continue  # one class only: no curve
                label = _short(names[c])
                if kind == "roc":
                    fpr, tpr, _ = roc_curve(yc, pc)
                    ax.plot(fpr, tpr, color=color, lw=1.5, label=f"{label} (AUC {area(fpr, tpr):.3f})")
                    x, yv = (ops[c][0], ops[c][1]) if c in ops else (None, None)
                else:
                    prec, rec, _ = precision_recall_curve(yc, pc)
                    ax.plot(rec, prec, color=color, lw=1.5, drawstyle="steps-post", label=label)
                    ax.axhline(yc.mean(), color=color, lw=0.8, ls=":", alpha=0.8)
                    x, yv = (ops[c][1], ops[c][2]) if c in ops else (None, None)
                if x is not None and yv is not None:
                    ax.plot([x], [yv], "o", ms=7, mfc=color, mec="black", mew=1.2, zorder=5)
                    marked = True
            if marked:  # one legend entry for all markers, after the curves
                ax.plot([], [], "o", ms=7, mfc="white", mec="black", mew=1.2, label="operating point")
            if kind == "roc":
                ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--")
                ax.set(xlabel="1 − specificity (false-positive rate)", ylabel="Sensitivity (true-positive rate)",
                       title="ROC curve" + ("s (one-vs-rest)" if task != "binary" else ""))
            else:
                ax.set(xlabel="Sensitivity (recall)", ylabel="Precision (PPV)",
                       title="Precision–recall" + (" (one-vs-rest)" if task != "binary" else "")
                       + "; dotted = prevalence")
            ax.set(xlim=(-0.01, 1.01), ylim=(-0.01, 1.02))
            ax.grid(alpha=0.3)
            if ax.get_legend_handles_labels()[0]:
                if many or (kind == "pr" and len(cols) > 2):  # PR curves fill the lower left: legend outside
                    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=7, frameon=False)
                else:
                    ax.legend(loc="lower right" if kind == "roc" else "lower left")
            what = "ROC curve" if kind == "roc" else "Precision-recall curve"
            subject = f"for {names[1]}" if task == "binary" else f"one per class ({', '.join(names)})"
            imgs.append(_img(fig, f"{what} {subject}, operating point marked"))
    return f'<div class="figs">{"".join(imgs)}</div>'


def _confusion_plot(task: str, cm: np.ndarray, names: list[str]) -> str:
    from matplotlib.figure import Figure

    with _rc():
        if task == "multilabel":
            k = len(cm)
            ncol = min(k, 5)
            nrow = -(-k // ncol)
            fig = Figure(figsize=(1.9 * ncol, 1.9 * nrow + 0.2))
            axes = fig.subplots(nrow, ncol, squeeze=False)
            for i, ax in enumerate(axes.flat):
                if i >= k:
                    ax.axis("off")
                    continue
                m = cm[i]
                ax.imshow(m, cmap="Blues", vmin=0)
                for (r, c), v in np.ndenumerate(m):
                    ax.text(c, r, str(int(v)), ha="center", va="center", fontsize=8,
                            color="white" if v > m.max() / 2 else "black")
                ax.set_title(_short(names[i], 18), fontsize=8)
                ax.set_xticks([0, 1], ["pred −", "pred +"], fontsize=7)
                ax.set_yticks([0, 1], ["true −", "true +"], fontsize=7)
            fig.tight_layout()
            return _img(fig, "Per-label 2x2 confusion matrices (rows truth, columns prediction)")
        k = cm.shape[0]
        size = min(1.8 + 0.45 * k, 7.0)
        fig = Figure(figsize=(size + 0.8, size))
        ax = fig.add_subplot()
        ax.imshow(cm, cmap="Blues", vmin=0)
        rows = cm.sum(axis=1, keepdims=True)
        fs = 9 if k <= 6 else 7 if k <= 12 else 5
        for (r, c), v in np.ndenumerate(cm):
            txt = str(int(v)) + (f"\n{100 * v / rows[r, 0]:.0f}%" if k <= 8 and rows[r, 0] else "")
            ax.text(c, r, txt, ha="center", va="center", fontsize=fs, color="white" if v > cm.max() / 2 else "black")
        short = [_short(n, 16) for n in names]
        ax.set_xticks(range(k), short, rotation=40 if k > 3 else 0, ha="right" if k > 3 else "center")
        ax.set_yticks(range(k), short)
        ax.set(xlabel="Predicted", ylabel="Truth", title="Counts (and % of each true class)")
        return _img(fig, f"Confusion matrix, rows truth and columns prediction, classes {', '.join(names)}")


def _reliability_plot(before: dict, after: dict) -> str | None:
    from matplotlib.figure import Figure

    series = [(lab, col, _l(_d(_d(c).get("reliability")).get("uniform")))
              for lab, col, c in (("before", "C3", before), ("after", "C0", after))]
    series = [s for s in series if s[2]]
    if not series:
        return None
    with _rc():
        fig = Figure(figsize=(4.6, 4.6))
        top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
        top.plot([0, 1], [0, 1], color="grey", ls="--", lw=0.8, label="perfect calibration")
        for j, (lab, col, bins) in enumerate(series):
            pts = [(_f(b.get("confidence")), _f(b.get("accuracy"))) for b in map(_d, bins) if _f(b.get("count"))]
            pts = [q for q in pts if None not in q]
            if pts:
                top.plot(*zip(*pts), "o-", color=col, ms=4, lw=1.4,
                         label=f"{lab} calibration" if len(series) > 1 else "model")
            width = [(_f(b.get("lo")), _f(b.get("hi")), _f(b.get("count")) or 0.0) for b in map(_d, bins)]
            width = [w for w in width if w[0] is not None and w[1] is not None]
            half = len(series) > 1
            for lo, hi, cnt in width:
                w = (hi - lo) / (2 if half else 1)
                bottom.bar(lo + j * w if half else lo, cnt, width=w, align="edge", color=col, alpha=0.7)
        top.set(ylabel="Observed frequency", xlim=(0, 1), ylim=(0, 1.02), title="Reliability (uniform bins)")
        top.grid(alpha=0.3)
        top.legend(loc="upper left")
        bottom.set(xlabel="Predicted probability (confidence)", ylabel="Samples")
        fig.tight_layout()
        return _img(fig, "Reliability diagram: predicted probability against observed frequency, "
                         "before and after calibration, with a histogram of samples per bin")
