"""``meddx predict``: an option the bundle's kind never reads is refused on one line (``cli.predict_flags``).

Measured before: an image classifier printed its normal table with ``--pixel-size``, ``--no-overlays``,
``--attribution occlusion``, ``--text-column`` or ``--encoding``; a table bundle with ``--pixel-size``,
``--no-overlays``, ``--text-column``, ``--encoding`` or ``-o``; a text bundle with ``--pixel-size``,
``-o`` or ``--no-overlays``. The expected table below is written out by hand from the code that reads
each option, not copied from the module, so a change to either shows here.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from meddx.cli.predict_flags import bundle_kind, check_predict_options
from meddx.core.errors import ConfigError

VALUES: dict[str, Any] = {"text": ["a note"], "text_column": "note", "encoding": "latin-1", "explain": Path("ex"),
                          "attribution": "occlusion", "output": Path("out"), "pixel_size": 0.5, "overlays": False,
                          "overwrite": True, "skip_bad": True, "as_json": True}
SPELLED = {"text": "--text", "text_column": "--text-column", "encoding": "--encoding", "explain": "--explain",
           "attribution": "--attribution", "output": "--output", "pixel_size": "--pixel-size",
           "overlays": "--no-overlays", "overwrite": "--overwrite", "skip_bad": "--skip-bad", "as_json": "--json"}
# kind -> the options it reads (by hand: cli/train.py predict, predict_text, predict_series, predict_tabular)
READ = {
    "image2d": {"skip_bad", "as_json"},
    "image3d": {"skip_bad", "as_json"},
    "segmentation": {"output", "pixel_size", "overlays", "overwrite", "skip_bad", "as_json"},
    "text": {"text", "text_column", "encoding", "explain", "attribution", "overwrite", "as_json"},
    "series": {"explain", "attribution", "overwrite", "as_json"},
    "table": {"explain", "attribution", "overwrite", "skip_bad", "as_json"},
}
CONFIGS = {"image2d": ("binary", {"spatial_dims": 2}), "image3d": ("binary", {"spatial_dims": 3}),
           "segmentation": ("segmentation", {"task": "segmentation"}), "text": ("binary", {"modality": "text"}),
           "series": ("binary", {"modality": "series"}), "table": ("binary", {"modality": "tabular"})}


def _bundle(kind: str) -> SimpleNamespace:
    task, config = CONFIGS[kind]
    return SimpleNamespace(name="b", task=task, config=config)


@pytest.mark.parametrize("kind", sorted(READ))
def test_the_kind_of_each_bundle(kind: str) -> None:
    assert bundle_kind(_bundle(kind)) == kind


@pytest.mark.parametrize("option", sorted(VALUES))
@pytest.mark.parametrize("kind", sorted(READ))
def test_each_option_is_refused_exactly_for_the_kinds_that_never_read_it(kind: str, option: str) -> None:
    given = {option: VALUES[option]}
    if option == "attribution":
        given["explain"] = VALUES["explain"]  # text and table bundles read it beside --explain only
    if option in READ[kind]:
        check_predict_options(given, _bundle(kind), "b")
        return
    with pytest.raises(ConfigError) as err:
        check_predict_options({option: VALUES[option]}, _bundle(kind), "b")
    line = str(err.value)
    assert "\n" not in line and line.startswith(f"{SPELLED[option]}: applies to "), line
    assert "bundle 'b' reads " in line and "leave it out" in line, line


def test_one_line_names_every_option_the_kinds_and_this_bundles_kind() -> None:
    given = {name: VALUES[name] for name in ("pixel_size", "overlays", "text_column", "encoding", "output", "as_json")}
    with pytest.raises(ConfigError) as err:
        check_predict_options(given, _bundle("table"), "rows")
    line = str(err.value)
    assert line == ("--text-column: applies to text bundles; --encoding: applies to text bundles; --output: applies "
                    "to segmentation bundles; --pixel-size: applies to segmentation bundles; --no-overlays: applies "
                    "to segmentation bundles; table bundle 'b' reads table rows (CSV files) and does not read these "
                    "options: leave them out"), line


def test_an_image_classifier_asked_for_explanations_is_pointed_to_meddx_explain() -> None:
    with pytest.raises(ConfigError) as err:
        check_predict_options({"attribution": "occlusion"}, _bundle("image2d"), "cxr:2")
    line = str(err.value)
    assert line.startswith("--attribution: applies to text, series and table bundles; 2D image classifier bundle "
                           "'b' reads images and does not read this option"), line
    assert "`meddx explain cxr:2 FILE... --out DIR`" in line


def test_text_on_an_image_bundle_keeps_its_words() -> None:
    """Pinned by tests/unit/cli/test_text_flag_on_other_bundles.py: the line starts with --text."""
    with pytest.raises(ConfigError, match=r"^--text: applies to text bundles; 2D image classifier bundle 'b' reads "
                                          r"images, not documents, and does not read this option"):
        check_predict_options({"text": ["a note"]}, _bundle("image2d"), "b")


@pytest.mark.parametrize("kind", ["text", "table"])
def test_attribution_without_explain_is_refused_where_only_explain_reads_it(kind: str) -> None:
    with pytest.raises(ConfigError, match=r"^--attribution: chooses the method of --explain DIR's attributions"):
        check_predict_options({"attribution": "integrated-gradients"}, _bundle(kind), "b")
    check_predict_options({"attribution": "occlusion"}, _bundle("series"), "b")  # series rank contributors always


def test_defaults_are_never_refused() -> None:
    """Nothing given (every option at its default): every kind passes."""
    for kind in READ:
        check_predict_options({}, _bundle(kind), "b")
