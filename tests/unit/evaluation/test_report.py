"""report.html: sections, CI formatting, escaping, embedded images, offline-only, and a real browser."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from meddx.evaluation.metrics import classification_metrics
from meddx.evaluation.report import render_report, write_report

XSS = "<script>alert(1)</script>"
SECTION_IDS = ["summary", "curves", "confusion", "per-class", "calibration", "subgroups", "dataset", "plan",
               "notes", "method"]
HEADINGS = ["Summary", "ROC and precision–recall curves", "Confusion matrix", "Per-class results", "Calibration",
            "Subgroups", "Dataset", "Training plan", "Notes", "How these numbers were computed"]


def _interval(v: float | None, width: float = 0.04, shift: float = 0.0) -> dict[str, Any]:
    if v is None:
        return {"estimate": None, "percentile": [None, None], "bca": [None, None], "n_valid": 0}
    lo, hi = max(0.0, v - width), min(1.0, v + width)
    return {"estimate": v, "percentile": [lo, hi], "bca": [max(0.0, lo - shift), min(1.0, hi - shift)],
            "n_valid": 1000}


def _reliability(conf: np.ndarray, correct: np.ndarray, n_bins: int = 10) -> dict[str, Any]:
    edges = np.linspace(0, 1, n_bins + 1)
    bins, gaps = [], []
    for lo, hi in zip(edges[:-1], edges[1:]):
        sel = (conf >= lo) & ((conf < hi) if hi < 1 else (conf <= hi))
        n = int(sel.sum())
        bins.append({"lo": float(lo), "hi": float(hi), "count": n,
                     "confidence": float(conf[sel].mean()) if n else None,
                     "accuracy": float(correct[sel].mean()) if n else None})
        gaps.append((n, abs(bins[-1]["confidence"] - bins[-1]["accuracy"]) if n else 0.0))
    ece = sum(n * g for n, g in gaps) / len(conf)
    return {"ece": ece, "ece_adaptive": ece * 1.1, "mce": max(g for _, g in gaps),
            "brier": float(np.mean((conf - correct) ** 2)), "n_bins": n_bins, "target": "positive class",
            "reliability": {"uniform": bins, "quantile": bins}}


def _add_ci_and_extras(m: dict[str, Any], unit: str = "patient") -> dict[str, Any]:
    """Fill the per-class PPV/NPV/AUPRC that classification_metrics may not give yet, and a ``ci`` block."""
    m.setdefault("auprc", 0.71)
    for pc in m["per_class"].values():
        pc.setdefault("ppv", pc["precision"])
        pc.setdefault("npv", 0.93)
        pc.setdefault("auprc", 0.66)
    m["ci"] = {
        "level": 0.95, "n_resamples": 1000, "seed": 0, "stratified": True, "unit": unit, "n_units": 187,
        "method": "bca", "auc": _interval(m["auc"], shift=0.01), "auprc": _interval(m["auprc"]),
        "accuracy": _interval(m["accuracy"]), "balanced_accuracy": _interval(m["balanced_accuracy"]),
        "per_class": {name: {k: _interval(pc[k]) for k in ("sensitivity", "specificity", "ppv", "npv", "f1",
                                                            "auc", "auprc")}
                      for name, pc in m["per_class"].items()},
        "notes": ["auprc: 3 resamples without positives were skipped"],
    }
    m.update(schema_version=1, bundle="runs/pneumonia-resnet18", data="medmnist:pneumoniamnist", split="test",
             created="2025-01-31T10:12:00+00:00", meddx_version="0.1.0")
    return m


def _binary() -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    y = (rng.random(300) < 0.35).astype(int)
    p1 = 1 / (1 + np.exp(-(1.4 * (2 * y - 1) + rng.normal(0, 1.3, 300) - 0.3)))
    probs = np.column_stack([1 - p1, p1])
    m = _add_ci_and_extras(classification_metrics(y, probs, "binary", threshold=0.42,
                                                  label_names=["normal", "pneumonia"]))
    raw = np.clip(p1 ** 0.6, 0, 1)  # an over-confident "before"
    m["operating_point"] = {"rule": "youden", "threshold": 0.42, "class_thresholds": None, "chosen_on": "val",
                            "val": {"sensitivity": 0.91, "specificity": 0.84}, "resamples": 100}
    m["calibration"] = {"temperature": 1.37, "before": _reliability(raw, y), "after": _reliability(p1, y)}
    m["dataset"] = {
        "source": "medmnist:pneumoniamnist", "task": "binary", "label_names": ["normal", "pneumonia"],
        "splits": {"train": {"n": 4708, "classes": {"normal": 1214, "pneumonia": 3494}, "patients": None},
                   "val": {"n": 524, "classes": {"normal": 135, "pneumonia": 389}, "patients": None},
                   "test": {"n": 300, "classes": {"normal": int((y == 0).sum()), "pneumonia": int(y.sum())},
                            "patients": 187}},
        "duplicates": {"checked": True, "exact_groups": 2, "near_groups": 11, "cross_split": 3,
                       "conflicting_labels": 1, "leakage": True}}
    m["plan"] = {"model": "resnet18", "model_args": {"pretrained": True, "drop_rate": 0.2},
                 "image_size": [224, 224], "batch_size": 64, "epochs": 30, "precision": "bf16-mixed"}
    m["plan_reasons"] = {"image_size": "median source size 28 px upsampled for a pretrained backbone"}
    m["warnings"] = ["3 near-duplicate groups cross the train/test split: results may be optimistic"]
    m["subgroup_warnings"] = []
    return m, y, probs


def _multiclass() -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    names = ["normal", "benign", "malignant $high$", XSS]
    y = rng.integers(0, 4, 400)
    z = rng.normal(0, 1, (400, 4)) + 2.0 * np.eye(4)[y]
    probs = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    m = _add_ci_and_extras(classification_metrics(y, probs, "multiclass", label_names=names), unit="sample")
    m["ci"]["method"] = "percentile"
    m["operating_point"] = {"rule": "argmax", "threshold": None, "class_thresholds": None, "chosen_on": "val",
                            "val": None}
    conf, correct = probs.max(axis=1), (probs.argmax(axis=1) == y).astype(float)
    m["calibration"] = {"temperature": None, "before": _reliability(conf, correct), "after": None}
    group = {"n": 180, "n_positive": None, "auc": _interval(0.88), "accuracy": _interval(0.74),
             "sensitivity": None, "specificity": None, "warning": None}
    m["subgroups"] = {
        "sex": {"groups": {"F": group, "M": {**group, "n": 220, "auc": _interval(0.83)}},
                "largest_gap": {"metric": "auc", "gap": 0.05, "between": ["F", "M"]}},
        "site": {"groups": {"A": group, "<b>tiny</b>": {**group, "n": 12, "auc": _interval(0.6, 0.3),
                                                        "warning": "only 12 samples: intervals unreliable"}},
                 "largest_gap": None}}
    m["subgroup_warnings"] = ["site '<b>tiny</b>' has 12 samples (< 30)"]
    m["dataset"] = {"source": "folder:/data/derm", "task": "multiclass", "label_names": names,
                    "splits": {"test": {"n": 400, "classes": {n: int((y == i).sum()) for i, n in enumerate(names)},
                                        "patients": None}}, "duplicates": None}
    m["plan"] = {"model": "efficientnet_b0", "notes": XSS}
    m["warnings"] = ['<img src=x onerror="alert(2)">']
    return m, y, probs


def _multilabel() -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2)
    names = ["effusion", "nodule", "cardiomegaly", "edema", "fibrosis", "hernia"]
    y = (rng.random((250, 6)) < [0.3, 0.2, 0.1, 0.15, 0.05, 0.4]).astype(int)
    probs = 1 / (1 + np.exp(-(1.8 * (2 * y - 1) + rng.normal(0, 1.5, y.shape) - 1.0)))
    thresholds = [0.3, 0.35, 0.4, 0.45, 0.5, 0.55]
    m = classification_metrics(y, probs, "multilabel", threshold=0.5, label_names=names)
    m = _add_ci_and_extras(m)
    m["operating_point"] = {"rule": "sensitivity>=0.95", "threshold": None, "chosen_on": "val", "val": None,
                            "class_thresholds": dict(zip(names, thresholds))}
    return m, y, probs


def _minimal() -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 120)
    probs = np.column_stack([1 - (p := rng.random(120)), p])
    return classification_metrics(y, probs, "binary"), y, probs


CASES = {"binary": _binary, "multiclass": _multiclass, "multilabel": _multilabel, "minimal": _minimal}
N_IMAGES = {"binary": 4, "multiclass": 4, "multilabel": 3, "minimal": 3}  # ROC, PR, confusion, reliability


@pytest.fixture(params=list(CASES))
def case(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any], np.ndarray, np.ndarray]:
    return (request.param, *CASES[request.param]())


def test_sections_images_and_offline(case: tuple) -> None:
    name, m, y, probs = case
    html = render_report(m, y, probs)
    for sid, heading in zip(SECTION_IDS, HEADINGS):
        assert f'id="{sid}"' in html and f"<h2>{heading}</h2>" in html
    assert html.index('id="warnings"') < html.index('id="summary"') < html.index('id="curves"') \
        < html.index('id="calibration"') < html.index('id="method"')
    imgs = re.findall(r"<img [^>]*>", html)
    assert len(imgs) == N_IMAGES[name]
    for tag in imgs:
        assert re.search(r'src="data:image/png;base64,[A-Za-z0-9+/=]{200,}"', tag)
        assert re.search(r'alt="[^"]{10,}"', tag)
    assert not re.search(r"https?://", html)
    assert not re.search(r"<script|<link(?! rel=\"icon\" href=\"data:,\")|@import|url\(", html, re.I)
    assert len(html) < 2_000_000


def test_ci_formatting_uses_the_chosen_method() -> None:
    m, y, probs = _binary()
    html = render_report(m, y, probs)
    pneu, ci = m["per_class"]["pneumonia"], m["ci"]["per_class"]["pneumonia"]
    lo, hi = ci["sensitivity"]["bca"]
    assert f'{pneu["sensitivity"]:.3f} <span class="ci">({lo:.3f}–{hi:.3f})</span>' in html
    auc_bca, auc_pct = m["ci"]["auc"]["bca"], m["ci"]["auc"]["percentile"]
    assert f"95% CI {auc_bca[0]:.3f}–{auc_bca[1]:.3f}" in html  # headline card, BCa bounds
    assert f"95% CI {auc_pct[0]:.3f}–{auc_pct[1]:.3f}" not in html
    m["ci"]["method"] = "percentile"
    assert f"95% CI {auc_pct[0]:.3f}–{auc_pct[1]:.3f}" in render_report(m, y, probs)
    # Headline: binary sensitivity/specificity at the operating point, with rule and threshold.
    assert "Sensitivity (pneumonia)" in html and "Specificity" in html
    assert "Threshold <b>0.420</b> was chosen on the <b>val</b> split by rule <code>youden</code>" in html
    assert "Youden&#x27;s J, averaged over 100 bootstrap resamples of the validation split)" in html
    assert "applied unchanged" in html
    assert "1000 stratified resamples drawn at the patient level (187 patients)" in html


def test_user_strings_are_escaped() -> None:
    m, y, probs = _multiclass()
    html = render_report(m, y, probs)
    assert XSS not in html and "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in html
    assert "<b>tiny</b>" not in html and "&lt;b&gt;tiny&lt;/b&gt;" in html
    assert "only 12 samples: intervals unreliable" in html
    assert "Largest gap: AUC differs by <b>0.050</b> between “F” and “M”." in html
    assert "Predictions are the most probable class (argmax)" in html


def test_missing_and_none_parts_render_as_not_computed() -> None:
    m, y, probs = _minimal()
    html = render_report(m, y, probs)
    for what in ("no calibration analysis", "no subgroup attributes", "no dataset summary", "no training plan"):
        assert f"Not computed: {what}" in html
    assert "No confidence intervals were computed" in html and "CI not computed" in html
    nones = dict.fromkeys(["ci", "calibration", "subgroups", "dataset", "plan", "operating_point", "warnings",
                           "auprc", "per_class", "confusion_matrix", "macro", "notes", "created"])
    html = render_report({**m, **nones}, y, probs)
    assert "Not computed: no per-class metrics" in html and "Not computed: no confusion matrix" in html
    assert len(re.findall(r"<img ", html)) == 2
    # Intervals with undefined bounds show the value alone; broken curve inputs are explained, not raised.
    b, yb, pb = _binary()
    b["ci"]["auc"] = _interval(None)
    b["ci"]["per_class"]["pneumonia"]["sensitivity"]["bca"] = [None, None]
    b["ci"]["per_class"]["pneumonia"]["sensitivity"]["percentile"] = [None, None]
    html = render_report(b, yb, pb[:10])
    assert f'{b["per_class"]["pneumonia"]["sensitivity"]:.3f}</td>' in html
    assert "curves not drawn" in html


def test_multilabel_thresholds_and_grid() -> None:
    m, y, probs = _multilabel()
    html = render_report(m, y, probs)
    assert "<th>TN</th><th>FP</th><th>FN</th><th>TP</th>" in html
    assert "<th>Threshold</th>" in html and "<td>0.550</td>" in html  # hernia's class threshold
    assert "rule <code>sensitivity&gt;=0.95</code> (the threshold reaching sensitivity ≥ 0.95)" in html


def test_per_label_validation_rates_are_rounded_not_printed_as_dicts() -> None:
    """Found by an audit: a multi-label operating point's validation rates showed as raw Python dicts."""
    m, y, probs = _multilabel()
    first, second = m["label_names"][:2]
    m["operating_point"]["val"] = {first: {"sensitivity": 0.7419354838709677, "specificity": 0.5},
                                   second: {"sensitivity": 1.0, "specificity": 0.25}}
    html = render_report(m, y, probs)
    assert f"{first}: sensitivity 0.742, specificity 0.500; {second}: sensitivity 1.000" in html
    assert "0.7419354838709677" not in html and "{&#x27;" not in html and "{'" not in html


