"""Segmentation ``meddx evaluate`` with other options writes to its own default folder: a run
without a report (which removes ``report.html`` from the folder it writes) or with another seed
keeps the earlier evaluation's report and metrics; the default folder keeps its name."""

from __future__ import annotations

import json
from pathlib import Path

from meddx.data.synthetic_seg import write_seg_folder
from tests.integration.bundle_helpers import tiny_seg_bundle


def test_other_options_keep_the_earlier_segmentation_evaluation(tmp_path: Path) -> None:
    from meddx.evaluation.output_dirs import location_key
    from meddx.evaluation.seg_evaluate import SegEvalSettings, evaluate_seg_bundle

    data = write_seg_folder(tmp_path / "pairs", n=6, spatial_dims=2, size=16, seed=4)
    bundle = tiny_seg_bundle(tmp_path / "s", "s", dims=2, size=[16, 16], patch=[16, 16], channels=[4, 8],
                             structure="ellipse")
    _, first = evaluate_seg_bundle(bundle, str(data), "test")
    assert first.parent.name.endswith(f"-test-{location_key(str(data))}")  # the default name, as before
    before = first.read_text()
    _, second = evaluate_seg_bundle(bundle, str(data), "test", report=False)
    _, third = evaluate_seg_bundle(bundle, str(data), "test", settings=SegEvalSettings(seed=1, overlays=0))
    assert len({first.parent, second.parent, third.parent}) == 3
    assert first.read_text() == before and (first.parent / "report.html").is_file()
    assert not (second.parent / "report.html").exists() and json.loads(third.read_text())["split"] == "test"
