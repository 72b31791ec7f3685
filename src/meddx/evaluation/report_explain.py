"""The report's "Explanations" section: how far each explanation method of this bundle can be
believed, from the faithfulness measurements ``meddx explain --evaluate`` stored in the bundle.

Rendered only when ``metrics["explanations"]`` exists (``evaluation.evaluate`` reads
``BUNDLE/explanations/faithfulness-*.json`` into it; see ``explain.evaluate``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from meddx.evaluation.report_format import _d, _e, _l, _num, _table

HOW = ("Measured with <code>meddx explain BUNDLE --evaluate --data SOURCE</code> on a sample of the named split. "
       "Deletion AUC: the probability of the explained class as the most important pixels, tokens or values are "
       "removed first (lower is better); insertion AUC: as they are put back first (higher is better); each next to "
       "the same curve for random orders, which a faithful map must beat. The randomisation check re-initialises "
       "the model's top layers: a method whose maps do not change explains the input, not the model, and fails. "
       "The pointing game is the share of maps whose peak falls inside the known lesion.")


def read_faithfulness(bundle: str | Path) -> list[dict[str, Any]]:
    """The faithfulness summaries stored in ``bundle/explanations`` (newest measurement per file)."""
    import json

    folder = Path(bundle) / "explanations"
    out = []
    for path in sorted(folder.glob("faithfulness-*.json")) if folder.is_dir() else []:
        try:
            report = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        out.append({"file": path.name, "data": report.get("data"), "split": report.get("split"),
                    "n": report.get("n"), "table": report.get("table", []),
                    "warnings": report.get("warnings", [])})  # e.g. measured on a split the bundle was fitted on
    return out


def explanations_body(m: dict) -> str | None:
    """HTML of the section body, or ``None`` when no measurement is stored."""
    parts = []
    for entry in _l(m.get("explanations")):
        entry = _d(entry)
        rows = []
        for row in _l(entry.get("table")):
            row = _d(row)
            sanity = {True: "passed", False: "FAILED", None: "—"}.get(row.get("randomisation_passed"), "—")
            pointing = row.get("pointing_game")
            rows.append([_e(row.get("method")), _num(row.get("deletion_auc"), 3), _num(row.get("random_deletion_auc"), 3),
                         _num(row.get("insertion_auc"), 3), _num(row.get("random_insertion_auc"), 3),
                         "—" if pointing is None else _num(pointing, 2), sanity, _num(row.get("milliseconds"), 1)])
        caption = (f"<p class=\"how\">{_num(entry.get('n'), 0)} inputs of the {_e(entry.get('split'))} split of "
                   f"{_e(Path(str(entry.get('data') or '')).name)} (<code>{_e(entry.get('file'))}</code>).</p>")
        warned = "".join(f"<p class=\"how\"><strong>Warning:</strong> {_e(w)}</p>"
                         for w in _l(entry.get("warnings")) if isinstance(w, str))
        parts.append(_table(["method", "deletion AUC ↓", "random", "insertion AUC ↑", "random", "pointing game",
                             "randomisation check", "ms / input"], rows) + caption + warned)
    return "".join(parts) or None
