"""``meddx predict --skip-bad`` over the shared DICOM samples (CT, MR in five transfer syntaxes,
JPEG 2000, an RTSTRUCT) and a copy of CT_small cut short: each file is predicted, or skipped with the
reason, exactly as ``predict`` on that file alone succeeds or fails, and the run exits 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.bundle_helpers import tiny_image_bundle
from tests.integration.cli_helpers import run_cli

pytestmark = pytest.mark.realdata


def test_each_sample_is_predicted_or_skipped_as_it_is_alone(shared_data: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    samples = shared_data / "dicom-samples"
    if not samples.exists():
        pytest.skip(f"{samples} is absent (set MEDDX_SHARED_DATA to the shared data folder)")
    bundle = tiny_image_bundle(tmp_path / "cxr", label_names=["normal", "finding"], decision={"threshold": 0.5},
                               training={})
    cut = tmp_path / "CT_small_cut.dcm"
    cut.write_bytes((samples / "CT_small.dcm").read_bytes()[:20_000])
    files = [*sorted(samples.glob("*.dcm")), cut]

    alone: dict[str, object] = {}
    for f in files:
        result = run_cli(["predict", str(bundle), str(f), "--json"], capsys)
        assert result.code in (0, 2) and "Traceback" not in result.err, (f, result.err)
        alone[str(f)] = json.loads(result.out)["probabilities"] if result.code == 0 else result.err.strip()

    together = run_cli(["predict", str(bundle), *map(str, files), "--json", "--skip-bad"], capsys)
    assert together.code == 1, together.err
    predicted = {row["source"]: row["probabilities"] for row in map(json.loads, together.out.splitlines())}
    skipped = dict(line[len("warning: skipped "):].split(": ", 1) for line in together.err.splitlines()
                   if line.startswith("warning: skipped "))
    assert set(predicted) == {f for f, v in alone.items() if isinstance(v, dict)}
    assert set(skipped) == {f for f, v in alone.items() if isinstance(v, str)}
    assert str(cut) in skipped and str(samples / "rtstruct.dcm") in skipped and len(predicted) >= 5
    for f, probabilities in predicted.items():
        assert probabilities == pytest.approx(alone[f], abs=1e-6)
    for f, reason in skipped.items():  # the reason predict gives for that file alone
        assert str(alone[f]).startswith("meddx: error: ") and reason in str(alone[f]), (reason, alone[f])
