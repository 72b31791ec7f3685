"""Segmentation evaluation: predict each case on its original grid, score it, measure it.

One computation serves the end of ``meddx train`` and ``meddx evaluate``: per-case Dice, IoU,
HD95 and ASD in physical units (``seg_metrics``), means with bootstrap CIs clustered by
patient, the clinical measurement with its error in real units (head circumference in mm
against the reference; structure volumes in mL against the reference mask), overlays of the
worst and best cases, a per-case table and an HTML report.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import shutil
import time

import numpy as np

from meddx.core.errors import DataError
from meddx.core.files import write_json_atomic
from meddx.evaluation.seg_as_trained import check_seg_compatible

__all__ = ["SegEvalSettings", "check_seg_compatible", "evaluate_seg_bundle", "evaluate_split", "score_case",
           "scoring_seconds", "summarize_split", "write_outputs"]


@dataclass
class SegEvalSettings:
    """Bootstrap and output options of a segmentation evaluation."""

    n_resamples: int = 1000
    level: float = 0.95
    seed: int = 0
    overlays: int = 3  # worst and best cases drawn
    progress: bool = False


def evaluate_split(predictor: Any, source: Any, split: str, settings: SegEvalSettings | None = None,
                   out_dir: Path | None = None, *,
                   predicted: Sequence[Any] | None = None,
                   seen: Any = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Metrics of ``predictor`` on ``split`` of a segmentation source, and the per-case rows.

    With ``out_dir``, overlays of the worst and best cases are drawn into a staging folder
    ``out_dir/.overlays-new``; :func:`write_outputs` puts them in place of ``out_dir/overlays``
    once everything else is written (``metrics["overlays"]`` names their final paths). Every
    case must have a spacing, or none: distances in mm and in pixels are never mixed. Images and
    masks are read in the voxel orientation the bundle was trained on (``data.orientation``).

    ``predicted``: the predictor's outputs for the split's cases, in order and before
    post-processing (``predict_case(..., postprocess=False)`` with the predictor's passes, as
    choosing the passes on val holds them); they are post-processed and scored instead of
    predicting every case again, with the same numbers.

    ``seen``: a ``seg_seen_voxels.VoxelCheck`` shown each case as it is decoded, before its
    prediction (training cases re-saved under another file or id; it may raise ``LeakageError``).
    """
    from meddx.data.orientation import reading_for

    n = len(source.split(split))
    if predicted is not None and len(predicted) != n:
        raise DataError(f"evaluate_split: {len(predicted)} predictions given for the {n} cases of split {split!r}")
    with reading_for(predictor):
        return _evaluate_split(predictor, source, split, settings, out_dir, predicted, seen)


