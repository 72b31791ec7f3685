"""Split one source across simulated sites: iid, Dirichlet label skew, or by a column (real sites).

The source's train and val splits are pooled and divided among the sites; its test split stays
with the coordinator as the global held-out test. Each site's share is then split into a
site-train and a site-val (stratified, grouped by patient, as ``carve_validation`` does).
Patients never straddle sites: the unit that is dealt out is the patient when ids exist.

The Dirichlet partitioner is written here (about 20 lines) because Flower's own
(``flwr_datasets.partitioner.DirichletPartitioner``) works on Hugging Face datasets, which our
in-memory sources are not; it follows the same recipe (Hsu et al. 2019): per class, site shares
drawn from Dir(alpha), redrawn until every site has at least ``min_size`` samples.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np

from meddx.core.errors import ConfigError, DataError
from meddx.data.base import ImageSource, SplitData

EXPECTED = "expected iid, dirichlet:ALPHA (ALPHA > 0, e.g. dirichlet:0.5) or by-column:NAME (e.g. by-column:site)"
MAX_DRAWS = 1000


@dataclass(frozen=True)
class Partition:
    """A parsed ``--partition`` string."""

    kind: Literal["iid", "dirichlet", "by-column"]
    alpha: float | None = None
    column: str | None = None

    @property
    def text(self) -> str:
        if self.kind == "dirichlet":
            return f"dirichlet:{self.alpha:g}"
        if self.kind == "by-column":
            return f"by-column:{self.column}"
        return "iid"


def parse_partition(text: str) -> Partition:
    """``iid`` | ``dirichlet:ALPHA`` | ``by-column:NAME``; a clear error for anything else."""
    raw = str(text).strip()
    kind, _, arg = raw.partition(":")
    kind = kind.strip().lower()
    if kind == "iid" and not arg:
        return Partition("iid")
    if kind == "dirichlet":
        try:
            alpha = float(arg)
        except ValueError:
            raise ConfigError(f"partition {raw!r}: ALPHA must be a number; {EXPECTED}") from None
        if not np.isfinite(alpha) or alpha <= 0:
            raise ConfigError(f"partition {raw!r}: ALPHA must be > 0 (smaller is more skewed); {EXPECTED}")
        return Partition("dirichlet", alpha=alpha)
    if kind == "by-column" and arg.strip():
        return Partition("by-column", column=arg.strip())
    raise ConfigError(f"unknown partition {raw!r}; {EXPECTED}")


def partition_indices(labels: np.ndarray, n_sites: int, partition: Partition, *, seed: int = 0,
                      min_size: int = 10, groups: np.ndarray | None = None,
                      column: np.ndarray | None = None) -> tuple[list[np.ndarray], list[str]]:
    """Sample indices of each site, and the site names.

    ``groups`` (patient ids) keeps a patient's samples on one site; ``column`` (one value per
    sample) is required by ``by-column`` and gives one site per distinct value.
    """
    n = len(labels)
    if n_sites < 2:
        raise ConfigError(f"federated learning needs at least 2 sites; got {n_sites}")
    if partition.kind == "by-column":
        return _by_column(column, n_sites, partition.column or "")
    if n < n_sites * min_size:
        raise ConfigError(f"{n} samples cannot give {n_sites} sites at least {min_size} samples each; "
                          "use fewer sites or a lower min_site_samples")
    unit_of, unit_strata = _units(labels, groups)
    rng = np.random.default_rng(seed)
    if partition.kind == "iid":
        order = rng.permutation(len(unit_strata))
        shares = np.array_split(order, n_sites)
    else:
        shares = _dirichlet(unit_strata, unit_of, n_sites, float(partition.alpha or 1.0), min_size, rng)
    members = [np.flatnonzero(np.isin(unit_of, share)) for share in shares]
    return members, [f"site-{i + 1}" for i in range(n_sites)]


def split_into_sites(source: ImageSource, n_sites: int, partition: Partition | str, *, seed: int = 0,
                     val_fraction: float = 0.15, min_size: int = 10,
                     attributes: str | Path | None = None) -> list[ImageSource]:
    """One :class:`ImageSource` per site, each with ``train`` and ``val``, from the pooled
    train (+ val) of ``source``. ``attributes`` (or the CSV manifest itself) holds the column of a
    ``by-column`` partition."""
    from meddx.data.splits import carve_validation

    if isinstance(partition, str):
        partition = parse_partition(partition)
    pooled = concat_splits([source.splits[s] for s in ("train", "val") if s in source.splits])
    column = None
    if partition.kind == "by-column":
        column = column_values(pooled.ids, partition.column or "", attributes, source.origin)
    groups = None if pooled.patient_ids is None else np.asarray(pooled.patient_ids)
    members, names = partition_indices(pooled.labels, n_sites, partition, seed=seed, min_size=min_size,
                                       groups=groups, column=column)
    sites = []
    for name, index in zip(names, members):
        if len(index) < 2:
            raise ConfigError(f"site {name!r} got {len(index)} sample(s); each site needs at least 2 "
                              "(a site-train and a site-val)")
        site = ImageSource(name=f"{source.name}-{name}", origin=f"{source.origin} ({partition.text}, {name})",
                           task=source.task, label_names=list(source.label_names), spatial_dims=source.spatial_dims,
                           splits={"train": pooled.subset(index)}, notes=[f"{name}: {partition.text} partition"])
        sites.append(carve_validation(site, fraction=val_fraction, seed=seed))
    return sites


def concat_splits(splits: list[SplitData]) -> SplitData:
    """The samples of several splits of one source, in order (images or paths, as they hold)."""
    if not splits:
        raise DataError("no split to pool: the source has neither train nor val")
    first = splits[0]
    pats = None if any(s.patient_ids is None for s in splits) else [p for s in splits for p in s.patient_ids]
    return SplitData(
        ids=[i for s in splits for i in s.ids],
        labels=np.concatenate([np.asarray(s.labels) for s in splits]),
        patient_ids=pats,
        images=None if first.images is None else np.concatenate([s.images for s in splits]),
        paths=None if first.paths is None else [p for s in splits for p in s.paths],
    )


def column_file(column: str, attributes: str | Path | None, origin: str) -> Path:
    """The CSV a ``by-column`` partition reads its column from: ``attributes``, else the data itself
    (a CSV manifest); a one-line error when that is no CSV file. Needs no data read, so a run checks
    it before carving (``federated.preflight``)."""
    where = Path(attributes) if attributes else Path(origin)
    if where.suffix.lower() != ".csv" or not where.is_file():
        raise ConfigError(f"by-column:{column} needs a CSV holding column {column!r}: pass --attributes FILE.csv "
                          f"(id,{column},...; YAML: `attributes: FILE.csv`) or use a CSV manifest as the data "
                          f"(got {where})")
    return where


def column_values(ids: list[str], column: str, attributes: str | Path | None, origin: str) -> np.ndarray:
    """The value of ``column`` for each sample id, from the attributes CSV or the CSV manifest."""
    import pandas as pd

    where = column_file(column, attributes, origin)
    if attributes:
        from meddx.evaluation.subgroups import read_attributes

        frame = read_attributes(where)
        frame.columns = [str(c).strip() for c in frame.columns]
    else:
        frame = pd.read_csv(where, dtype=str, keep_default_na=False, skipinitialspace=True)
        frame.columns = [str(c).strip().lower() for c in frame.columns]
        frame = frame.assign(path=frame["path"].str.strip()).set_index("path")
        column = column.strip().lower()  # the manifest reader lower-cases its column names too
    if column not in frame.columns:
        raise ConfigError(f"{where}: no column {column!r} for by-column partition; columns: {', '.join(frame.columns)}")
    values = frame[column].reindex(ids)
    missing = [i for i, v in zip(ids, values) if not isinstance(v, str) or not v.strip()]
    if missing:
        raise DataError(f"{where}: {len(missing)} sample(s) have no {column!r} value, e.g. {missing[0]!r}; "
                        "every training sample needs its site")
    return values.to_numpy(dtype=str)


def _by_column(column: np.ndarray | None, n_sites: int, name: str) -> tuple[list[np.ndarray], list[str]]:
    if column is None:
        raise ConfigError(f"by-column:{name}: no column values given")
    values = sorted(set(column.tolist()))
    if len(values) != n_sites:
        shown = ", ".join(values[:10]) + (" ..." if len(values) > 10 else "")
        raise ConfigError(f"column {name!r} has {len(values)} distinct values ({shown}) but {n_sites} sites were "
                          f"asked for; set sites to {len(values)}")
    return [np.flatnonzero(column == v) for v in values], values


def _units(labels: np.ndarray, groups: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Unit (patient, else sample) of each sample, and each unit's stratum (its first sample's label)."""
    labels = np.asarray(labels)
    strata = labels if labels.ndim == 1 else np.unique(labels, axis=0, return_inverse=True)[1].reshape(-1)
    if groups is None:
        return np.arange(len(labels)), strata
    _, first, unit_of = np.unique(groups, return_index=True, return_inverse=True)
    return unit_of.reshape(-1), strata[first]


