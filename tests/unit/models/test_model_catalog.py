"""``meddx models`` lists from a static table that matches the registry, importing no model family.

Found by a review: listing imported every family module (torch, MONAI, transformers) to print a
table of names, 14 s on a busy machine against 0.3 s for ``meddx --help``. The table
(``meddx.models.catalog``) is checked here against the real registry, so a model added, renamed or
described differently without updating it fails this test.
"""

from __future__ import annotations

import subprocess
import sys

from meddx.models.catalog import CATALOG, catalog_info, catalog_names
from meddx.models.registry import list_models, model_info


def test_the_catalog_is_the_registry() -> None:
    assert catalog_names() == list_models()
    for name in list_models():
        registered = model_info(name)
        fields = ("input", "dims", "output", "description")
        assert catalog_info(name) == {key: registered.get(key) for key in fields}, name
    assert catalog_names("resnet*") == list_models("resnet*") and catalog_names("nosuch") == []
    assert len(CATALOG) == len(list_models())


def test_listing_imports_no_model_family() -> None:
    code = ("import sys\nfrom typer.testing import CliRunner\nfrom meddx.cli.main import app\n"
            "result = CliRunner().invoke(app, ['models', 'resnet*'])\n"
            "assert result.exit_code == 0 and 'resnet18-3d' in result.output, result.output\n"
            "heavy = sorted(m for m in ('torch', 'monai', 'transformers', 'meddx.models.vision') if m in sys.modules)\n"
            "print(heavy)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"
