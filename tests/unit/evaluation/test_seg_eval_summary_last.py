"""``seg_evaluate.write_outputs`` removes the earlier evaluation's overlays only after ``metrics.json``.

Before, the earlier ``overlays/`` folder was deleted and then the new ``metrics.json`` written: a run
stopped in between (Ctrl-C, a full disk) left the earlier ``metrics.json`` naming overlays that were
gone for good. Now they are moved aside (``.overlays-old``) and deleted once the new summary is in
place; the next evaluation into the folder clears what a stopped one moved aside.
"""

from __future__ import annotations

from pathlib import Path

import pytest


def _earlier(out: Path) -> None:
    (out / "overlays").mkdir(parents=True)
    (out / "overlays" / "worst-old.png").write_bytes(b"old")
    (out / "metrics.json").write_text('{"overlays": {"worst": ["overlays/worst-old.png"]}}')


@pytest.mark.parametrize("staged", [True, False])  # new overlays drawn, or none (--overlays 0)
def test_a_run_stopped_before_metrics_json_deletes_no_earlier_overlay(tmp_path: Path, staged: bool,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.evaluation import seg_evaluate

    out = tmp_path / "ev"
    _earlier(out)
    if staged:
        (out / seg_evaluate.STAGED_OVERLAYS).mkdir()
        (out / seg_evaluate.STAGED_OVERLAYS / "worst-new.png").write_bytes(b"new")
    rows = [{"id": "c1", "metrics": {"fg": {"dice": 1.0}}}]

    def stopped(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(seg_evaluate, "write_json_atomic", stopped)
    with pytest.raises(KeyboardInterrupt):
        seg_evaluate.write_outputs(out, {"split": "test"}, rows, ["background", "fg"], title=None)
    kept = [p.read_bytes() for p in out.rglob("worst-old.png")]
    assert kept == [b"old"]  # moved aside, not deleted, while the earlier metrics.json still names it
    assert "old.png" in (out / "metrics.json").read_text()

    monkeypatch.undo()
    seg_evaluate.write_outputs(out, {"split": "test"}, rows, ["background", "fg"], title=None)
    assert list(out.rglob("worst-old.png")) == [] and not (out / ".overlays-old").exists()
    assert sorted(p.name for p in out.iterdir()) == ["cases.csv", "metrics.json"]