def test_write_report_is_atomic_and_returns_path(tmp_path: Path) -> None:
    m, y, probs = _binary()
    out = write_report(tmp_path / "sub" / "report.html", m, y, probs, title="Pneumonia <v2>")
    assert out == tmp_path / "sub" / "report.html" and out.is_file()
    text = out.read_text(encoding="utf-8")
    assert "<title>Pneumonia &lt;v2&gt;</title>" in text
    assert [p.name for p in out.parent.iterdir()] == ["report.html"]  # no temporary file left
    assert out.stat().st_size < 2_000_000


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright (python) is not installed")
    exe = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(exe).exists():
        pytest.skip("no chromium executable (looked for `chromium` on PATH and /usr/bin/chromium)")
    pw = sync_api.sync_playwright().start()
    b = pw.chromium.launch(executable_path=exe, args=["--no-sandbox", "--disable-gpu",
                                                      "--disable-background-networking", "--disable-component-update",
                                                      "--disable-sync", "--no-first-run"])
    yield b
    b.close()
    pw.stop()


def test_report_opens_cleanly_in_a_browser(case: tuple, browser: Any, tmp_path: Path) -> None:
    name, m, y, probs = case
    path = write_report(tmp_path / f"{name}.html", m, y, probs)
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None)
    page.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if not r.url.startswith(("data:", "file:")) else None)
    page.goto(path.resolve().as_uri())
    page.wait_for_load_state("load")
    assert errors == [] and requests == []
    widths = page.evaluate("() => Array.from(document.images, i => i.complete ? i.naturalWidth : 0)")
    assert len(widths) == N_IMAGES[name] and all(w > 0 for w in widths)
    headings = page.evaluate("() => Array.from(document.querySelectorAll('h2'), h => h.textContent)")
    assert [h for h in headings if h in HEADINGS] == HEADINGS
    assert page.evaluate("() => document.querySelectorAll('script').length") == 0
    if name == "multiclass":
        assert XSS in page.inner_text("body")  # shown as text, never run
    page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
    assert (tmp_path / f"{name}.png").stat().st_size > 10_000
    page.close()


