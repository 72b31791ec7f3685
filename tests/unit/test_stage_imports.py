"""DESIGN.md: "Each stage exposes one verb and imports only stages to its left."

Every module under ``src/meddx`` is parsed (nothing is imported) and each ``import`` / ``from ...
import`` of a meddx module, at any depth (function-level imports included, since the lazy imports
that keep ``meddx --help`` fast are still dependencies), and each string naming a meddx module
(``importlib.import_module`` tables), is checked against the stage order. A stage importing a stage
to its right fails, unless the pair is in ``ALLOWED`` below: the rightward imports that are inherent
to the flow today and left for a design decision, each with its reason. An allow-list entry that no
longer matches any import fails too, so the list only shrinks.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import meddx

SRC = Path(meddx.__file__).parent

# Left to right. DESIGN.md's order, with the two packages it does not name placed where their
# imports put them: ``deid`` (de-identifies notes; imports core and data, only the CLI imports it)
# right after data, and ``privacy`` (the DP statistics and vocabulary that training releases)
# between tasks and training.
STAGES = ("core", "data", "deid", "transforms", "models", "tasks", "privacy", "training", "evaluation",
          "explain", "bundle", "registry", "serving", "federated", "cli")

# (importer, imported stage) -> why it is allowed. The importer is a stage (every module in it) or
# one module path relative to src/meddx (only that module).
ALLOWED: dict[tuple[str, str], str] = {
    # fit() finishes a run: it evaluates on validation/test, picks the operating point and recalibrates
    ("training", "evaluation"): "fit finishes by evaluating the trained model (threshold, calibration, report)",
    # ... and saves the trained network with its predictor as a bundle (tables, text, series, segmentation)
    ("training", "bundle"): "fit finishes by saving a bundle (and builds predictors to evaluate it)",
    ("training", "registry"): "fit records its run and registers the bundle it saved (registry.store, run logs)",
    # evaluation and explanation take a bundle folder or a registry NAME[:VERSION] and load it
    ("evaluation", "bundle"): "evaluation loads the bundle it evaluates (and its predictor's post-processing)",
    ("evaluation", "registry"): "evaluation resolves a registry NAME[:VERSION] to a bundle folder",
    ("explain", "bundle"): "explanation loads the bundle it explains",
    ("explain", "registry"): "explanation resolves a registry NAME[:VERSION] to a bundle folder",
    # load_bundle(ref) accepts a registry reference, as the CLI does
    ("bundle/bundle.py", "registry"): "load_bundle resolves a registry NAME[:VERSION] to its folder",
    # the membership audit attacks a saved (DP) bundle: an evaluation of a bundle, not a DP tool that
    # training uses; it would sit with evaluation if it moved (privacy/statistics.py and vocabulary.py stay)
    ("privacy/audit.py", "training"): "the audit reloads a DP bundle through training.privacy.load_private_bundle",
    ("privacy/audit.py", "evaluation"): "the audit predicts splits as trained and bootstraps its AUC",
    ("privacy/audit.py", "registry"): "the audit resolves a registry NAME[:VERSION] to a bundle folder",
}

_MODULE_NAME = re.compile(r"meddx(\.[A-Za-z_][A-Za-z0-9_]*)+")


def _imported(rel: str, text: str) -> list[tuple[int, str]]:
    """``(line, dotted module below meddx)`` of every meddx module that the module at ``rel``
    (relative to src/meddx, e.g. ``data/text.py``) with source ``text`` imports or names."""
    package = rel.split("/")[:-1]  # a module's package; an __init__.py's own
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(text, filename=rel)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name[6:]) for a in node.names if a.name.startswith("meddx.")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # from ..evaluation import x: up level - 1 packages from this one
                base = package[: max(0, len(package) - (node.level - 1))] + (node.module or "").split(".")
            elif node.module == "meddx" or (node.module or "").startswith("meddx."):
                base = node.module.split(".")[1:]  # type: ignore[union-attr]
            else:
                continue
            base = [b for b in base if b]
            if base:
                found.append((node.lineno, ".".join(base)))
            else:  # from meddx import evaluation (a stage by name); __version__ and the like are no stage
                found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _MODULE_NAME.fullmatch(node.value):
            found.append((node.lineno, node.value[6:]))  # importlib.import_module("meddx....") tables
    return found


@functools.lru_cache(maxsize=1)
def rightward_imports() -> tuple[tuple[str, int, str, str, str], ...]:
    """``(module path, line, imported module, importer stage, imported stage)`` for every import of
    a stage to the right of the importer's."""
    rank = {s: i for i, s in enumerate(STAGES)}
    out = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        stage = rel.split("/")[0]
        if stage not in rank:  # meddx/__init__.py, __main__.py: the public API over every stage
            continue
        for line, module in _imported(rel, path.read_text(encoding="utf-8")):
            target = module.split(".")[0]
            if target in rank and rank[target] > rank[stage]:
                out.append((rel, line, module, stage, target))
    return tuple(out)


def _allowed_by(rel: str, stage: str, target: str) -> tuple[str, str] | None:
    for key in ((rel, target), (stage, target)):
        if key in ALLOWED:
            return key
    return None


def test_every_package_is_a_stage() -> None:
    """A new top-level package must be placed in the order (and DESIGN.md) before it can be checked."""
    packages = sorted(p.name for p in SRC.iterdir() if (p / "__init__.py").exists() or
                      (p.is_dir() and any(p.glob("*.py"))))
    assert [p for p in packages if p not in STAGES] == []


def test_no_stage_imports_a_stage_to_its_right() -> None:
    bad = [f"{rel}:{line} imports meddx.{module} ({stage} -> {target})"
           for rel, line, module, stage, target in rightward_imports() if _allowed_by(rel, stage, target) is None]
    assert bad == [], ("a stage imports a stage to its right (DESIGN.md); move the shared piece to the "
                       "lower stage, or add a reasoned entry to ALLOWED:\n" + "\n".join(bad))


def test_every_allowed_entry_is_still_needed() -> None:
    used = {_allowed_by(rel, stage, target) for rel, _, _, stage, target in rightward_imports()}
    assert sorted(set(ALLOWED) - used) == [], "these ALLOWED entries match no import any more: remove them"


def test_every_import_form_is_seen() -> None:
    """The parser sees each form a rightward import can take, so the check cannot miss one silently."""
    text = ("from meddx.evaluation.measure import x\nimport meddx.bundle.bundle\nfrom ...evaluation import y\n"
            "from .. import text\nfrom . import masks\nfrom meddx import registry, __version__\n"
            "import numpy\nfrom numpy import array\n"
            "def f():\n    from meddx.cli import main\n    return 'meddx.serving.app', 'see meddx.explain'\n")
    found = sorted(m for _, m in _imported("data/sub/mod.py", text))
    assert found == sorted(["evaluation.measure", "bundle.bundle", "evaluation", "data", "data.sub", "registry",
                            "__version__", "cli", "serving.app"])
    assert [m for _, m in _imported("data/__init__.py", "from .text import x\nfrom .. import cli\n")] == [
        "data.text", "cli"]
