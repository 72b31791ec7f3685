"""A Ctrl-C outside the epochs says on one line what is saved (``meddx.training.interrupt``).

Found by an audit: after the last epoch a Ctrl-C ended ``meddx train`` with a silent exit 130 (or a
traceback from the code it hit), saying neither whether the bundle was saved nor how to go on.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from meddx.training.fit import TrainingInterrupted
from meddx.training.interrupt import note, reporting_interrupts


def _interrupted(**facts: str) -> str:
    with pytest.raises(TrainingInterrupted) as caught:
        with reporting_interrupts():
            note(**facts)
            raise KeyboardInterrupt
    assert caught.value.exit_code == 130
    return str(caught.value)


def test_each_stage_names_what_is_saved_and_what_to_do(tmp_path: Path) -> None:
    run, bundle = str(tmp_path / "run"), str(tmp_path / "bundles" / "m" / "v1")
    assert _interrupted().endswith("nothing to resume: start the run again")
    assert _interrupted(resumable=run).endswith(f"resume with: meddx train --resume {run}")
    message = _interrupted(resumable=run, trained=run)
    assert "before the bundle was saved" in message and message.endswith(f"meddx train --resume {run}")
    assert f"meddx registry add {bundle}" in _interrupted(trained=run, bundle=bundle)
    assert _interrupted(trained=run, bundle=bundle, registered="m:1").endswith(
        f"nothing is lost: the bundle {bundle} is saved and registered as m:1")
    assert _interrupted(trained=run, bundle=bundle, registered="").endswith(f"the bundle {bundle} is saved")


def test_a_nested_block_shares_the_record_and_notes_outside_one_are_ignored(tmp_path: Path) -> None:
    note(bundle="nowhere")  # no block: nothing recorded, nothing raised
    with pytest.raises(TrainingInterrupted, match="registered as m:2"):
        with reporting_interrupts():  # the CLI around fit()
            with reporting_interrupts():  # fit()
                note(trained=str(tmp_path), bundle=str(tmp_path / "b"), registered="m:2")
            raise KeyboardInterrupt  # while the summary prints
