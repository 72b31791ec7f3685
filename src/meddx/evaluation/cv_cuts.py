"""Cross-validation folds whose last epoch the time limit cut (``meddx cv --time-budget``).

Each fold trains like ``meddx train``: Lightning's ``max_time`` (1.25x the budget) may stop an epoch
before its last batch, and the fold's ``trainer.json`` records it (``cut_epoch``, see
``training.fit.epoch_cut_short``). ``meddx train`` warns of it; ``meddx cv`` said nothing and
``cv.json`` recorded nothing, so a fold scored on a network stopped mid-schedule looked like the
others. ``cv.json`` now records each fold's cut epochs and the folds cut, and ``meddx cv`` warns.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def fold_cuts(run_dir: Any) -> list[dict[str, Any]]:
    """The cut epochs of one fold's run: ``[{"network", "networks", "epoch", "batches", "of"}]``
    (``network`` counted from 1 of ``networks``: an ensemble's networks each have their own), empty
    when none was cut or the run folder is unknown."""
    if run_dir is None:
        return []
    from meddx.training.members import cut_networks

    return [{"network": number, "networks": total, **cut} for number, total, cut in cut_networks(Path(str(run_dir)))]


def cut_folds(per_fold: list[dict[str, Any]]) -> list[int]:
    """The folds (as ``cv.json`` numbers them, from 0) whose training the time limit cut mid-epoch."""
    return [int(f["fold"]) for f in per_fold if f.get("cut_epochs")]


def cut_folds_warning(summary: dict[str, Any]) -> str | None:
    """One line naming the folds (and, in an ensemble, the networks) whose last epoch the time limit
    cut, for ``meddx cv``; ``None`` when none was (or ``cv.json`` predates the record)."""
    from meddx.training.run import cut_epoch_text

    parts = []
    for fold in summary.get("folds") or []:
        for cut in fold.get("cut_epochs") or []:
            who = f"network {cut.get('network')} of {cut['networks']}: " if (cut.get("networks") or 1) > 1 else ""
            text = cut_epoch_text(cut, limit="")
            if text:
                parts.append(f"fold {fold['fold']} ({who}{text.strip()})")
    if not parts:
        return None
    return (f"warning: the time limit (1.25x --time-budget) stopped training mid-epoch in {'; '.join(parts)}; "
            "those folds kept their best validation epoch of a schedule not run to its end, so their scores "
            "may be lower than a whole run's; a longer --time-budget trains whole epochs")
