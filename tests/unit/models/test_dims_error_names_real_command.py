"""The error for an unsupported ``spatial_dims`` points to a command that exists and shows the
dims: ``meddx models`` (it named ``meddx models list``, which looks for a model called "list")."""

from __future__ import annotations

import re

import pytest

from meddx.cli.main import main
from meddx.core.errors import ModelError
from meddx.models import create_model


def test_unsupported_dims_names_a_command_that_shows_them(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ModelError) as info:
        create_model("resnet18", num_classes=2, spatial_dims=4)
    named = re.search(r"`(meddx [^`]+)`", str(info.value))
    assert named, str(info.value)
    with pytest.raises(SystemExit) as done:
        main(named.group(1).split()[1:] + ["resnet18"])  # the named command, narrowed to this model
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "resnet18" in out and "2D,3D" in out
