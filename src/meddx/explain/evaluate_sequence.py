"""Faithfulness of text and time-series explanations: deletion/insertion and randomisation.

The image measures (``explain.faithfulness``) work on any array with a baseline, so documents and
stays are cast as arrays whose features can be removed:

- a document is its token ids (the real positions, no padding); removing a token replaces its id
  by the padding id, whose embedding is zero, and keeps the sequence length (so a recurrent model
  still reads a contiguous sequence). Attributions are computed per id position.
- a stay is the set of (variable, hour) cells where something was observed; removing a cell drops
  those observations and re-scores the stay through the bundle's own preprocessing (binning or
  aggregates). Cells without observations carry no information and are not ranked.

The randomisation check re-initialises the top parameterised layers as for images; fitted trees
(gradient boosting) have no parameters to re-initialise, so it is reported as not applicable.
"""

from __future__ import annotations

import copy
import time
from dataclasses import replace
from typing import Any, Callable

import numpy as np
import torch


def evaluate_documents(predictor: Any, texts: list[str], targets: list[int], method: str, steps: int,
                       sanity_inputs: int) -> dict[str, Any]:
    """Per-document deletion/insertion over token positions, and the randomisation check."""
    from meddx.tasks.heads import probs_from_logits

    pad = int(predictor.tokenizer.pad_id)

    def attribute(net: Any, ids: torch.Tensor, mask: torch.Tensor, k: int, keep: list[int]) -> np.ndarray:
        real = int(mask[0].sum())
        if method == "attention":
            with torch.inference_mode():
                weights = net.attention(ids, mask)[0].float().numpy()
        else:
            from meddx.explain.text import _integrated_gradients

            weights, _ = _integrated_gradients(net, ids, mask, k, pad, 32, keep=keep)  # the map explain shows
        return np.asarray(weights, dtype=np.float64)[:real]

    def scorer(k: int) -> Callable[[np.ndarray], np.ndarray]:
        @torch.inference_mode()
        def score(batch: np.ndarray) -> np.ndarray:
            ids = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.int64))
            logits = predictor.net(ids, torch.ones_like(ids))
            return probs_from_logits(logits.float(), predictor.task)[:, k].numpy()
        return score

    from meddx.explain.text import special_positions

    items = []
    for text, k in zip(texts, targets):
        row, row_mask, _, positions, _ = predictor.tokenizer.encode_explained(text, max_length=predictor.max_length)
        ids, mask = torch.from_numpy(row), torch.from_numpy(row_mask)
        real = int(mask[0].sum())
        keep = special_positions(row_mask, positions)
        items.append((ids[0, :real].numpy(), lambda net, ids=ids, mask=mask, k=k, keep=keep:
                      attribute(net, ids, mask, k, keep), scorer(k), pad))
    return _evaluate(predictor.net, items, steps, sanity_inputs)


def evaluate_stays(predictor: Any, records: list[Any], targets: list[int], method: str, steps: int,
                   sanity_inputs: int) -> dict[str, Any]:
    """Per-stay deletion/insertion over observed (variable, hour) cells, and the randomisation check."""
    from meddx.explain.series import hours_of, series_attributions

    n_hours = hours_of(predictor)
    items = []
    for record, k in zip(records, targets):
        hours = np.clip(np.floor(record.times).astype(int), 0, n_hours - 1)
        cell_of = record.variables.astype(np.int64) * n_hours + hours
        cells = np.unique(cell_of)
        if len(cells) < 2:
            continue  # nothing to rank

        def attribute(net: Any, record: Any = record, k: int = k, cells: np.ndarray = cells) -> np.ndarray:
            p = predictor if net is predictor.net else _with_net(predictor, net)
            return series_attributions(p, record, method, k).reshape(-1)[cells]

        def score(batch: np.ndarray, record: Any = record, k: int = k, cells: np.ndarray = cells,
                  cell_of: np.ndarray = cell_of) -> np.ndarray:
            variants = []
            for row in batch:
                keep = np.isin(cell_of, cells[row > 0.5])
                variants.append(replace(record, times=record.times[keep], variables=record.variables[keep],
                                        values=record.values[keep]))
            return predictor.predict_records(variants, calibrated=False)[:, k]

        items.append((np.ones(len(cells), dtype=np.float32), attribute, score, 0.0))
    return _evaluate(predictor.net, items, steps, sanity_inputs)


def _with_net(predictor: Any, net: Any) -> Any:
    other = copy.copy(predictor)
    other.net = net
    return other


def _evaluate(net: Any, items: list[tuple], steps: int, sanity_inputs: int) -> dict[str, Any]:
    from meddx.explain.faithfulness import (_parameterised_layers, deletion_insertion, randomisation_check, summarise,
                                            top_layers)

    results, times, sanity = [], [], []
    can_randomise = bool(_parameterised_layers(net))
    for j, (x, attribute, score, baseline) in enumerate(items):
        start = time.perf_counter()
        attribution = attribute(net)
        times.append(time.perf_counter() - start)
        results.append(deletion_insertion(score, x, attribution, baseline=baseline, steps=steps))
        if j < sanity_inputs and can_randomise:
            sanity.append(randomisation_check(attribute, net, layers=top_layers(net, 2)))
    out: dict[str, Any] = {"faithfulness": summarise(results),
                           "milliseconds_per_input": round(1000 * float(np.median(times)), 2) if times else None,
                           "n": len(results)}
    if sanity:
        rho = [s["spearman"] for s in sanity]
        out["randomisation"] = {"spearman_median": round(float(np.median(rho)), 4), "spearman": rho,
                                "passed": bool(all(s["passed"] for s in sanity)), "threshold": sanity[0]["threshold"],
                                "layers_randomised": sanity[0]["layers_randomised"]}
    elif not can_randomise:
        out["randomisation"] = {"passed": None, "note": "not applicable: the model has no trainable parameters "
                                                        "(fitted trees)"}
    return out
