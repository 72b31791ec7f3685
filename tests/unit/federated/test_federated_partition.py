"""Partitioning a source across simulated sites: iid, Dirichlet label skew, by column, patients kept whole."""

from __future__ import annotations

import numpy as np
import pytest

from meddx.core.errors import ConfigError
from meddx.data.base import ImageSource, SplitData
from meddx.federated.partition import Partition, parse_partition, partition_indices, split_into_sites


def _labels(n: int = 2000, k: int = 2, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, k, n)


@pytest.mark.parametrize("text,expected", [
    ("iid", Partition("iid")), (" IID ", Partition("iid")),
    ("dirichlet:0.5", Partition("dirichlet", alpha=0.5)), ("by-column:site", Partition("by-column", column="site")),
])
def test_parse_partition(text: str, expected: Partition) -> None:
    assert parse_partition(text) == expected


@pytest.mark.parametrize("text,needle", [
    ("dirichlet", "ALPHA must be a number"), ("dirichlet:0", "ALPHA must be > 0"), ("dirichlet:x", "number"),
    ("by-column:", "unknown partition"), ("random", "unknown partition"), ("iid:3", "unknown partition"),
])
def test_bad_partition_strings_are_explained(text: str, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle) as info:
        parse_partition(text)
    assert "expected iid, dirichlet:ALPHA" in str(info.value)


def test_iid_covers_every_sample_once_in_equal_shares() -> None:
    labels = _labels(1001)
    members, names = partition_indices(labels, 4, Partition("iid"), seed=3)
    assert names == ["site-1", "site-2", "site-3", "site-4"]
    joined = np.concatenate(members)
    assert sorted(joined.tolist()) == list(range(1001))
    assert {len(m) for m in members} <= {250, 251}


def _skew(labels: np.ndarray, members: list[np.ndarray]) -> float:
    """Largest distance between a site's positive rate and the overall rate."""
    overall = labels.mean()
    return max(abs(labels[m].mean() - overall) for m in members)


def test_dirichlet_skews_labels_more_as_alpha_shrinks_and_is_seeded() -> None:
    labels = _labels(4000)
    iid, _ = partition_indices(labels, 5, Partition("iid"), seed=0)
    mild, _ = partition_indices(labels, 5, Partition("dirichlet", alpha=100.0), seed=0)
    strong, _ = partition_indices(labels, 5, Partition("dirichlet", alpha=0.1), seed=0)
    assert _skew(labels, iid) < 0.05
    assert _skew(labels, strong) > 0.25 > _skew(labels, mild)
    again, _ = partition_indices(labels, 5, Partition("dirichlet", alpha=0.1), seed=0)
    assert all(np.array_equal(a, b) for a, b in zip(strong, again))
    other, _ = partition_indices(labels, 5, Partition("dirichlet", alpha=0.1), seed=1)
    assert not all(np.array_equal(a, b) for a, b in zip(strong, other))


def test_dirichlet_gives_every_site_the_minimum() -> None:
    labels = _labels(500)
    members, _ = partition_indices(labels, 5, Partition("dirichlet", alpha=0.05), seed=0, min_size=30)
    assert min(len(m) for m in members) >= 30
    assert sorted(np.concatenate(members).tolist()) == list(range(500))


def test_impossible_minimum_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="cannot give 5 sites at least 30"):
        partition_indices(_labels(100), 5, Partition("iid"), min_size=30)


def test_patients_never_straddle_sites() -> None:
    rng = np.random.default_rng(0)
    patients = rng.integers(0, 150, 900)
    labels = (patients % 3 == 0).astype(int)
    for part in (Partition("iid"), Partition("dirichlet", alpha=0.5)):
        members, _ = partition_indices(labels, 4, part, seed=0, groups=patients)
        owners: dict[int, set[int]] = {}
        for site, m in enumerate(members):
            for p in patients[m]:
                owners.setdefault(int(p), set()).add(site)
        assert all(len(s) == 1 for s in owners.values())
        assert sum(len(m) for m in members) == 900


