"""``python -m meddx`` is the ``meddx`` command: launchers such as torchrun start a module (``-m``)."""

import subprocess
import sys


def test_python_dash_m_meddx_runs_the_command() -> None:
    done = subprocess.run([sys.executable, "-m", "meddx", "models", "--help"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Usage: meddx models" in done.stdout or "Usage: python -m meddx models" in done.stdout
