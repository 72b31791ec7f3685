"""``meddx compare`` of two bundles whose labels are the same set in another order aligns them.

Before, ``compare A B`` refused B when it held ``[pos, neg]`` and A ``[neg, pos]`` (e.g. B trained on a
CSV whose labels first appeared as pos, neg, or with the other ``--positive-labels``). B's probabilities,
labels and threshold are now put in A's order before any paired statistic: comparing A with B reversed
gives exactly what comparing A with B gives, with one note line. Different label sets are still refused.
The bundles are untrained seed CNNs (``bundle_helpers``): the answer does not depend on training.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.bundle_helpers import tiny_image_bundle
from tests.integration.cli_helpers import run_cli
from tests.integration.test_evaluate_fitted_split_warning import _manifest  # 24 PNGs, 8 a split


def _variant(source: Path, dest: Path, *, labels: list[str], threshold: float, edit) -> Path:  # type: ignore[no-untyped-def]
    """Bundle ``source`` saved at ``dest`` with ``labels``, ``threshold`` and its head's weight and bias
    passed through ``edit``."""
    import torch

    from meddx.bundle.bundle import load_bundle, save_bundle
    from meddx.bundle.typicality import head_layer

    predictor = load_bundle(source)
    head = head_layer(predictor.net, 2)
    with torch.no_grad():
        head.weight.copy_(edit(head.weight.clone()))
        head.bias.copy_(edit(head.bias.clone()))
    config = json.loads((source / "config.json").read_text())
    config["name"], config["label_names"], config["decision"]["threshold"] = dest.name, labels, threshold
    return save_bundle(dest, net=predictor.net, config=config, metrics={}, model_card="")


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A; B, another model (A's head shifted); B reversed: B with its labels and head rows swapped
    and threshold 1 - t, the same model in the other order; C: B with another label set."""
    import torch

    root = tmp_path_factory.mktemp("compare_label_order")
    manifest = _manifest(root / "data")
    a = tiny_image_bundle(root / "a", label_names=["neg", "pos"], decision={"threshold": 0.5},
                          training={"data": str(manifest), "seed": 0, "val_fraction": 0.2})
    noise = torch.Generator().manual_seed(3)
    b = _variant(a, root / "b", labels=["neg", "pos"], threshold=0.51,  # its outputs lie about 0.47-0.56
                 edit=lambda t: t + 0.05 * torch.randn(t.shape, generator=noise))
    reversed_b = _variant(b, root / "b_reversed", labels=["pos", "neg"], threshold=1 - 0.51, edit=lambda t: t.flip(0))
    c = _variant(b, root / "c", labels=["neg", "lesion"], threshold=0.5, edit=lambda t: t)
    return {"data": manifest, "a": a, "b": b, "b_reversed": reversed_b, "c": c, "root": root}


def _compare(bundles: dict[str, Path], second: str, capsys: pytest.CaptureFixture[str]) -> tuple[dict, str]:
    out = bundles["root"] / f"cmp-{second}"
    result = run_cli(["compare", str(bundles["a"]), str(bundles[second]), "--data", str(bundles["data"]),
                      "--out", str(out), "--bootstrap", "50", "--json"], capsys)
    assert result.code == 0, result.err
    return json.loads(result.out), result.err


def test_the_same_labels_in_another_order_are_compared_in_a_s_order(bundles: dict[str, Path],
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    same, _ = _compare(bundles, "b", capsys)
    other, _ = _compare(bundles, "b_reversed", capsys)
    # two different models deciding differently on some cases: the equality below says something
    assert same["delong"]["pos"]["difference"] != 0 and same["mcnemar"]["a_only"] + same["mcnemar"]["b_only"] > 0
    for key in ("n", "label_names", "delong", "mcnemar", "paired_tests", "difference"):
        assert other[key] == same[key], key
    assert same["notes"] == []
    (note,) = other["notes"]
    assert "\n" not in note and "another order (['pos', 'neg'])" in note and "(['neg', 'pos'])" in note
    assert "1 - t" in note  # binary: B's positive class is A's negative one


def test_other_label_sets_are_still_refused_naming_both(bundles: dict[str, Path],
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(["compare", str(bundles["a"]), str(bundles["c"]), "--data", str(bundles["data"]),
                      "--out", str(bundles["root"] / "cmp-c")], capsys)
    assert result.code != 0
    assert "only 'cxr': ['pos']; only 'c': ['lesion']" in result.err and "expected the same labels" in result.err


def test_the_printed_comparison_says_the_order_was_changed(bundles: dict[str, Path],
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(["compare", str(bundles["a"]), str(bundles["b_reversed"]), "--data", str(bundles["data"]),
                      "--out", str(bundles["root"] / "cmp-printed"), "--bootstrap", "50"], capsys)
    assert result.code == 0, result.err
    (line,) = [x for x in result.err.splitlines() if x.startswith("note: ")]
    assert "another order (['pos', 'neg'])" in line
