"""Default evaluation/comparison folders: options not at their defaults change the hash; the
defaults (given or left out) keep the name a location alone gives, as before options counted."""

from __future__ import annotations

from pathlib import Path

from meddx.evaluation.output_dirs import changed_options, comparison_dir, evaluation_dir, location_key


def test_defaults_keep_the_location_name_and_other_options_get_their_own(tmp_path: Path) -> None:
    data = tmp_path / "img"
    data.mkdir()
    plain = evaluation_dir(tmp_path, "img", data, "test")
    assert plain.name == f"img-test-{location_key(data)}"
    defaults = {"n_resamples": 1000, "level": 0.95, "seed": 0}
    same = changed_options({"n_resamples": 1000, "level": 0.95, "seed": 0, "columns": {}, "subgroups": None}, defaults)
    assert same == {} and evaluation_dir(tmp_path, "img", data, "test", same) == plain
    seeded = evaluation_dir(tmp_path, "img", data, "test", changed_options({"seed": 1}, defaults))
    level = evaluation_dir(tmp_path, "img", data, "test", changed_options({"level": 0.9}, defaults))
    assert len({plain, seeded, level}) == 3 and seeded.name.startswith("img-test-")
    assert evaluation_dir(tmp_path, "img", data, "test", {"seed": 1, "level": 0.9}) == evaluation_dir(
        tmp_path, "img", data, "test", {"level": 0.9, "seed": 1})  # the same options in another order: same
    b = tmp_path / "b"
    assert comparison_dir(tmp_path, b, "b", "img", data, "test", {}) == comparison_dir(tmp_path, b, "b", "img", data,
                                                                                        "test")
    assert comparison_dir(tmp_path, b, "b", "img", data, "test", {"seed": 2}) != comparison_dir(
        tmp_path, b, "b", "img", data, "test")