def test_by_column_makes_one_site_per_value_and_checks_the_count() -> None:
    column = np.array(["b", "a", "c", "a", "b", "c", "a"])
    members, names = partition_indices(np.zeros(7, int), 3, Partition("by-column", column="site"), column=column)
    assert names == ["a", "b", "c"]
    assert [m.tolist() for m in members] == [[1, 3, 6], [0, 4], [2, 5]]
    with pytest.raises(ConfigError, match="3 distinct values .* but 2 sites"):
        partition_indices(np.zeros(7, int), 2, Partition("by-column", column="site"), column=column)


def _source(n_train: int = 300, n_val: int = 60, n_test: int = 80) -> ImageSource:
    rng = np.random.default_rng(0)

    def split(name: str, n: int) -> SplitData:
        return SplitData(ids=[f"{name}-{i}" for i in range(n)], labels=rng.integers(0, 2, n),
                         images=rng.integers(0, 256, (n, 1, 12, 12), dtype=np.uint8))

    return ImageSource(name="toy", origin="toy.npz", task="binary", label_names=["no", "yes"], spatial_dims=2,
                       splits={"train": split("train", n_train), "val": split("val", n_val),
                               "test": split("test", n_test)})


def test_sites_pool_train_and_val_keep_test_out_and_split_site_val() -> None:
    source = _source()
    sites = split_into_sites(source, 3, "dirichlet:1.0", seed=0, val_fraction=0.2)
    ids = [i for s in sites for split in ("train", "val") for i in s.split(split).ids]
    assert sorted(ids) == sorted(source.split("train").ids + source.split("val").ids)
    assert not any(i.startswith("test-") for i in ids)
    for site in sites:
        assert set(site.splits) == {"train", "val"}
        n = len(site.split("train")) + len(site.split("val"))
        assert abs(len(site.split("val")) - 0.2 * n) <= 2


def test_by_column_reads_an_attributes_file(tmp_path) -> None:
    source = _source(60, 0, 10)
    del source.splits["val"]
    ids = source.split("train").ids
    (tmp_path / "attrs.csv").write_text("id,hospital\n" + "".join(f"{i},{'north' if k % 3 else 'south'}\n"
                                                                  for k, i in enumerate(ids)))
    sites = split_into_sites(source, 2, "by-column:hospital", attributes=tmp_path / "attrs.csv", val_fraction=0.2)
    assert [s.name for s in sites] == ["toy-north", "toy-south"]
    assert sum(len(s.split("train")) + len(s.split("val")) for s in sites) == 60
    with pytest.raises(ConfigError, match="no column 'ward'"):
        split_into_sites(source, 2, "by-column:ward", attributes=tmp_path / "attrs.csv")


def test_by_column_reads_the_csv_manifest_itself(tmp_path) -> None:
    import csv

    from meddx.data.sources import load_source
    from meddx.data.synthetic import make_lesion_source, write_manifest

    manifest = write_manifest(make_lesion_source(40, 0, 10, size=12, seed=2), tmp_path)
    rows = list(csv.reader(manifest.open()))
    rows[0].append("Hospital")
    for k, row in enumerate(rows[1:]):
        row.append(["north", "south", "east"][k % 3])
    with manifest.open("w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    source = load_source(manifest, carve_val=False)
    sites = split_into_sites(source, 3, "by-column:Hospital", val_fraction=0.25)
    assert [s.name.rsplit("-", 1)[-1] for s in sites] == ["east", "north", "south"]
    assert [len(s.split("train")) + len(s.split("val")) for s in sites] == [13, 14, 13]


def test_by_column_without_a_csv_names_the_command_line_flag(tmp_path) -> None:
    """The error named only the YAML field (`attributes: FILE.csv`); a user of
    `meddx federated simulate` needs the flag."""
    from meddx.federated.partition import column_values

    npz = tmp_path / "sites.npz"
    npz.write_bytes(b"")
    with pytest.raises(ConfigError, match=r"pass --attributes FILE\.csv \(id,hospital,\.\.\.; YAML: `attributes: FILE\.csv`\)"):
        column_values(["a", "b"], "hospital", None, str(npz))