def _dirichlet(strata: np.ndarray, unit_of: np.ndarray, n_sites: int, alpha: float, min_size: int,
               rng: np.random.Generator) -> list[np.ndarray]:
    sizes_of_unit = np.bincount(unit_of, minlength=len(strata))
    classes = np.unique(strata)
    for _ in range(MAX_DRAWS):
        shares: list[list[int]] = [[] for _ in range(n_sites)]
        for c in classes:
            idx = rng.permutation(np.flatnonzero(strata == c))
            p = rng.dirichlet(np.full(n_sites, alpha))
            cuts = (np.cumsum(p)[:-1] * len(idx)).astype(int)
            for site, part in enumerate(np.split(idx, cuts)):
                shares[site].extend(part.tolist())
        if min(int(sizes_of_unit[s].sum()) for s in shares) >= min_size:
            return [np.asarray(s, dtype=np.int64) for s in shares]
    raise ConfigError(f"dirichlet:{alpha:g}: after {MAX_DRAWS} draws some site still had fewer than {min_size} "
                      "samples; use a larger ALPHA, fewer sites or a lower min_site_samples")


def pooled_source(source: ImageSource, sites: list[ImageSource]) -> ImageSource:
    """The coordinator's view in a simulation: the union of site-trains as train, of site-vals as
    val (calibration and operating point), and the source's own test split as the global test."""
    splits = {"train": concat_splits([s.split("train") for s in sites]),
              "val": concat_splits([s.split("val") for s in sites])}
    if "test" in source.splits:
        splits["test"] = source.splits["test"]
    note = (f"federated simulation: {len(sites)} sites; val = union of the site validation splits; "
            "test = the source's test split (held out from every site)")
    return replace(source, splits=splits, notes=[*source.notes, note])
