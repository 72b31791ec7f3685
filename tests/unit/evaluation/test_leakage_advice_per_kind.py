"""The leakage warning names a remedy that works for the source's kind.

Found by a docs walk (helper "notes", stop 48): the warning told every user to run ``meddx data verify
--clean-manifest``, which writes a manifest of image files and refuses a table or an ``.npz`` ("a clean
manifest lists files, but this source holds arrays"), a series and a text source. What works instead:
the verify report lists the rows, stays or samples to remove (tables, series, arrays), and ``--fix
drop-duplicates --fixed-output FILE`` writes a text source without its cross-split copies.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from meddx.evaluation.leakage import leakage_warning, source_kind

COPIES = {"notes": [], "duplicates": {"leakage": True, "cross_split": 2, "cross_split_by_split": {"train": 1, "test": 1},
                                      "patients_across_splits": 0}}


@pytest.mark.parametrize(("kind", "says", "never"), [
    ("images", "`meddx data verify --clean-manifest` lists and removes them", "verify-report.json"),
    ("arrays", "--clean-manifest cannot remove them from an .npz, which holds arrays, not files: drop those samples "
               "from its arrays (SplitData.subset)", "--clean-manifest` lists"),
    ("table", "`meddx data verify` lists them in its report (verify-report.json): remove those rows from the file",
     "--clean-manifest"),
    ("series", "remove those stays (their files, or their rows of the labels file)", "--clean-manifest"),
    ("text", "`meddx data verify --fix drop-duplicates --fixed-output FILE` writes the source without the copies",
     "--clean-manifest"),
])
def test_each_kind_gets_its_own_remedy(kind: str, says: str, never: str) -> None:
    for dataset, given in (({**COPIES, "kind": kind}, None), (COPIES, kind)):  # from the summary, or the caller
        text = leakage_warning(dataset, kind=given) or ""
        assert text.startswith("data verify found 2 samples (train 1, test 1) whose content also appears on another "
                               "split: test numbers may be optimistic (")
        assert says in text and never not in text, text


def test_shared_patients_are_named_where_a_source_has_them() -> None:
    shared = {**COPIES["duplicates"], "patients_across_splits": 3}
    text = leakage_warning({**COPIES, "kind": "text", "duplicates": shared}) or ""
    assert "--fix drop-duplicates" in text and "lists the shared patients: put each patient's rows on one split" in text
    assert "or put each patient's rows on one split, and retrain" in (
        leakage_warning({**COPIES, "kind": "table", "duplicates": shared}) or "")
    assert "patient" not in (leakage_warning({**COPIES, "kind": "table"}) or "")


def test_without_a_kind_an_npz_reads_as_arrays_and_others_get_every_kinds_advice() -> None:
    npz = leakage_warning({**COPIES, "source": "/data/pneumoniamnist.npz"}) or ""
    assert "drop those samples from its arrays" in npz and "--clean-manifest` lists" not in npz
    other = leakage_warning({**COPIES, "source": "/data/site.csv"}) or ""
    assert "for image files --clean-manifest also removes them, for text --fix drop-duplicates" in other
    assert "tables, series and .npz arrays: remove the rows, stays or samples it lists" in other


def test_source_kind_of_each_reader(tmp_path: Path) -> None:
    from meddx.data.sources import load_source
    from meddx.data.synthetic import make_lesion_source, write_image_folder
    from meddx.data.synthetic_series import make_threshold_series

    rng = np.random.default_rng(0)
    table = tmp_path / "t.csv"
    table.write_text("a,b,label\n" + "".join(f"{rng.normal():.3f},{rng.normal():.3f},{i % 2}\n" for i in range(30)))
    text = tmp_path / "x.csv"
    text.write_text("text,label\n" + "".join(f"note {i} says {i * 7},{'ab'[i % 2]}\n" for i in range(30)))
    images = make_lesion_source(8, 4, 4, seed=1)
    folder = write_image_folder(images, tmp_path / "folder")
    assert source_kind(load_source(str(table))) == "table"
    assert source_kind(load_source(str(text))) == "text"
    assert source_kind(make_threshold_series(30, seed=1)) == "series"
    assert source_kind(images) == "arrays"  # in memory, as an .npz is read
    assert source_kind(load_source(str(folder))) == "images"


def test_a_leaky_tables_summary_names_the_table_remedy(tmp_path: Path) -> None:
    """``dataset_summary`` (train's and evaluate's dataset section, the model card's limits) records the
    source's kind, so the warning for a table with a row copied from train into test names what works
    for a table, not ``--clean-manifest`` (which refuses tables)."""
    from meddx.data.sources import load_source
    from meddx.evaluation.evaluate import dataset_summary

    rng = np.random.default_rng(0)
    rows = [f"{rng.normal():.3f},{rng.normal():.3f},{i % 2},{'train' if i < 30 else 'test'}" for i in range(40)]
    rows.append(rows[0].rsplit(",", 1)[0] + ",test")  # a training row again in test
    table = tmp_path / "leaky.csv"
    table.write_text("a,b,label,split\n" + "\n".join(rows) + "\n")
    summary = dataset_summary(load_source(str(table)))
    assert summary["kind"] == "table"
    warning = leakage_warning(summary) or ""
    assert "remove those rows from the file" in warning and "--clean-manifest" not in warning, warning
