"""Every explanation method a bundle can list in `explain_methods` is accepted by the predict
endpoint's `?explain=` query: a gradient-boosting table bundle lists only `ablation`, which the
query pattern refused with a 422 while the refusal of other methods said "choose from ablation"."""

from __future__ import annotations

import re

import pytest

from meddx.explain.api import TEXT_METHODS
from meddx.explain.image import METHODS as IMAGE_METHODS
from meddx.explain.series import SERIES_METHODS
from meddx.explain.tabular import METHODS as TABLE_METHODS
from meddx.serving.app import EXPLAIN_PATTERN


@pytest.mark.parametrize("method", sorted({*IMAGE_METHODS, *TEXT_METHODS, *SERIES_METHODS, *TABLE_METHODS, "auto"}))
def test_the_query_pattern_accepts_every_listed_method(method: str) -> None:
    assert re.fullmatch(EXPLAIN_PATTERN, method)


def test_the_query_pattern_refuses_other_names() -> None:
    assert not re.fullmatch(EXPLAIN_PATTERN, "shap")
