"""The record each finished fold of ``meddx cv`` leaves, so that ``meddx cv --resume`` reuses the fold.

A fold's bundle (``foldK/``) is written whole or not at all (``bundle.save_bundle`` builds it in a
hidden sibling and renames it into place), but ``cv.json`` needs more than the bundle: the fold's
out-of-fold predictions exactly as training computed them (probabilities, ranking scores, the
bundled baseline's), its decisions and its ``cv.json`` entry. Predicting again from the bundle would
not give the same bits (nor the baseline's), so once a fold is done they are written to
``cv_folds/foldK.npz`` (numbers in their own dtypes, no pickle; a JSON part for the rest), atomically.

A resume reuses a fold when its record reads back, its bundle loads, and the bundle's weights and
config are those the record was written beside (SHA-256). Any other fold is trained again: what it
left (a bundle without a record, a damaged one) is removed first. A fold whose training was itself
interrupted goes on from its last finished epoch, through training's own resume of its run folder
under ``MEDDX_HOME/runs`` (:mod:`meddx.evaluation.cv_fold_runs`), or, when that run cannot be taken up
(a damaged ``last.ckpt``, other settings or data), restarts from its first epoch with a line saying why.
A fold interrupted after its run saved the bundle but before its record was written keeps the bundle:
its held-out part is predicted again from it (with the predictor training predicted it with, on the
same weights: the same bits, checked for tables and documents with their baseline) and recorded.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import shutil
import zipfile
from dataclasses import dataclass
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

RECORDS = "cv_folds"


@dataclass
class FoldOutcome:
    """What ``cv.json`` and ``oof_predictions.csv`` take from one finished fold."""

    entry: dict[str, Any]  # its cv.json entry (without ``missing_classes``, added from the folds)
    warnings: list[str]  # its metrics.json warnings
    preds: Any  # SplitPredictions of its held-out part
    decided: list[str]  # the bundle's decision for each held-out row
    deciding: np.ndarray  # scores whose argmax is its multi-class decision (cv._deciding_scores)
    weighted: bool = False  # decided by argmax p_k·w_k with its own class weights
    baseline: Any = None  # the bundled baseline's SplitPredictions of the held-out part, when fitted
    base_deciding: np.ndarray | None = None
    base_weighted: bool = False


def record_path(out_dir: Path, k: int) -> Path:
    return Path(out_dir) / RECORDS / f"fold{k}.npz"


def fold_bundle(out_dir: Path, k: int) -> Path:
    """Fold ``k``'s bundle folder, ``out_dir/foldK`` (as ``out_dir`` is given: cv.json's ``bundle``)."""
    return Path(out_dir) / f"fold{k}"


def bundle_digest(bundle: str | Path) -> str:
    """SHA-256 of a bundle's weights and config: what a fold record was written beside."""
    h = hashlib.sha256()
    for name in ("weights.safetensors", "config.json"):
        h.update((Path(bundle) / name).read_bytes())
    return h.hexdigest()


def save_fold(out_dir: Path, k: int, fold: FoldOutcome) -> Path:
    """Write fold ``k``'s record atomically (after its bundle: a record always has its bundle)."""
    from meddx.core.files import to_json, write_bytes_atomic

    arrays: dict[str, np.ndarray] = {}
    meta: dict[str, Any] = {"entry": fold.entry, "warnings": fold.warnings, "decided": fold.decided,
                            "weighted": fold.weighted, "base_weighted": fold.base_weighted,
                            "bundle_sha256": bundle_digest(fold.entry["bundle"])}
    for prefix, preds in (("", fold.preds), ("baseline_", fold.baseline)):
        if preds is None:
            continue
        meta[f"{prefix}preds"] = {"split": preds.split, "ids": list(preds.ids),
                                  "patient_ids": None if preds.patient_ids is None else list(preds.patient_ids)}
        arrays.update({f"{prefix}labels": np.asarray(preds.labels), f"{prefix}probs": np.asarray(preds.probs)})
        if preds.scores is not None:
            arrays[f"{prefix}scores"] = np.asarray(preds.scores)
    arrays["deciding"] = np.asarray(fold.deciding)
    if fold.base_deciding is not None:
        arrays["base_deciding"] = np.asarray(fold.base_deciding)
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.frombuffer(to_json(meta).encode("utf-8"), dtype=np.uint8), **arrays)
    return write_bytes_atomic(record_path(out_dir, k), buffer.getvalue())


