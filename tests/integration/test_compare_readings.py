"""``meddx compare`` on tables: each bundle reads the data as it was trained, carved splits must
agree, and DeLong / McNemar treat patients as the units (audit 51, defects 1-3)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.integration.cli_helpers import run_cli


def _write_tables(folder: Path) -> dict[str, Path]:
    """150 patients with 1-3 rows each, patient-level test split, 30% of x1 set to 0 (as the audit's
    repro); a test-only copy and the same with every row repeated 3 times under its patient."""
    import pandas as pd

    rng = np.random.default_rng(1)
    rows = []
    for p in range(150):
        y = int(rng.random() < 0.4)
        for _ in range(rng.integers(1, 4)):
            rows.append(dict(patient_id=f"P{p:03d}", age=round(rng.normal(60, 10), 1),
                             x1=round(rng.normal(y * 1.2, 1), 3), x2=round(rng.normal(0, 1), 3),
                             x3=round(rng.normal(y * 0.5, 1), 3), label=y))
    df = pd.DataFrame(rows)
    df.loc[np.random.default_rng(3).random(len(df)) < 0.3, "x1"] = 0.0
    df["split"] = np.where(df.patient_id.str[1:].astype(int) >= 100, "test", "train")
    df.insert(0, "id", [f"r{i}" for i in range(len(df))])
    paths = {"all": folder / "tabz.csv", "test": folder / "tabz_test.csv", "rep": folder / "tabz_test_rep3.csv"}
    df.to_csv(paths["all"], index=False)
    test = df[df.split == "test"]
    test.to_csv(paths["test"], index=False)
    pd.concat([test.assign(id=test.id + f"_{k}") for k in range(3)]).sort_values("id").to_csv(paths["rep"], index=False)
    return paths


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A: plain (seed 0); B: --zero-as-missing x1 (seed 0, same carved val); C: plain, seed 7."""
    from meddx.cli.main import main

    root = tmp_path_factory.mktemp("compare_readings")
    paths = _write_tables(root)
    runs = {"A": [], "B": ["--zero-as-missing", "x1"], "C": ["--seed", "7"]}
    with pytest.MonkeyPatch.context() as mp:  # the registry of these runs stays in the test folder
        mp.setenv("MEDDX_HOME", str(root / "home"))
        for name, extra in runs.items():
            try:
                main(["train", "--data", str(paths["all"]), "--name", f"tz{name}", "--output", str(root / name),
                      "--no-progress", *extra])
            except SystemExit as exc:
                assert not exc.code, f"training {name} failed with exit code {exc.code}"
    return {**paths, **{name: root / name for name in runs}, "root": root}


def _compare(bundles: dict, first: str, second: str, capsys: pytest.CaptureFixture[str], *extra: str,
             data: str = "all") -> tuple[dict, str]:
    out = bundles["root"] / f"cmp-{first}{second}-{data}-{'-'.join(extra) or 'test'}"
    result = run_cli(["compare", str(bundles[first]), str(bundles[second]), "--data", str(bundles[data]),
                      "--out", str(out), "--bootstrap", "100", *extra], capsys)
    assert result.code == 0, result.out + result.err
    return json.loads((out / "comparison.json").read_text()), result.out


def test_compare_scores_each_bundle_as_it_was_trained(bundles: dict, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(bundles["root"] / "home"))
    out = bundles["root"] / "evB"
    result = run_cli(["evaluate", str(bundles["B"]), "--data", str(bundles["all"]), "--out", str(out),
                      "--bootstrap", "0", "--no-report"], capsys)
    assert result.code == 0, result.out + result.err
    alone = json.loads((out / "metrics.json").read_text())
    ab, _ = _compare(bundles, "A", "B", capsys)
    ba, _ = _compare(bundles, "B", "A", capsys)
    delong_ab, delong_ba = ab["delong"]["label=1"], ba["delong"]["label=1"]
    assert delong_ab["auc_b"] == pytest.approx(alone["auc"], abs=1e-12)  # B read as B was trained
    assert ab["mcnemar"]["accuracy_b"] == pytest.approx(alone["accuracy"], abs=1e-12)
    assert (delong_ba["auc_a"], delong_ba["auc_b"]) == pytest.approx((delong_ab["auc_b"], delong_ab["auc_a"]))
    assert delong_ba["difference"] == pytest.approx(-delong_ab["difference"])
    assert delong_ba["p_value"] == pytest.approx(delong_ab["p_value"])
    assert (ba["mcnemar"]["a_only"], ba["mcnemar"]["b_only"]) == (ab["mcnemar"]["b_only"], ab["mcnemar"]["a_only"])
    assert ba["mcnemar"]["p_value"] == pytest.approx(ab["mcnemar"]["p_value"])


def test_compare_val_refuses_bundles_whose_carved_splits_differ(bundles: dict, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(bundles["root"] / "home"))
    for split in ("val", "train"):
        result = run_cli(["compare", str(bundles["A"]), str(bundles["C"]), "--data", str(bundles["all"]),
                          "--split", split, "--out", str(bundles["root"] / f"no-{split}"), "--bootstrap", "20"], capsys)
        message = (result.out + result.err).strip()
        assert result.code != 0 and "carved different validation splits" in message, message
        assert "--split test" in message and len(message.splitlines()) == 1
        assert not (bundles["root"] / f"no-{split}" / "comparison.json").exists()
    same, _ = _compare(bundles, "A", "B", capsys, "--split", "val")  # same seed and fraction: same val
    assert same["split"] == "val" and same["n"] > 0


def test_compare_treats_patients_as_units_and_labels_its_intervals(bundles: dict, monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(bundles["root"] / "home"))
    once, printed = _compare(bundles, "A", "C", capsys, data="test")
    thrice, _ = _compare(bundles, "A", "C", capsys, data="rep")
    assert once["paired_tests"]["unit"] == "patient" and once["paired_tests"]["n_units"] == 50
    assert thrice["n"] == 3 * once["n"] and thrice["paired_tests"]["n_units"] == 50
    d1, d3 = once["delong"]["label=1"], thrice["delong"]["label=1"]
    assert d1["n_clusters"] == 50 and "clustered" in d1["method"]
    assert (d3["z"], d3["p_value"]) == pytest.approx((d1["z"], d1["p_value"]), rel=1e-9)
    m1, m3 = once["mcnemar"], thrice["mcnemar"]
    assert "clustered" in m1["method"] and m1["n_clusters"] == 50
    assert m3["statistic"] == pytest.approx(m1["statistic"], rel=1e-9)
    assert "DeLong CI" in printed and "bootstrap CI" in printed and "50 patient(s)" in printed
