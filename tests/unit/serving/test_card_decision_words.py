"""The web page's model card says how a class-weighted multi-class bundle decides."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

import meddx.serving
from meddx.serving.summary import model_summary

APP_JS = Path(meddx.serving.__file__).parent / "static" / "app.js"
CONFIG = {"task": "multiclass", "label_names": ["a", "b", "c"], "model": {"name": "tabular-mlp"},
          "decision": {"rule": "argmax", "threshold": None, "chosen_on": "val", "class_weights": [0.5, 2.0, 1.0]},
          "calibration": {"temperature": 1.2, "fitted_on": "val", "bias": [0.693, -0.693, 0.0]}}
# The page's renderCard run in node on a minimal DOM: prints the card's text.
_RUNNER = """
const fs = require("fs"), vm = require("vm");
const node = () => ({ children: [], textContent: "", appendChild(c) { this.children.push(c); return c; } });
const card = node();
const text = (n) => (n.textContent || "") + n.children.map(text).join("");
const ctx = { console, sessionStorage: { getItem: () => null },
  document: { addEventListener() {}, createElement: node, createTextNode: (t) => ({ children: [], textContent: t }),
              getElementById: () => card } };
vm.createContext(ctx);
vm.runInContext(fs.readFileSync(process.argv[process.argv.length - 1], "utf8") + "\\nthis.renderCard = renderCard;", ctx);
ctx.renderCard(JSON.parse(fs.readFileSync(0, "utf8")));
console.log(text(card));
"""


def _card_text(summary: dict) -> str:
    summary = {**summary, "card": {"intended_use": "research", "outcome": "class", "warnings": []}}
    done = subprocess.run(["node", "-e", _RUNNER, str(APP_JS)], input=json.dumps(summary), capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_summary_gives_the_weighted_rule() -> None:
    op = model_summary("m", 1, "production", CONFIG, {}, [])["operating_point"]
    assert op["class_weights"] == [0.5, 2.0, 1.0]
    assert op["rule_words"].startswith("the class of largest p_k·w_k") and "0.5, 2, 1" in op["rule_words"]
    plain = {**CONFIG, "decision": {"rule": "argmax", "threshold": None, "chosen_on": "val"}}
    assert "rule_words" not in model_summary("m", 1, "production", plain, {}, [])["operating_point"]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is needed to run the page's script")
def test_page_card_says_argmax_of_weighted_probabilities() -> None:
    """Found by a docs walk: the card of a class-weighted 3-class bundle said "rule argmax", but it
    decides by the largest p_k·w_k (decision.class_weights), which can differ from the argmax."""
    text = _card_text(model_summary("m", 1, "production", CONFIG, {}, []))
    assert "Decision: the class of largest p_k·w_k" in text and "(0.5, 2, 1)" in text, text
    assert "rule argmax" not in text
    plain = {**CONFIG, "decision": {"rule": "argmax", "threshold": None, "chosen_on": "val"}}
    assert "Decision: rule argmax" in _card_text(model_summary("m", 1, "production", plain, {}, []))
