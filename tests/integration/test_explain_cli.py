"""``meddx explain`` on the shared synthetic-lesion bundle, where every lesion's mask is known."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.integration.cli_helpers import run_cli


def _test_masks(source_ids: list[str]) -> dict[str, np.ndarray]:
    """Masks of the fixture's test split: make_lesion_source(..., seed=11, contrast=2.0) draws it
    with make_lesion_images(200, 28, contrast=2.0, seed=11 * 1000 + 2); ids end in ``test-<i>.png``."""
    from meddx.data.synthetic import make_lesion_images

    data = make_lesion_images(200, 28, contrast=2.0, seed=11 * 1000 + 2)
    return {sid: data.masks[int(Path(sid).stem.split("-")[1])] for sid in source_ids}


def test_explain_files_writes_overlays_at_the_image_size(trained: dict, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted((trained["folder"] / "test" / "lesion").glob("*.png"))[:2]
    out = tmp_path / "expl"
    result = run_cli(["explain", str(trained["bundle"]), *map(str, files), "-m", "gradcam", "-m", "occlusion",
                      "--out", str(out), "--json"], capsys)
    assert result.code == 0, result.err
    rows = [json.loads(line) for line in result.out.strip().splitlines()]
    assert [(r["method"], r["target"]) for r in rows] == [("gradcam", "lesion"), ("occlusion", "lesion")] * 2
    assert all(r["shape"] == [28, 28] for r in rows)
    pngs = sorted(out.glob("*-gradcam.png"))
    assert len(pngs) == 2 and Image.open(pngs[0]).size == Image.open(files[0]).size
    assert len(list(out.glob("*-methods.png"))) == 2
    assert len(json.loads((out / "explanations.json").read_text())) == 4
    folder = trained["folder"] / "test" / "normal"
    whole = run_cli(["explain", str(trained["bundle"]), str(folder), "-m", "gradcam", "--out", str(tmp_path / "f"),
                     "--json"], capsys)
    assert whole.code == 0, whole.err
    sources = [json.loads(line)["source"] for line in whole.out.strip().splitlines()]
    assert sources == sorted(str(f) for f in folder.glob("*.png"))
    assert len(list((tmp_path / "f").glob("*-gradcam.png"))) == len(sources)
    bad = run_cli(["explain", str(trained["bundle"]), str(files[0]), "-m", "attention"], capsys)
    assert bad.code == 2 and "gradcam" in bad.err


def test_a_file_given_twice_is_explained_twice_and_each_overlay_is_drawn_on_its_own_image(
        trained: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Found by an audit: inputs were grouped by path, so with A, A, B the overlay of B was drawn on
    A's image and a two-"method" comparison of A was written."""
    from meddx.explain.api import as_predictor, explain, write_explanations

    a, b = sorted((trained["folder"] / "test" / "lesion").glob("*.png"))[:2]
    out = tmp_path / "dup"
    result = run_cli(["explain", str(trained["bundle"]), str(a), str(a), str(b), "-m", "gradcam", "--out", str(out)],
                     capsys)
    assert result.code == 0, result.err
    assert sorted(p.name for p in out.glob("*.png")) == [f"0001-{a.name}-gradcam.png", f"0002-{a.name}-gradcam.png",
                                                         f"0003-{b.name}-gradcam.png"]
    # the third overlay is the one drawn on B itself
    predictor = as_predictor(trained["bundle"])
    write_explanations(predictor, explain(predictor, [b], "gradcam"), [b], tmp_path / "b-only")
    assert (out / f"0003-{b.name}-gradcam.png").read_bytes() == (tmp_path / "b-only" / f"0001-{b.name}-gradcam.png").read_bytes()


def test_gradcam_points_at_the_lesion_and_beats_random_orders(trained: dict) -> None:
    from meddx.data.sources import load_source
    from meddx.explain.evaluate import evaluate_explanations

    ids = load_source(trained["folder"], carve_val=False).split("test").ids
    report, path = evaluate_explanations(trained["bundle"], str(trained["folder"]), methods=["gradcam"], n=200,
                                         masks=_test_masks(ids), sanity_inputs=3)
    gradcam = report["methods"]["gradcam"]
    assert gradcam["pointing_game"]["n"] >= 80 and gradcam["pointing_game"]["rate"] >= 0.9
    f = gradcam["faithfulness"]
    assert f["deletion_auc"]["mean"] < f["random_deletion_auc"]["mean"]
    assert f["insertion_auc"]["mean"] > f["random_insertion_auc"]["mean"]
    assert gradcam["randomisation"]["passed"]
    assert path.parent == trained["bundle"] / "explanations" and json.loads(path.read_text())["n"] == 200


def test_explain_evaluate_cli_prints_a_table(trained: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(["explain", str(trained["bundle"]), "--evaluate", "--data", str(trained["folder"]), "--n", "8",
                      "-m", "gradcam", "-m", "saliency", "--json"], capsys)
    assert result.code == 0, result.err
    table = json.loads(result.out)
    assert [r["method"] for r in table] == ["gradcam", "saliency"]
    assert all(0 <= r["deletion_auc"] <= 1 and r["randomisation_passed"] is not None for r in table)
    missing = run_cli(["explain", str(trained["bundle"]), "--evaluate"], capsys)
    assert missing.code != 0 and "--data" in missing.err


def test_faithfulness_stored_in_the_bundle_reaches_the_evaluation_report(trained: dict, tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.explain.evaluate import evaluate_explanations

    evaluate_explanations(trained["bundle"], str(trained["folder"]), methods=["gradcam", "saliency"], n=6,
                          sanity_inputs=1)
    result = run_cli(["evaluate", str(trained["bundle"]), "--data", str(trained["folder"]), "--split", "test",
                      "--out", str(tmp_path / "ev")], capsys)
    assert result.code == 0, result.err
    metrics = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    stored = {row["method"] for entry in metrics["explanations"] for row in entry["table"]}
    assert {"gradcam", "saliency"} <= stored
    html = (tmp_path / "ev" / "report.html").read_text()
    assert "Explanations: can they be believed?" in html and "gradcam" in html and "randomisation check" in html
