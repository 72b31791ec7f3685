"""Sites are aligned with the federation by label *name*, never by index, and the admission answer a
site sends the coordinator carries no file path of the site (audit: a site whose manifest listed the
classes in another order was refused; its data file's path reached the server in the refusal)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from meddx.data.base import SplitData
from meddx.data.synthetic import make_lesion_source
from meddx.federated.client import SiteClient
from meddx.federated.config import FederatedConfig
from meddx.federated.spec import FederationSpec, build_task, check_site, get_weights, spec_from_source

SECRET = "/hospital-a/patients/radiology_export.npz"


@pytest.fixture(scope="module")
def site_source():
    source = make_lesion_source(n_train=40, n_val=12, n_test=4, size=16, seed=7)
    del source.splits["test"]
    return replace(source, origin=SECRET)


@pytest.fixture(scope="module")
def spec(site_source) -> FederationSpec:
    return spec_from_source(FederatedConfig(sites=2, batch_size=16), site_source)


def _instructions(spec: FederationSpec) -> dict:
    return {**spec.to_config(), "round": 1}


def _relabelled(source, names: list[str], index: list[int]):
    """The same samples with the label names ``names``; old class ``c`` becomes ``index[c]``."""
    splits = {k: replace(s, labels=np.asarray(index)[s.labels]) for k, s in source.splits.items()}
    return replace(source, label_names=names, splits=splits)


def test_a_site_listing_the_classes_in_another_order_trains_on_the_same_classes(site_source, spec) -> None:
    assert spec.label_names == ["normal", "lesion"]
    swapped = _relabelled(site_source, ["lesion", "normal"], [1, 0])  # same images, same meaning
    client = SiteClient(swapped, "hospital-b")
    assert client.get_properties(_instructions(spec))["ok"] is True
    client._prepare(_instructions(spec))
    _, y = client._split("train", spec)
    np.testing.assert_array_equal(y, site_source.split("train").labels)  # 'lesion' is class 1 in the federation
    weights, n, _ = client.fit(get_weights(build_task(spec).net), _instructions(spec))
    assert n == len(site_source.split("train")) and len(weights) == len(get_weights(build_task(spec).net))


def test_a_site_without_any_case_of_one_class_joins_a_multiclass_federation(site_source) -> None:
    federation = replace(spec_from_source(FederatedConfig(sites=2, batch_size=16), site_source),
                         task="multiclass", label_names=["cyst", "lesion", "normal"])
    client = SiteClient(site_source, "small-clinic")  # holds 'normal' and 'lesion' only
    assert client.get_properties(_instructions(federation))["ok"] is True
    client._prepare(_instructions(federation))
    _, y = client._split("val", federation)
    expected = np.where(site_source.split("val").labels == 1, 1, 2)  # lesion -> 1, normal -> 2
    np.testing.assert_array_equal(y, expected)


def test_labels_that_cannot_be_matched_by_name_are_refused(site_source, spec) -> None:
    other = _relabelled(site_source, ["normal", "tumour"], [0, 1])
    assert check_site(spec, other, "site 'x'")  # 'tumour' is not a class of the federation
    multilabel = replace(spec, task="multilabel", label_names=["lesion", "normal", "effusion"])
    ml_site = replace(site_source, task="multilabel", label_names=["lesion", "normal"],
                      splits={"train": SplitData(ids=["a"], labels=np.ones((1, 2), dtype=np.int64),
                                                 images=site_source.split("train").images[:1])})
    assert check_site(multilabel, ml_site)  # a missing column would read as 'never positive'


def test_the_admission_answer_names_the_site_but_not_its_files(site_source, spec) -> None:
    other = FederationSpec(**{**spec.__dict__, "label_names": ["benign", "malignant"]})
    client = SiteClient(site_source, "hospital-a")
    answer = client.get_properties(_instructions(other))
    assert answer["ok"] is False and "site 'hospital-a'" in answer["problem"] and "benign" in answer["problem"]
    assert SECRET not in answer["problem"] and "radiology_export" not in str(answer)
    assert SECRET in (client.problem or "")  # the site's own error message still says which file



def _with_pixels(source, dtype, scale: float):
    splits = {k: replace(s, images=(np.asarray(s.images).astype(np.float64) * scale).astype(dtype))
              for k, s in source.splits.items()}
    return replace(source, splits=splits)


def test_dtype_scaling_admits_sites_of_other_bit_depths_and_refuses_floats(site_source, spec) -> None:
    """'dtype' divides an integer image by its own bit depth, so a 16-bit site of the same pictures joins an
    8-bit federation (it was refused: 'maximum 65535 ... the federation scales by 255'); floats, which record
    no depth, are refused with the way out."""
    assert spec.scaling == "dtype" and spec.dtype_max == 255.0
    sixteen = _with_pixels(site_source, np.uint16, 257.0)
    assert check_site(spec, sixteen, "hospital-b") == []
    floats = _with_pixels(site_source, np.float32, 1.0)
    problems = check_site(spec, floats, "hospital-c")
    assert len(problems) == 1 and "floating-point" in problems[0] and "--scaling percentile" in problems[0]
    float_federation = replace(spec, dtype_max=1.0)
    assert check_site(float_federation, floats, "hospital-c") == []
    assert "integer pixels" in check_site(float_federation, sixteen, "hospital-b")[0]