def load_fold(out_dir: Path, k: int) -> FoldOutcome | None:
    """Fold ``k``'s outcome when it can be reused (see the module docstring), else ``None``."""
    from meddx.bundle.bundle import load_bundle
    from meddx.core.errors import MeddxError

    path = record_path(out_dir, k)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
        meta = json.loads(arrays.pop("meta").tobytes().decode("utf-8"))
        # the bundle beside the record, not the path it recorded: that was written from the first run's
        # folder (a relative --out), and a resume may run from another
        bundle = fold_bundle(out_dir, k)
        if bundle_digest(bundle) != meta["bundle_sha256"]:
            return None
        load_bundle(bundle)  # loadable, as meddx predict would load it
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile, MeddxError):  # damaged: trained again
        return None
    meta["entry"]["bundle"] = str(bundle)  # as this resume names the folder, like the folds it trains
    return FoldOutcome(entry=meta["entry"], warnings=list(meta["warnings"]), preds=_preds(meta["preds"], arrays, ""),
                       decided=list(meta["decided"]), deciding=arrays["deciding"], weighted=bool(meta["weighted"]),
                       baseline=_preds(meta["baseline_preds"], arrays, "baseline_") if "baseline_preds" in meta else None,
                       base_deciding=arrays.get("base_deciding"), base_weighted=bool(meta["base_weighted"]))


def clear_fold(out_dir: Path, k: int) -> list[str]:
    """Remove what fold ``k`` left that cannot be reused (its record, a bundle without a usable
    record, the hidden folder of a bundle save cut off by a crash: ``save_bundle`` writes ``.foldK-*``
    and renames it), before it trains again; returns what was removed, for the user."""
    removed = []
    unsaved = sorted(Path(out_dir).glob(f".fold{k}-*"))
    for path in (record_path(out_dir, k), Path(out_dir) / f"fold{k}", *unsaved):
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
        else:
            continue
        removed.append(str(path))
    return removed


