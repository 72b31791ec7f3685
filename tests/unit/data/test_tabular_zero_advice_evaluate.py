"""A zero-coded column read by ``meddx evaluate`` gets advice that works there (helper "tables49", stop 49).

Walking predict → evaluate on the UCI files: a Cleveland bundle evaluated on the Switzerland file warned
"``chol``: 0 in all 123 filled cells ...; if so pass --zero-as-missing chol", a flag ``evaluate`` does not
have (it reads a file with the bundle's options). Read for a bundle (inside ``held_out_allowed``, as
evaluate and compare read), the warning says what does work: blank those cells, or retrain with the option.
"""

from __future__ import annotations

from pathlib import Path

from meddx.data.base import held_out_allowed
from meddx.data.tabular import load_tabular_source
from tests.unit.data.test_tabular_zeros import write_synthetic


def test_evaluate_is_not_told_to_pass_a_flag_it_lacks(tmp_path: Path) -> None:
    path = write_synthetic(tmp_path / "site.csv")
    trained = {w.split("'")[1]: w for w in load_tabular_source(path).warnings}
    with held_out_allowed():
        evaluated = {w.split("'")[1]: w for w in load_tabular_source(path).warnings}
    assert set(trained) == set(evaluated) == {"chol", "ldl"}
    assert "if so pass --zero-as-missing chol (config: zero_as_missing)" in trained["chol"]
    for warning in evaluated.values():
        assert "pass --zero-as-missing" not in warning, warning
    assert evaluated["chol"].endswith("0 may code a missing value (a cholesterol or blood pressure cannot be 0); the "
                                      "bundle reads this file with its training options, so if so blank those cells "
                                      "(missing, imputed as in training) or retrain with --zero-as-missing chol, if "
                                      "these are real zeros nothing is needed"), evaluated["chol"]
