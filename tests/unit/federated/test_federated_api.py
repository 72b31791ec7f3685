"""The documented Python API of ``meddx.federated`` and the checks its config shares with ``meddx train``."""

from __future__ import annotations

import subprocess
import sys

import pytest

from meddx.core.errors import ConfigError
from meddx.federated.config import load_federated_config

PROBE = """
import inspect, sys
import meddx.federated
assert not any(m in sys.modules for m in ("flwr", "torch")), "import meddx.federated must stay light"
from meddx.federated import simulate, run_server, run_client, FederatedConfig
assert inspect.isfunction(simulate) and inspect.isfunction(run_server) and inspect.isfunction(run_client), simulate
assert simulate.__module__ == "meddx.federated.simulation"
import meddx.federated.simulation                         # importing the module does not hide the function
from meddx.federated import simulate as again
assert again is simulate and meddx.federated.simulate is simulate
print("ok")
"""


def test_documented_import_gives_the_functions_in_a_fresh_interpreter() -> None:
    """docs/federated.md: ``from meddx.federated import simulate, run_server, run_client, FederatedConfig``."""
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


@pytest.mark.parametrize("name", ["../../escape", "a/b", "x:1", ".hidden", ""])
def test_a_name_that_is_not_a_plain_folder_name_is_refused(name: str) -> None:
    """The same rule as ``meddx train --name`` (TrainConfig's validator), as a one-line config error."""
    with pytest.raises(ConfigError, match="invalid federated config: name: name") as info:
        load_federated_config(None, data="x.npz", name=name)
    assert "use letters, digits" in str(info.value) and "\n" not in str(info.value)
    assert load_federated_config(None, data="x.npz", name="site-study_2.v1").name == "site-study_2.v1"
