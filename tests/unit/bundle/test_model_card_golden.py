"""The model card of built bundles, against golden copies, and its per-label calibration table.

``golden_cards/<task>/`` holds ``config.json`` and ``metrics.json`` of bundles built by ``meddx train``
(seed CNN, 2 epochs, on ``make_lesion_source`` / ``make_findings_source``; reliability bins dropped, the
card does not read them) and the ``model_card.md`` the code wrote before ``bundle.model_card`` was split
into ``card_*`` modules. The split must not change a byte (date and version aside); a multi-label card
gains only its table ``### Calibration per label`` (``bundle.card_label_calibration``), from the same
numbers ``calibration.per_label`` of metrics.json holds.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from meddx.bundle.model_card import render_model_card

GOLDEN = Path(__file__).parent / "golden_cards"
TABLE_HEAD = "### Calibration per label"


def _load(task: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    folder = GOLDEN / task
    return (json.loads((folder / "config.json").read_text()), json.loads((folder / "metrics.json").read_text()),
            (folder / "model_card.md").read_text())


def _undated(card: str) -> str:
    """The card without what changes from run to run: the meddx version and the date it was written."""
    return re.sub(r"Written by meddx \S+ on \d{4}-\d{2}-\d{2} ", "Written by meddx V on DATE ", card, count=1)


def _without_per_label(metrics: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(metrics)
    for split in ("val", "test"):
        out[split]["calibration"].pop("per_label", None)
    return out


def _table(card: str) -> list[str]:
    """The per-label table's lines, from its heading to the blank line after its rows (or note)."""
    lines = card.split("\n")
    start = lines.index(TABLE_HEAD)
    rows = lines.index("|---|---|---|---|---|---|", start)
    end = rows + 1
    while lines[end]:
        end += 1
    if lines[end + 1].endswith("metrics.json."):  # the note on labels not shown
        end += 2
    return lines[start:end + 1]


@pytest.mark.parametrize("task", ["binary", "multiclass"])
def test_binary_and_multiclass_cards_are_byte_identical_to_the_golden_ones(task: str) -> None:
    """Passes on the code before the split too, by design: it guards the split (and the new table) against
    changing any card that has no per-label calibration."""
    config, metrics, golden = _load(task)
    assert TABLE_HEAD not in golden
    assert _undated(render_model_card(config, metrics)) == _undated(golden)


def test_a_multilabel_card_without_per_label_reads_as_before() -> None:
    """A multi-label bundle evaluated before ``calibration.per_label`` existed: its card is unchanged."""
    config, metrics, golden = _load("multilabel")
    assert _undated(render_model_card(config, _without_per_label(metrics))) == _undated(golden)


def test_a_multilabel_card_adds_a_per_label_table_with_the_metrics_numbers_and_nothing_else() -> None:
    config, metrics, golden = _load("multilabel")
    card = render_model_card(config, metrics)
    table = _table(card)
    lines = card.split("\n")
    start = lines.index(TABLE_HEAD)
    assert _undated("\n".join(lines[:start] + lines[start + len(table):])) == _undated(golden)  # only the table
    assert lines[start - 2].startswith("The temperature was fitted on validation")  # right after Calibration
    assert "on the test split" in table[2]
    per_label, temperatures = metrics["test"]["calibration"]["per_label"], config["calibration"]["temperature"]
    expected = [f"| {name} | {e['observed_rate']:.3f} ({e['n_positive']} of {e['n']}) | {t:.3f} | "
                f"{e['before']['ece']:.3f} | {e['after']['ece']:.3f} | {e['after']['in_the_large']:+.3f} |"
                for (name, e), t in zip(per_label.items(), temperatures)]
    assert table[6:-1] == expected and len(expected) == len(config["label_names"]) == 2


def test_a_label_left_at_t_1_says_so_and_a_card_without_test_reads_val_as_optimistic() -> None:
    config, metrics, _ = _load("multilabel")
    config["calibration"]["not_fitted"] = ["dark"]
    config["calibration"]["temperature"][1] = 1.0
    metrics.pop("test")
    table = _table(render_model_card(config, metrics))
    assert "on the val split" in table[2] and "'after' numbers are optimistic" in table[2]
    assert table[6].startswith("| bright | ") and table[7].startswith("| dark | ")
    assert table[7].split(" | ")[2] == "T = 1 (not fitted)" and table[6].split(" | ")[2] != "T = 1 (not fitted)"


def test_a_card_without_temperature_says_not_recalibrated_and_many_labels_stop_at_20_rows() -> None:
    config, metrics, _ = _load("multilabel")
    entry = metrics["test"]["calibration"]["per_label"]["bright"]
    names = [f"label{j:02d}" for j in range(23)]
    config.update(label_names=names, calibration={"temperature": 1.0})  # calibrate: false
    metrics["test"]["calibration"]["per_label"] = {n: {**entry, "after": None} for n in names}
    table = _table(render_model_card(config, metrics))
    rows = [line for line in table if line.startswith("| label") and not line.startswith("| label |")]
    assert len(rows) == 20 and rows[-1].startswith("| label19 | ")
    assert rows[0].endswith(f"| none (not recalibrated) | {entry['before']['ece']:.3f} | n/a | n/a |")
    assert table[-2] == "3 more labels are not shown: see `calibration.per_label` in metrics.json."


def test_binary_metrics_with_a_per_label_block_get_no_table() -> None:
    """Only multi-label bundles have labels scored alone; the task decides, not the presence of the block."""
    config, _, golden = _load("binary")
    _, ml_metrics, _ = _load("multilabel")
    _, metrics, _ = _load("binary")
    metrics["test"]["calibration"]["per_label"] = ml_metrics["test"]["calibration"]["per_label"]
    assert _undated(render_model_card(config, metrics)) == _undated(golden)
