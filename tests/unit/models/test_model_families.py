"""``create_model`` imports only the family modules that register the requested name: a text or
table bundle's network is rebuilt without importing MONAI (a text bundle's cold ``meddx predict``
spent about 6 of its 10 s importing every family), and each catalog name's factory really lives in
one of the families its input kind maps to."""

from __future__ import annotations

import subprocess
import sys

from meddx.models.catalog import CATALOG
from meddx.models.registry import FAMILIES_BY_INPUT, MODELS, _load_families


def test_every_catalog_name_is_registered_by_a_family_of_its_input_kind() -> None:
    _load_families()
    wrong = {name: MODELS._factories[name].__module__ for name, (kind, *_rest) in CATALOG.items()
             if MODELS._factories[name].__module__.rsplit(".", 1)[-1] not in FAMILIES_BY_INPUT[kind]}
    assert wrong == {}


def test_text_and_table_networks_are_built_without_monai() -> None:
    script = ("import sys\n"
              "from meddx.models.registry import create_model\n"
              "create_model('bilstm-attention', num_classes=2, vocab_size=50)\n"
              "create_model('mlp', num_classes=2, num_features=4)\n"
              "print(sorted(m for m in ('monai', 'lightning') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_an_unknown_name_still_lists_every_family_s_models() -> None:
    import pytest

    from meddx.core.errors import ModelError
    from meddx.models.registry import create_model

    with pytest.raises(ModelError) as err:
        create_model("resnet-19")
    assert "resnet18" in str(err.value)
