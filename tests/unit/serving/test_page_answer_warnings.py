"""The web page shows what an answer says about its input: ``typicality_warning``,
``channels_warning``, ``empty_stay_warning`` and ``notes``, as text, never HTML.

Found open at stop 48: the page drew the label and the probabilities and dropped every warning, so
a clinician on the page never learnt that an upload was unlike the training images or that a
row held a value far outside the training range. The page's script runs here in node on a
minimal DOM whose ``innerHTML`` refuses to be set (the page inserts everything as text).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

import meddx.serving
from meddx.serving.summary import model_summary

APP_JS = Path(meddx.serving.__file__).parent / "static" / "app.js"
pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is needed to run the page's script")

# showResult(model, answer) for each call, then the #warnings list: hidden, and each item's text.
_RUNNER = """
const fs = require("fs"), vm = require("vm");
const text = (n) => (n.textContent || "") + n.children.map(text).join("");
function node() {
  return { children: [], textContent: "", hidden: false, style: {}, className: "", nodes: {},
    appendChild(c) { this.children.push(c); return c; }, replaceChildren(...c) { this.children = c; },
    querySelector(s) { return this.nodes[s] || (this.nodes[s] = node()); },
    set innerHTML(v) { throw new Error("innerHTML set to " + v); } };
}
const byId = {};
const ctx = { console, sessionStorage: { getItem: () => null }, URL: { createObjectURL: () => "blob:" },
  document: { addEventListener() {}, createElement: node, createTextNode: (t) => ({ children: [], textContent: t }),
              getElementById: (id) => byId[id] || (byId[id] = node()),
              querySelector: (s) => byId[s] || (byId[s] = node()) } };
vm.createContext(ctx);
vm.runInContext(fs.readFileSync(process.argv[process.argv.length - 1], "utf8")
                + "\\nthis.showResult = showResult; this.renderCard = renderCard;", ctx);
const input = JSON.parse(fs.readFileSync(0, "utf8"));
const shown = [];
for (const [m, r] of input.calls) {
  ctx.showResult(m, r);
  const list = byId["warnings"];
  shown.push({ hidden: list.hidden, items: list.children.map(text) });
}
let card = null;
if (input.card) { byId["card"] = node(); ctx.renderCard(input.card); card = text(byId["card"]); }
console.log(JSON.stringify({ shown, card }));
"""

IMAGE_MODEL = {"name": "lesions", "modality": "image", "task": "binary", "explain_methods": []}
JSON_MODEL = {"name": "rows", "modality": "tabular", "task": "binary", "explain_methods": []}
HOSTILE = 'scan.png: unlike the training images <img src=x onerror="alert(1)"> (distance 9.1)'


def _answer(**extra: Any) -> dict[str, Any]:
    return {"model": "m", "version": 1, "label": "lesion", "calibrated_probability": 0.9, "threshold": 0.5,
            "probabilities": {"normal": 0.1, "lesion": 0.9}, "input": {"kind": "png", "sha256": "ab" * 32},
            "milliseconds": 3.2, **extra}


def _run(calls: list[tuple[dict, dict]], card: dict | None = None) -> dict[str, Any]:
    done = subprocess.run(["node", "-e", _RUNNER, str(APP_JS)], input=json.dumps({"calls": calls, "card": card}),
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_page_lists_an_answers_warnings_and_notes_as_text() -> None:
    channels = "the uploaded image: a colour picture (3 channels) given to a greyscale bundle: read as grey"
    notes = ["column 'site': 1 of 1 row(s) hold a category no training row had (e.g. 'Lugano' in the row)",
             "column 'chol': a value far outside the training range"]
    stay = "stay1: no observation in the bundle's 48-h window; its risk is the empty series'"
    shown = _run([
        (IMAGE_MODEL, _answer(typicality_warning=HOSTILE, channels_warning=channels)),
        (JSON_MODEL, _answer(notes=notes)),
        (JSON_MODEL, _answer(empty_stay_warning=stay, observations=0)),
        (IMAGE_MODEL, _answer(typical=True)),  # nothing to say: the list of the answer before is gone
    ])["shown"]
    assert shown[0] == {"hidden": False, "items": [HOSTILE, channels]}  # the markup stays text
    assert shown[1] == {"hidden": False, "items": notes}
    assert shown[2] == {"hidden": False, "items": [stay]}
    assert shown[3] == {"hidden": True, "items": []}


def test_the_card_reads_the_temperatures_per_label_under_their_new_name() -> None:
    """The page reads ``temperature_by_label``, not the deprecated ``per_label`` kept for older clients."""
    config = {"task": "multilabel", "label_names": ["effusion", "mass"], "model": {"name": "seed-cnn"},
              "decision": {"rule": "youden", "threshold": 0.5, "chosen_on": "val"},
              "calibration": {"temperature": [1.31, 0.88], "fitted_on": "val"}}
    summary = model_summary("m", 1, "production", config, {}, [])
    summary.pop("per_label", None)
    summary["calibration"].pop("per_label")
    summary["card"] = {"intended_use": "research", "outcome": "findings", "warnings": [], "model_card_markdown": ""}
    card = _run([], card=summary)["card"]
    assert "temperature per label: effusion 1.31, mass 0.88" in card, card