@pytest.mark.parametrize("make", [_binary, _multiclass])
def test_curve_markers_sit_at_the_reported_operating_point(make: Any) -> None:
    from meddx.evaluation.report_plots import _op_points

    m, y, probs = make()
    k = probs.shape[1]
    truth = np.eye(k, dtype=int)[y]
    cols = [1] if m["task"] == "binary" else list(range(k))
    points = _op_points(m, m["task"], truth, probs, cols, m["label_names"])
    assert sorted(points) == cols
    for c in cols:
        pc = m["per_class"][m["label_names"][c]]
        assert points[c] == pytest.approx((1 - pc["specificity"], pc["sensitivity"], pc["ppv"]))


def test_extra_operating_points_and_duplicate_counts_are_shown() -> None:
    m, y, probs = _binary()
    m["operating_points"] = [{
        "rule": "sensitivity>=0.95", "threshold": 0.2113, "class_thresholds": None, "chosen_on": "val",
        "val": {"sensitivity": 0.96, "specificity": 0.7},
        "test": {"pneumonia": {"sensitivity": _interval(0.94), "specificity": _interval(0.66),
                               "ppv": _interval(0.6), "npv": _interval(0.95)}}}]
    m["dataset"]["duplicates"]["cross_split_by_split"] = {"train": 2, "test": 1}
    html = render_report(m, y, probs)
    assert "Other operating points" in html and "sensitivity&gt;=0.95" in html and "0.2113" in html
    assert "0.960 / 0.700" in html  # validation sensitivity / specificity of that rule
    assert "Samples with a copy on another split" in html and "train 2, test 1" in html


def test_a_multilabel_temperature_per_label_is_shown_by_name() -> None:
    m, y, probs = _multilabel()
    names = m["label_names"]
    before = {"ece": 0.1, "brier": 0.2, "target": "per-label probability (pooled)", "n_bins": 15, "reliability": {}}
    m["calibration"] = {"temperature": [1.31] + [0.88] * (len(names) - 1), "not_fitted": [names[-1]],
                        "before": before, "after": before}
    html = render_report(m, y, probs)
    assert f"Temperature scaling: T per label: {names[0]} 1.31, {names[1]} 0.88" in html
    assert f"T = 1 (not fitted): {names[-1]}" in html
