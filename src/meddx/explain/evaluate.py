"""``meddx explain BUNDLE --data SOURCE --evaluate``: how far each method's maps can be believed.

Over a seeded sample of a split, for every method: deletion and insertion AUC of the explained
class's probability as the most important pixels are removed (set to 0, the training mean after
the bundle's normalisation) or put back -- for documents the most important tokens, for stays the
most important observed (variable, hour) cells (``explain.evaluate_sequence``) -- next to the same curves for random
orders (``explain.faithfulness``); the pointing game when lesion masks are given; and the
cascading model-parameter randomisation check on the first few inputs. The summary goes to
``BUNDLE/explanations/faithfulness-SOURCE-SPLIT.json`` (a new run replaces it), or to
``faithfulness-SOURCE-SPLIT.json`` in the folder given (``--out``), where an earlier report is
refused before any work, and never replaced, unless ``overwrite``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from meddx.core.errors import ConfigError


def evaluate_explanations(bundle: Any, data: str, *, split: str = "test", methods: Sequence[str] = ("all",),
                          n: int = 50, seed: int = 0, steps: int = 20, sanity_inputs: int = 5,
                          masks: dict[str, np.ndarray] | None = None, pointing_class: str | None = None,
                          out: str | Path | None = None, options: dict[str, Any] | None = None,
                          folder: str | Path | None = None, overwrite: bool = False) -> tuple[dict[str, Any], Path]:
    """Faithfulness per method over ``n`` samples of ``split``; returns the summary and its path:
    ``out`` (a file, replaced), else ``folder/faithfulness-SOURCE-SPLIT.json`` (never over an
    earlier report unless ``overwrite``: ``ConfigError`` before any work), else the bundle's
    ``explanations/`` folder.

    ``masks`` (sample id -> boolean mask at the model's input size) enables the pointing game,
    scored on the inputs whose explained class is ``pointing_class`` (default: the positive class
    of a binary bundle, else every class), since a mask marks where one finding is.
    """
    from meddx.data.carve_groups import carving_options
    from meddx.data.sources import load_source
    from meddx.explain.api import as_predictor, resolve_methods, target_index

    predictor = as_predictor(bundle)
    if predictor.task == "segmentation":
        raise ConfigError(f"bundle {predictor.name!r}: --evaluate measures classifiers (images, text, series)")
    chosen = resolve_methods(predictor, list(methods))
    training = predictor.config.get("training", {})
    source = load_source(data, **carving_options(training), carve_val=split == "val",
                         text_options=training.get("text_options"),
                         options=training.get("source_options"))
    path, exclusive = _report_path(predictor, source.name, split, out, folder, overwrite)  # before the work
    split_data = source.split(split)
    rng = np.random.default_rng(seed)
    picks = sorted(rng.choice(len(split_data), size=min(n, len(split_data)), replace=False).tolist())
    modality = predictor.config.get("modality")
    if modality in ("text", "series"):
        report = _evaluate_sequences(predictor, source, split, chosen, picks, seed, steps, sanity_inputs, data)
        return report, _write_report(path, _with_warnings(report, predictor, data, split), exclusive)
    from meddx.data.orientation import reading_for

    with reading_for(predictor):  # volumes in the orientation the bundle was trained on
        x = predictor.preprocess([source.get_image(split, i) for i in picks])
    probs = predictor.predict_tensor(x)
    targets = [target_index(predictor, p, None) for p in probs]
    report: dict[str, Any] = {"bundle": str(predictor.path), "data": str(data), "split": split, "n": len(picks),
                              "seed": seed, "steps": steps, "methods": {},
                              "settings": {"baseline": baseline_note(predictor),
                                           "order": "most important first; ties in array order",
                                           "sanity_inputs": sanity_inputs}}
    if "occlusion" in chosen:  # the cube used (``--window``/``--stride`` or the default), beside the scores
        from meddx.explain.api import occlusion_plan

        report["settings"]["occlusion"] = occlusion_plan(tuple(x.shape[2:]), (options or {}).get("window"),
                                                         (options or {}).get("stride"))
    names = list(predictor.label_names)
    if pointing_class is not None and pointing_class not in names:
        raise ConfigError(f"pointing class {pointing_class!r} is not one of {', '.join(names)}")
    point_at = names.index(pointing_class) if pointing_class else (1 if predictor.task == "binary" else None)
    for method in chosen:
        report["methods"][method] = _evaluate_method(predictor, x, targets, method, picks, split_data.ids, steps,
                                                     sanity_inputs, masks, point_at, options or {})
    report["table"] = _table(report["methods"])
    return report, _write_report(path, _with_warnings(report, predictor, data, split), exclusive)


def baseline_note(predictor: Any) -> str:
    """What the removed pixels are set to: 0 after the bundle's normalisation, its mean. That is the
    training images' mean, except where the normalisation is fixed at 0.5 +- 0.5 without looking at
    them (differentially private and federated bundles: mid-grey), which the report said was the
    training mean too."""
    mean = getattr(getattr(predictor, "preprocessor", None), "mean_", None)
    fixed = bool(predictor.config.get("privacy") or predictor.config.get("federated"))
    what = "fixed, not fitted on the training images" if fixed else "the training mean"
    if mean is None:
        return f"0 after the bundle's normalisation ({what})"
    values = ", ".join(f"{float(m):.3g}" for m in mean)
    return f"0 after the bundle's normalisation: intensity {values} of the image scaled to [0, 1] ({what})"


def _with_warnings(report: dict[str, Any], predictor: Any, data: str, split: str) -> dict[str, Any]:
    """``report`` with ``warnings``: on the training source's train or val split, that it is not held
    out (``evaluation.split_use``, as ``meddx evaluate`` says): the weights were fitted there and the
    explained class is decided by a threshold (and temperature, checkpoint) chosen there, so the
    scores describe inputs the bundle has seen."""
    from meddx.evaluation.split_use import split_use_warning

    fitted = split_use_warning(predictor.config, data, split)
    report["warnings"] = [fitted] if fitted else []
    return report


def _report_path(predictor: Any, source_name: str, split: str, out: str | Path | None, folder: str | Path | None,
                 overwrite: bool) -> tuple[Path, bool]:
    """Where the report goes and whether it is written exclusively; a report already in ``folder``
    is refused here, before the minutes of work, unless ``overwrite``."""
    name = f"faithfulness-{source_name}-{split}.json"
    if out:
        return Path(out), False
    if folder is None:
        return Path(predictor.path) / "explanations" / name, False
    from meddx.explain.outputs import refuse_taken

    refuse_taken(Path(folder), [Path(folder) / name], "--out", overwrite)
    return Path(folder) / name, not overwrite


def _write_report(path: Path, report: dict[str, Any], exclusive: bool) -> Path:
    """Write the report atomically; exclusively, it never replaces one that appeared meanwhile."""
    from meddx.core.files import to_json, write_text_atomic
    from meddx.explain.outputs import appeared

    try:
        return write_text_atomic(path, to_json(report), exclusive=exclusive)
    except FileExistsError:
        raise appeared("--out", path, 0, during="the faithfulness was measured") from None


def _evaluate_sequences(predictor: Any, source: Any, split: str, methods: list[str], picks: list[int], seed: int,
                        steps: int, sanity_inputs: int, data: str) -> dict[str, Any]:
    """Documents (token positions) and stays (observed variable x hour cells): see
    ``explain.evaluate_sequence``."""
    from meddx.explain.api import target_index
    from meddx.explain.evaluate_sequence import evaluate_documents, evaluate_stays

    split_data = source.split(split)
    if predictor.config.get("modality") == "text":
        inputs = [split_data.texts[i] for i in picks]
        probs, measure = predictor.predict_texts(inputs), evaluate_documents
        removal = "token id replaced by the padding id (zero embedding), length kept"
    else:
        inputs = [split_data.records[i] for i in picks]
        probs, measure = predictor.predict_records(inputs), evaluate_stays
        removal = "all observations of a (variable, hour) cell dropped, stay re-scored through the bundle"
    targets = [target_index(predictor, p, None) for p in probs]
    report: dict[str, Any] = {"bundle": str(predictor.path), "data": str(data), "split": split, "n": len(picks),
                              "seed": seed, "steps": steps, "methods": {},
                              "settings": {"removal": removal, "order": "most important first; ties in array order",
                                           "sanity_inputs": sanity_inputs}}
    for method in methods:
        report["methods"][method] = measure(predictor, inputs, targets, method, steps, sanity_inputs)
    report["table"] = _table(report["methods"])
    return report


def _score(net: Any, task: str, target: int) -> Any:
    from meddx.tasks.heads import probs_from_logits

    @torch.inference_mode()
    def score(batch: np.ndarray) -> np.ndarray:
        logits = net(torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32)))
        return probs_from_logits(logits.float(), task)[:, target].numpy()  # type: ignore[arg-type]

    return score


def _evaluate_method(predictor: Any, x: torch.Tensor, targets: list[int], method: str, picks: list[int],
                     ids: list[str], steps: int, sanity_inputs: int, masks: dict[str, np.ndarray] | None,
                     point_at: int | None, options: dict[str, Any]) -> dict[str, Any]:
    from meddx.explain.faithfulness import deletion_insertion, pointing_game, randomisation_check, summarise
    from meddx.explain.image import image_attributions

    net = predictor.net
    results, hits, times, sanity = [], [], [], []
    for j in range(len(picks)):
        xj = x[j:j + 1]
        start = time.perf_counter()
        attribution = image_attributions(net, xj, method, targets[j], **options)[0]
        times.append(time.perf_counter() - start)
        results.append(deletion_insertion(_score(net, predictor.task, targets[j]), xj[0].numpy(), attribution,
                                          steps=steps))
        mask = (masks or {}).get(ids[picks[j]])
        if mask is not None and mask.any() and point_at in (None, targets[j]):
            hits.append(pointing_game(attribution, mask))
        if j < sanity_inputs:
            sanity.append(randomisation_check(
                lambda m, xj=xj, k=targets[j]: image_attributions(m, xj, method, k, **options)[0], net))
    out: dict[str, Any] = {"faithfulness": summarise(results),
                           "milliseconds_per_input": round(1000 * float(np.median(times)), 2)}
    if hits:
        out["pointing_game"] = {"hits": int(sum(hits)), "n": len(hits), "rate": round(float(np.mean(hits)), 4)}
    if sanity:
        rho = [s["spearman"] for s in sanity]
        out["randomisation"] = {"spearman_median": round(float(np.median(rho)), 4), "spearman": rho,
                                "passed": bool(all(s["passed"] for s in sanity)), "threshold": sanity[0]["threshold"],
                                "layers_randomised": sanity[0]["layers_randomised"]}
    return out


def _table(methods: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per method: mean deletion/insertion AUC (lower/higher is better), random reference,
    pointing game, sanity check and time."""
    rows = []
    for name, m in methods.items():
        f = m["faithfulness"]
        rows.append({"method": name, "deletion_auc": f["deletion_auc"]["mean"], "insertion_auc": f["insertion_auc"]["mean"],
                     "random_deletion_auc": f["random_deletion_auc"]["mean"],
                     "random_insertion_auc": f["random_insertion_auc"]["mean"],
                     "pointing_game": (m.get("pointing_game") or {}).get("rate"),
                     "randomisation_passed": (m.get("randomisation") or {}).get("passed"),
                     "milliseconds": m["milliseconds_per_input"]})
    return rows