def _evaluate_split(predictor: Any, source: Any, split: str, settings: SegEvalSettings | None, out_dir: Path | None,
                    given: Sequence[Any] | None, seen: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """:func:`evaluate_split` within the bundle's reading orientation."""
    settings = settings or SegEvalSettings()
    data = source.split(split)
    rows: list[dict[str, Any]] = []
    predicted: dict[str, np.ndarray] = {}
    first: Any = None  # the first case, whose spacing (known or not) every other case must share
    for i in _indices(len(data), f"evaluating {split}", settings.progress):
        case = source.load_case(split, i)
        first = first or case
        _check_case(source, case, first)
        if seen is not None:
            seen.see(case, predictor)
        out = predictor.predict_case(case.image, case.spacing) if given is None else predictor.postprocess(given[i])
        predicted[case.id] = out.labels
        rows.append(score_case(predictor, case, out))
    groups = np.asarray(data.patient_ids) if data.patient_ids is not None else None
    spaced = first is not None and first.spacing is not None
    metrics = {"split": split, **summarize_split(predictor, source.spatial_dims, rows, groups, spaced, settings)}
    if out_dir is not None and settings.overlays > 0 and rows:
        staged = Path(out_dir) / STAGED_OVERLAYS
        shutil.rmtree(staged, ignore_errors=True)  # left by an evaluation that failed here
        try:
            drawn = _overlays(source, split, rows, predicted, predictor.label_names, staged, settings.overlays)
        except BaseException:
            shutil.rmtree(staged, ignore_errors=True)
            raise
        metrics["overlays"] = {k: [str(Path(out_dir) / "overlays" / Path(p).name) for p in v] for k, v in drawn.items()}
    return metrics, rows


def _check_case(source: Any, case: Any, first: Any) -> None:
    """``DataError`` for a case without a reference mask, or with a spacing where ``first`` has none
    (or the reverse)."""
    if case.mask is None:
        raise DataError(f"{case.image_path}: no reference mask; evaluation needs a labelled split")
    if (case.spacing is None) != (first.spacing is None):
        spaced, unspaced = (first, case) if case.spacing is None else (case, first)
        raise DataError(f"{source.origin}: case {unspaced.id} ({unspaced.image_path}) has no spacing (no header "
                        f"spacing, no pixel_size_mm) but case {spaced.id} has {spaced.spacing}; distances "
                        "would mix pixels and mm: give every case a spacing, or none")


def score_case(predictor: Any, case: Any, out: Any) -> dict[str, Any]:
    """One case's row: Dice, IoU, HD95, ASD and sizes per class, and (head-circumference bundles)
    the measured and reference circumference. The distances can take as long as the prediction."""
    from meddx.bundle.seg_predictor import soft_region
    from meddx.evaluation.measure import head_circumference_mm
    from meddx.evaluation.seg_metrics import case_metrics

    row: dict[str, Any] = {"id": case.id, "metrics": case_metrics(out.labels, case.mask, predictor.label_names,
                                                                  case.spacing)}
    if predictor.measurement == "head_circumference":
        # per-axis (row, column) spacing: non-square pixels are measured in mm along each axis
        row["hc_mm"] = (head_circumference_mm(soft_region(out, 1), tuple(case.spacing[-2:]), predictor.hc_method)
                        if case.spacing else None)
        row["hc_reference_mm"] = case.meta.get("reference_hc_mm")
    return row


def summarize_split(predictor: Any, spatial_dims: int, rows: list[dict[str, Any]], groups: np.ndarray | None,
                    spaced: bool, settings: SegEvalSettings) -> dict[str, Any]:
    """Means with bootstrap intervals of the rows' metrics, and of the measurement errors
    (head circumference in mm; structure volumes in mL for 3D with spacing)."""
    from meddx.evaluation.measure import measurement_errors
    from meddx.evaluation.seg_metrics import summarize_cases

    names = predictor.label_names
    boot = {"groups": groups, "n_resamples": settings.n_resamples, "level": settings.level, "seed": settings.seed}
    volume_unit = ("mL" if spatial_dims == 3 else "mm^2") if spaced else "voxels"
    metrics: dict[str, Any] = {"label_names": names, **summarize_cases(
        rows, names, **boot, distance_unit="mm" if spaced else "voxels", volume_unit=volume_unit)}
    measurement: dict[str, Any] = {}
    hc_ref = [r.get("hc_reference_mm") for r in rows]
    if predictor.measurement == "head_circumference" and rows and any(r is not None for r in hc_ref):
        measurement["head_circumference"] = measurement_errors([r.get("hc_mm") for r in rows], hc_ref, unit="mm",
                                                               **boot)
    elif spatial_dims == 3 and spaced:
        for name in names[1:]:
            pred = [r["metrics"][name].get("volume_pred") for r in rows]
            true = [r["metrics"][name].get("volume_true") for r in rows]
            measurement[f"volume_{name}"] = measurement_errors(pred, true, unit="mL", **boot)
    if measurement:
        metrics["measurement"] = measurement
    return metrics


def scoring_seconds(predictor: Any, spatial_dims: int, cases: Sequence[Any], outs: Sequence[Any], n_rows: int,
                    settings: SegEvalSettings, clock: Callable[[], float] = time.perf_counter) -> tuple[float, float]:
    """The part of an evaluation that no test-time pass changes, timed on a few cases: seconds per
    case to post-process and score (the distances can take as long as the prediction on 3D
    volumes), and seconds to summarise a split of ``n_rows`` cases (bootstrap intervals, timed on
    the scored rows repeated to that many). ``outs``: the cases' outputs before post-processing.
    With two cases or more the first is scored untimed: its imports and first calls are no part
    of the cost per case."""
    untimed = 1 if len(cases) > 1 else 0
    rows = [score_case(predictor, c, predictor.postprocess(o)) for c, o in zip(cases[:untimed], outs[:untimed])]
    start = clock()
    rows += [score_case(predictor, c, predictor.postprocess(o)) for c, o in zip(cases[untimed:], outs[untimed:])]
    scored = clock()
    per_case = (scored - start) / max(1, len(rows) - untimed)
    if rows:
        spaced = cases[0].spacing is not None
        summarize_split(predictor, spatial_dims, [rows[i % len(rows)] for i in range(n_rows)], None, spaced, settings)
    return per_case, clock() - scored


def evaluate_seg_bundle(bundle: str | Path, data: str, split: str = "test", out: str | Path | None = None, *,
                        settings: SegEvalSettings | None = None, report: bool = True) -> tuple[dict[str, Any], Path]:
    """Evaluate a segmentation bundle on ``split`` of ``data``; writes ``metrics.json``,
    ``cases.csv``, overlays and ``report.html`` to ``out`` (default
    ``BUNDLE/evaluations/SOURCE-SPLIT-<hash of the source's location and the options not at their
    defaults>``). Splits carved from
    train are carved as in training; cases the bundle trained on are refused on ``test`` and
    warned about on ``train``/``val`` (``seg_seen.check_unseen``; copies re-saved under another
    file or id by their decoded voxels, as each case is decoded, ``seg_seen_voxels``)."""
    from meddx.bundle.bundle import load_bundle
    from meddx.evaluation.output_dirs import evaluation_dir
    from meddx.evaluation.seg_as_trained import load_seg_as_trained
    from meddx.evaluation.seg_seen import check_unseen
    from meddx.evaluation.seg_seen_voxels import VoxelCheck
    from meddx.registry.store import resolve_bundle_path

    path = resolve_bundle_path(bundle)
    predictor = load_bundle(path)
    source, warnings = load_seg_as_trained(predictor, data)
    voxels = VoxelCheck(source, split)  # re-saved training cases, matched as evaluate_split decodes each case
    warnings = check_unseen(predictor, source, split, data, voxels=voxels) + warnings
    from meddx.evaluation.split_use import split_use_warning  # train/val: fitted or chosen on, not held out

    fitted = split_use_warning(predictor.config, data, split)
    warnings = ([fitted] if fitted else []) + warnings
    from dataclasses import asdict

    from meddx.evaluation.output_dirs import changed_options

    chosen = {k: v for k, v in asdict(settings or SegEvalSettings()).items() if k != "progress"}  # progress: shown only
    options = changed_options({**chosen, "report": report}, {**asdict(SegEvalSettings()), "report": True})
    out_dir = Path(out) if out else evaluation_dir(path, source.name, data, split, options)  # other options: own folder
    metrics, rows = evaluate_split(predictor, source, split, settings, out_dir, seen=voxels)
    metrics.update(bundle=str(path), data=str(data), notes=source.notes, warnings=warnings + voxels.warnings())
    target = write_outputs(out_dir, metrics, rows, predictor.label_names,
                           title=f"{predictor.name} on {source.name} ({split})" if report else None)
    return metrics, target


def write_outputs(out_dir: Path, metrics: dict[str, Any], rows: list[dict[str, Any]], label_names: list[str],
                  title: str | None) -> Path:
    """``cases.csv``, (with a ``title``) ``report.html``, the overlays staged by
    :func:`evaluate_split` and ``metrics.json`` in ``out_dir``. Each file is replaced
    atomically and the overlay folder as a whole, so a reused folder keeps no overlay, report
    or table of an earlier evaluation, and a failure before the end leaves the earlier files.
    The earlier overlays are moved aside, not deleted, until ``metrics.json`` is in place, and the
    earlier report (no ``title``) is removed after it: a run stopped in between never leaves the
    earlier ``metrics.json`` naming overlays that are gone."""
    from meddx.evaluation.seg_metrics import write_case_table

    out_dir.mkdir(parents=True, exist_ok=True)
    staged = out_dir / STAGED_OVERLAYS
    write_case_table(out_dir / "cases.csv", rows, label_names)
    if title:
        from meddx.evaluation.seg_report import write_seg_report

        drawn = metrics.get("overlays")
        if drawn and staged.is_dir():  # the report embeds the new pictures, not the ones they replace
            drawn = {k: [str(staged / Path(p).name) for p in v] for k, v in drawn.items()}
        write_seg_report(out_dir / "report.html", metrics, title=title, overlays=drawn)
    aside = _replace_overlays(out_dir, staged)
    target = write_json_atomic(out_dir / "metrics.json", metrics)
    shutil.rmtree(aside, ignore_errors=True)  # the earlier overlays: removed once the new summary is in place
    if not title:
        (out_dir / "report.html").unlink(missing_ok=True)  # an earlier evaluation's: it would contradict
    return target


STAGED_OVERLAYS = ".overlays-new"


def _replace_overlays(out_dir: Path, staged: Path) -> Path:
    """Put ``staged`` in place of ``out_dir/overlays`` (renames; the old folder is restored if
    the swap fails); without a staged folder, an old one is stale. Either way the old folder is
    moved to the returned ``.overlays-old``, for the caller to remove after ``metrics.json``."""
    final, old = out_dir / "overlays", out_dir / ".overlays-old"
    shutil.rmtree(old, ignore_errors=True)  # left by an evaluation stopped before its end
    if final.exists():
        final.rename(old)
    if not staged.is_dir():
        return old
    try:
        staged.rename(final)
    except OSError:
        if old.exists():
            old.rename(final)
        raise
    return old


def _overlays(source: Any, split: str, rows: list[dict[str, Any]], predicted: dict[str, np.ndarray],
              names: list[str], folder: Path, k: int) -> dict[str, list[str]]:
    from meddx.evaluation.seg_metrics import worst_and_best
    from meddx.evaluation.seg_overlays import overlay_png

    worst, best = worst_and_best(rows, k=k)
    index = {cid: i for i, cid in enumerate(source.split(split).ids)}
    out: dict[str, list[str]] = {"worst": [], "best": []}
    for kind, ids in (("worst", worst), ("best", best)):
        for cid in ids:
            case = source.load_case(split, index[cid])
            dice = next(r for r in rows if r["id"] == cid)["metrics"]
            mean = np.mean([dice[n]["dice"] for n in names[1:]])
            path = overlay_png(folder / f"{kind}-{cid}.png", case.image, case.mask, predicted[cid], names,
                               title=f"{cid}: mean Dice {mean:.3f}")
            out[kind].append(str(path))
    return out


def _indices(n: int, description: str, enabled: bool) -> Any:
    if not enabled:
        return range(n)
    from rich.progress import track

    return track(range(n), description=description, transient=True)
