"""An unknown ``--model`` is answered with the models of the source's kind only. Found by an audit:
``meddx train --data medical_tc_test.csv --model lstmm`` listed densenet121, dynunet, gbm, grud, ...
(image, segmentation, series and table models) for a text source."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from meddx.core.errors import ModelError
from meddx.core.registry import Registry
from meddx.models.registry import list_models, model_info


def _valid_names(message: str) -> set[str]:
    return {n.strip() for n in message.split("Valid names:")[1].split(",")}


def test_registry_check_name_lists_and_suggests_only_the_given_names() -> None:
    reg: Registry[int] = Registry("model")
    for name, kind in (("lstm", "text"), ("lstm3d", "image"), ("gbm", "features")):
        reg.register(name, input=kind)(lambda: 0)
    assert reg.names_where(input="text") == ["lstm"]
    with pytest.raises(ModelError) as err:
        reg.check_name("lstmm", reg.names_where(input="text"), "text model")
    message = str(err.value)
    assert message.startswith("unknown text model 'lstmm'. Did you mean 'lstm'?")
    assert _valid_names(message) == {"lstm"}
    reg.check_name("gbm", ["lstm"])  # a registered name of another kind passes: the caller says what it reads


def test_text_typo_lists_text_models_only() -> None:
    from meddx.training.text_fit import _check_model

    plan = SimpleNamespace(model="lstmm", model_args={})
    with pytest.raises(ModelError) as err:
        _check_model(plan, SimpleNamespace(origin="notes.csv", num_classes=2))
    message = str(err.value)
    assert "unknown text model 'lstmm'. Did you mean 'lstm'" in message
    text_models = {n for n in list_models() if model_info(n)["input"] == "text"}
    assert _valid_names(message) == text_models
    assert {"densenet121", "unet", "gbm", "grud"}.isdisjoint(_valid_names(message))


def test_text_source_with_an_image_model_still_says_what_it_reads() -> None:
    from meddx.training.text_fit import _check_model

    with pytest.raises(ModelError, match="model 'resnet18' reads images, but notes.csv holds documents"):
        _check_model(SimpleNamespace(model="resnet18", model_args={}), SimpleNamespace(origin="notes.csv", num_classes=2))


def test_table_typo_lists_table_models_only() -> None:
    from meddx.training.config import TrainConfig
    from meddx.training.tabular_plan import make_tabular_plan

    with pytest.raises(ModelError) as err:
        make_tabular_plan(TrainConfig(data="t.csv", model="gmb"), SimpleNamespace(origin="t.csv"))
    message = str(err.value)
    assert "unknown table model 'gmb'. Did you mean 'gbm'" in message
    assert _valid_names(message) == {"gbm", "logreg", "mlp"}


def test_image_classifier_and_segmentation_names_are_told_apart() -> None:
    with pytest.raises(ModelError) as err:
        model_info("resnet81", input="image", output="logits")
    message = str(err.value)
    assert "unknown image classifier 'resnet81'. Did you mean" in message and "'resnet18'" in message
    assert "unet" not in _valid_names(message) and "resnet18" in _valid_names(message)
    with pytest.raises(ModelError, match="unknown segmentation model 'unett'. Did you mean 'unet'"):
        model_info("unett", input="image", output="segmentation")


def test_text_typo_fails_before_the_baseline_is_fitted(monkeypatch: pytest.MonkeyPatch) -> None:
    """It came after the TF-IDF baseline and the tokenizer were fitted: about 25 s on the
    medical-abstracts CSV before the one-line error."""
    from meddx.training import text_fit
    from meddx.training.config import TrainConfig

    def too_late(*_: object) -> None:
        raise AssertionError("the baseline was fitted before the model name was checked")

    monkeypatch.setattr(text_fit, "_fit_baseline", too_late)
    source = SimpleNamespace(origin="notes.csv", num_classes=2, task="multiclass")
    with pytest.raises(ModelError, match="unknown text model 'lstmm'. Did you mean 'lstm'"):
        text_fit.fit_text(TrainConfig(data="notes.csv", model="lstmm"), source, None)  # type: ignore[arg-type]


def test_image_typo_lists_image_classifiers_only() -> None:
    """``meddx train --data IMAGES --model resnet19`` listed segmentation, text, series and table models."""
    from meddx.training.plan import _check_model

    plan = SimpleNamespace(model="resnet19", model_args={}, class_weights=None)
    with pytest.raises(ModelError) as err:
        _check_model(plan, SimpleNamespace(origin="xrays/", spatial_dims=2), {})
    message = str(err.value)
    assert "unknown image classifier 'resnet19'. Did you mean" in message, message
    names = _valid_names(message)
    assert {"resnet18", "densenet121", "seed-cnn"} <= names
    assert names.isdisjoint({"lstm", "gbm", "unet", "grud"}), names



@pytest.mark.parametrize("model, words", [("logreg", "table features"), ("grud", "time series")])
def test_a_text_source_says_what_another_model_reads_in_words(model: str, words: str) -> None:
    """``model 'logreg' reads featuress`` was the message (the input kind with an "s" glued on)."""
    from meddx.training.text_fit import _check_model

    with pytest.raises(ModelError, match=f"model '{model}' reads {words}, but notes.csv holds documents"):
        _check_model(SimpleNamespace(model=model, model_args={}), SimpleNamespace(origin="notes.csv", num_classes=2))


def test_a_table_source_says_what_a_series_model_reads_in_words() -> None:
    from meddx.training.config import TrainConfig
    from meddx.training.tabular_plan import make_tabular_plan

    with pytest.raises(ModelError, match="model 'grud' reads time series, but t.csv is a table"):
        make_tabular_plan(TrainConfig(data="t.csv", model="grud"), SimpleNamespace(origin="t.csv"))
