"""Three helpers that caught every ImportError (``require_opacus``, the tokenizers import of text
tokenisation, the transformers import of a pretrained tokenizer) use ``core.extras.needs_extra``:
a missing package still names its extra, and a broken install is no longer called a missing one
(its own error, e.g. a failing native library, propagates)."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

import pytest

from tests.unit.core.test_missing_extra_api import assert_names_extra, hide


def test_dp_without_opacus_names_the_privacy_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.training.privacy import require_opacus

    hide(monkeypatch, "opacus")
    with pytest.raises(ImportError) as info:
        require_opacus()
    assert_names_extra(info, "opacus", "privacy")


def test_tokenisation_without_tokenizers_names_the_text_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.transforms.text import _tokenizers

    hide(monkeypatch, "tokenizers")
    with pytest.raises(ImportError) as info:
        _tokenizers()
    assert_names_extra(info, "tokenizers", "text")


def test_a_pretrained_tokenizer_without_transformers_names_the_text_extra(monkeypatch: pytest.MonkeyPatch,
                                                                          tmp_path: Path) -> None:
    from meddx.transforms.text_pretrained import auto_tokenizer

    (tmp_path / "tokenizer.json").write_text("{}")
    (tmp_path / "tokenizer_config.json").write_text("{}")
    hide(monkeypatch, "transformers")
    with pytest.raises(ImportError) as info:
        auto_tokenizer(tmp_path)
    assert_names_extra(info, "transformers", "text")


def test_a_broken_opacus_is_not_called_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.core.errors import ConfigError
    from meddx.training.privacy import require_opacus

    real = builtins.__import__

    def broken(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "opacus":
            raise ImportError("libfoo.so: cannot open shared object file")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", broken)
    with pytest.raises(ImportError, match="libfoo") as info:
        require_opacus()
    assert not isinstance(info.value, ConfigError)
