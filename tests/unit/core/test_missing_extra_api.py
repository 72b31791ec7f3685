"""The Python API names a missing optional extra, as the CLI does (DESIGN.md, Dependencies).

Each public entry point that needs an optional package, called without it, raises one
``MissingExtraError``: a ``ConfigError`` (the CLI prints it on one line, exit 2) naming the package
and ``pip install 'meddx[EXTRA]'``, still a ``ModuleNotFoundError`` for code that tests for the
package with ``except ImportError``. Before, a bare ``ModuleNotFoundError`` came from deep inside meddx.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from meddx.core.errors import ConfigError


def hide(monkeypatch: pytest.MonkeyPatch, package: str) -> None:
    """Make ``package`` look not installed: ``None`` in ``sys.modules`` makes importing it (or any
    of its submodules already imported by an earlier test) raise ``ModuleNotFoundError``."""
    for name in [n for n in sys.modules if n == package or n.startswith(f"{package}.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, package, None)


def assert_names_extra(info: pytest.ExceptionInfo[BaseException], package: str, extra: str) -> None:
    error = info.value
    assert isinstance(error, ConfigError) and isinstance(error, ModuleNotFoundError), type(error)
    message = str(error)
    assert "\n" not in message and f"'{package}'" in message and f"pip install 'meddx[{extra}]'" in message, message
    assert error.name == package and error.exit_code == 2
    assert isinstance(error.__cause__, ModuleNotFoundError)  # the original stays visible with --debug


def test_the_hiding_makes_the_import_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    """The premise of every test below (a package hidden after its submodules were imported)."""
    import captum.attr  # noqa: F401

    hide(monkeypatch, "captum")
    with pytest.raises(ModuleNotFoundError):
        from captum.attr import Saliency  # noqa: F401


class _TinyCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.head = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.relu(self.conv(x)).mean((2, 3)))


@pytest.mark.parametrize("method", ["integrated-gradients", "saliency", "occlusion"])
def test_image_attributions_without_captum(method: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.explain.image import image_attributions

    net = _TinyCNN().eval()
    x = torch.rand(1, 1, 16, 16)
    assert image_attributions(net, x, "gradcam", 0).shape == (1, 16, 16)  # Grad-CAM needs no extra
    hide(monkeypatch, "captum")
    with pytest.raises(ConfigError) as info:
        image_attributions(net, x, method, 0)
    assert_names_extra(info, "captum", "explain")
    assert method in str(info.value)


def test_text_attributions_without_captum(monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.bundle.text_predictor import TextPredictor
    from meddx.explain.text import token_attributions
    from meddx.models.registry import create_model
    from meddx.transforms.text import TextTokenizer

    tokenizer = TextTokenizer.fit(["seizure noted on exam", "no fever today"], kind="word", vocab_size=50,
                                  max_length=16)
    args = {"vocab_size": tokenizer.vocab_size, "pad_id": tokenizer.pad_id}
    config = {"name": "t", "task": "multiclass", "label_names": ["a", "b"], "model": {"name": "lstm", "args": args},
              "preprocessing": {"kind": "tokenizer", "tokenizer": "word", "max_length": 16},
              "decision": {"rule": "argmax", "threshold": None}, "calibration": {"temperature": 1.0}}
    predictor = TextPredictor(config, create_model("lstm", num_classes=2, **args).eval(), tokenizer)
    hide(monkeypatch, "captum")
    with pytest.raises(ConfigError) as info:
        token_attributions(predictor, "seizure noted", method="integrated-gradients")
    assert_names_extra(info, "captum", "explain")


def test_series_attributions_without_captum(monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.explain.series import series_attributions

    hide(monkeypatch, "captum")
    # the extra is checked before the predictor is used: no network or record is needed to get there
    with pytest.raises(ConfigError) as info:
        series_attributions(SimpleNamespace(), SimpleNamespace(), "integrated-gradients", 0)
    assert_names_extra(info, "captum", "explain")


def test_table_row_explanations_without_captum(tmp_path_factory: pytest.TempPathFactory,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import pandas as pd

    from meddx.explain.api import explain
    from tests.unit.bundle.tiny_table import tiny_table_bundle

    bundle = tiny_table_bundle(tmp_path_factory.mktemp("extras_table"))
    hide(monkeypatch, "captum")
    with pytest.raises(ConfigError) as info:
        explain(str(bundle), [pd.DataFrame({"marker": [0.4], "bp": [121.0]})], method="integrated-gradients")
    assert_names_extra(info, "captum", "explain")


@pytest.mark.parametrize(("module", "name"), [("meddx.federated.simulation", "simulate"),
                                              ("meddx.federated.server", "run_server"),
                                              ("meddx.federated.client", "run_client")])
def test_federated_entry_points_without_flower(module: str, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import meddx.federated

    hide(monkeypatch, "flwr")
    for loaded in ("meddx.federated.simulation", "meddx.federated.server", "meddx.federated.client"):
        monkeypatch.delitem(sys.modules, loaded, raising=False)  # imported afresh, as in a new process
    with pytest.raises(ConfigError) as info:
        getattr(meddx.federated, name)
    assert_names_extra(info, "flwr", "federated")
    assert module not in sys.modules


def test_quiet_flower_without_flower(monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.federated.logs import quiet_flower

    hide(monkeypatch, "flwr")
    with pytest.raises(ConfigError) as info:
        quiet_flower()
    assert_names_extra(info, "flwr", "federated")


def test_create_app_without_fastapi(monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.serving.app import create_app

    hide(monkeypatch, "fastapi")
    with pytest.raises(ConfigError) as info:
        create_app()
    assert_names_extra(info, "fastapi", "serve")


def test_text_verify_near_duplicates_without_datasketch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.data.text import load_text_source
    from meddx.data.text_verify import verify_text_source

    notes = tmp_path / "notes.csv"
    notes.write_text("id,text,label\n" + "".join(f"n{i},document number {i} about topic {i % 3},{'ab'[i % 2]}\n"
                                                 for i in range(12)))
    source = load_text_source(notes)
    hide(monkeypatch, "datasketch")
    assert verify_text_source(source, near_duplicates=False).summary["samples"] == 12  # no extra without the search
    with pytest.raises(ConfigError) as info:
        verify_text_source(source)
    assert_names_extra(info, "datasketch", "text")


def test_private_vocabulary_without_tokenizers(monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.privacy.vocabulary import release_vocabulary

    hide(monkeypatch, "tokenizers")
    with pytest.raises(ConfigError) as info:
        release_vocabulary(["fever and cough", "cough"], limit=10, delta=1e-5, seed=0)
    assert_names_extra(info, "tokenizers", "text")


def test_hugging_face_model_without_transformers(monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.models.registry import create_model

    hide(monkeypatch, "transformers")
    with pytest.raises(ConfigError) as info:
        create_model("hf-sequence-classifier", num_classes=2, hf_config={"model_type": "bert"})
    assert_names_extra(info, "transformers", "text")


def test_other_import_failures_are_not_called_a_missing_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """A core dependency or a missing submodule of an installed package is a bug, not an extra to install."""
    from meddx.core.extras import needs_extra

    monkeypatch.setitem(sys.modules, "monai", None)
    with pytest.raises(ModuleNotFoundError) as info, needs_extra("a test"):
        import monai  # noqa: F401
    assert not isinstance(info.value, ConfigError)
    with pytest.raises(ModuleNotFoundError) as info, needs_extra("a test"):
        import captum.not_a_module  # noqa: F401
    assert not isinstance(info.value, ConfigError)


def test_except_import_error_still_catches_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Callers that fall back when an optional package is absent keep working."""
    from meddx.core.extras import needs_extra

    hide(monkeypatch, "captum")
    try:
        with needs_extra("a test"):
            import captum  # noqa: F401
        reached = "imported"
    except ImportError:
        reached = "fallback"
    assert reached == "fallback"