def fold_outcomes(n: int, out_dir: Path, plan: dict[str, Any] | None, say: Callable[[str], None],
                  train: Callable[[int, Any], FoldOutcome],
                  same_data: Callable[[int, Path], None] | None = None) -> list[FoldOutcome]:
    """The outcome of each of ``n`` folds: on a resume (``plan``: its ``cv_plan.json``), a finished
    fold's from its record; any other fold trained now (``train(k, run)``: ``run`` its interrupted
    training run to go on from, a ``cv_fold_runs.FoldRun`` (its ``saved`` bundle, when set, only predicts
    the fold's held-out part again), or ``None`` to train from the first epoch), then recorded.
    ``same_data(k, run)`` raises a ``MeddxError`` when ``run`` was not trained on fold ``k``'s data.
    An interruption names the command that resumes the run."""
    from meddx.core.errors import MeddxError
    from meddx.evaluation import cv_plan
    from meddx.evaluation.cv_fold_runs import retarget
    from meddx.training.fit import TrainingInterrupted

    kept = {k: load_fold(out_dir, k) for k in range(n)} if plan is not None else {}
    runs: dict[int, tuple[Any, str | None]] = {}
    if plan is not None:
        runs = {k: _fold_run(out_dir, k, plan, same_data) for k in range(n) if kept[k] is None}
        saved = [k for k, (run, _) in runs.items() if run is not None and run.saved is not None]
        reused = sorted([k for k in range(n) if kept[k] is not None] + saved)
        going_on = {k: run for k, (run, _) in runs.items() if run is not None and run.saved is None}
        cv_plan.note_resume(out_dir, plan, reused, [k for k in range(n) if k not in reused], going_on, saved)
        whose = "its" if len(going_on) == 1 else "their"
        say(f"resuming {out_dir}: {len(reused)} of {n} folds finished and reused"
            + (f" ({len(saved)} predicted again from {'its' if len(saved) == 1 else 'their'} saved bundle)"
               if saved else "") + f", {n - len(reused)} to train"
            + (f" ({len(going_on)} going on from {whose} last finished epoch)" if going_on else ""))
    outcomes: list[FoldOutcome] = []
    epochs_kept: str | None = None
    try:
        for k in range(n):
            outcome = kept.get(k)
            if outcome is not None:
                say(f"  fold {k}: reused ({out_dir / f'fold{k}'})")
                outcomes.append(outcome)
                continue
            run, why = runs.get(k, (None, None))
            if plan is not None:
                removed = [] if run is not None and run.saved else clear_fold(out_dir, k)  # a bundle without its record
                head = run.line(k) if run is not None else f"  fold {k}: training" + (
                    f" from its first epoch: {why}" if why else "")
                say(head + (f" (removed what its interrupted run left: {', '.join(removed)})" if removed else ""))
                if run is not None and run.moved_from is not None:
                    retarget(run.path, out_dir, k)  # its bundle into this folder, not the one it was moved from
            try:
                try:
                    outcome = train(k, run)
                except (MeddxError, OSError, ValueError) as exc:  # a damaged bundle or metrics.json
                    if run is None or run.saved is None:
                        raise
                    removed = clear_fold(out_dir, k)  # the saved bundle does not predict: trained again
                    if plan is not None:  # a saved bundle is only found on a resume
                        cv_plan.note_retrained(out_dir, plan, k)  # not predicted again, as note_resume recorded
                    say(f"  fold {k}: training from its first epoch: its saved bundle {run.saved} could not predict "
                        f"its held-out part ({type(exc).__name__}; removed {', '.join(removed)})")
                    outcome = train(k, None)
                save_fold(out_dir, k, outcome)  # a Ctrl-C before its record is written: the saved bundle is kept
            except (TrainingInterrupted, KeyboardInterrupt):  # not `meddx train --resume` of the fold's run
                from meddx.evaluation.cv_fold_runs import interrupted_fold_note

                epochs_kept = interrupted_fold_note(out_dir, k)  # what a resume goes on from
                kept_text = "; ".join([*([f"{k} finished fold(s) kept in {out_dir}"] if k or plan is not None else []),
                                       *([epochs_kept] if epochs_kept else [])])
                raise TrainingInterrupted(f"cross-validation interrupted in fold {k} (folds 0 to {n - 1}; "
                                          + (f"{kept_text}); resume with: meddx cv --resume {out_dir}" if kept_text
                                             else "none finished, nothing kept); run it again")) from None
            outcomes.append(outcome)
    except BaseException:
        if plan is None and not outcomes and not epochs_kept:  # nothing to resume: the folder is left empty
            with contextlib.suppress(OSError):
                (Path(out_dir) / cv_plan.PLAN_FILE).unlink()
        raise
    return outcomes


def _fold_run(out_dir: Path, k: int, plan: dict[str, Any],
              same_data: Callable[[int, Path], None] | None) -> tuple[Any, str | None]:
    """Fold ``k``'s interrupted run to go on from (``cv_fold_runs.FoldRun``), or ``None`` and why not."""
    from meddx.core.errors import MeddxError
    from meddx.evaluation.cv_fold_runs import resumable_fold_run

    run, why = resumable_fold_run(out_dir, k, plan.get("config") or {}, plan.get("runs"))
    if run is not None and same_data is not None:
        try:
            same_data(k, run.path)
        except MeddxError:  # its message names the data file: the fold's line names the run instead
            return None, f"its run {run.path} was trained on other samples than this fold's (its data.json)"
    return run, why


@contextlib.contextmanager
def pooling_interrupts(out_dir: Path, n: int) -> Iterator[None]:
    """A Ctrl-C once every fold is trained (while the folds are pooled, bootstrapped and ``cv.json``
    written) names the resume, which reuses every fold and only pools them."""
    from meddx.training.fit import TrainingInterrupted

    try:
        yield
    except KeyboardInterrupt:
        raise TrainingInterrupted(f"cross-validation interrupted after its {n} folds were trained, before cv.json "
                                  f"was written; every fold is kept in {out_dir}; resume with: meddx cv --resume "
                                  f"{out_dir} (it reuses the folds and only pools them)") from None


def _preds(meta: dict[str, Any], arrays: dict[str, np.ndarray], prefix: str) -> Any:
    from meddx.evaluation.evaluate import SplitPredictions

    return SplitPredictions(split=meta["split"], ids=list(meta["ids"]), labels=arrays[f"{prefix}labels"],
                            probs=arrays[f"{prefix}probs"], patient_ids=meta["patient_ids"],
                            scores=arrays.get(f"{prefix}scores"))
