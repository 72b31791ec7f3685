"""A site's client: what it sends (weights and scalars only, never data), its checks, local training."""

from __future__ import annotations

import numpy as np
import pytest

from meddx.core.errors import ConfigError
from meddx.data.synthetic import make_lesion_source
from meddx.federated.config import FederatedConfig
from meddx.federated.spec import FederationSpec, build_task, check_site, get_weights, set_weights, spec_from_source

ALLOWED_FIT = {"site", "round", "train_loss", "steps"}
ALLOWED_EVAL = {"site", "round", "loss", "auc"}


@pytest.fixture(scope="module")
def site_source():
    source = make_lesion_source(n_train=80, n_val=30, n_test=10, size=16, seed=3)
    del source.splits["test"]
    return source


@pytest.fixture(scope="module")
def spec(site_source) -> FederationSpec:
    return spec_from_source(FederatedConfig(sites=2, lr=3e-3, batch_size=16), site_source)


def _instructions(spec: FederationSpec, rnd: int = 1, **extra) -> dict:
    return {**spec.to_config(), "round": rnd, **extra}


def _sent_bytes(parameters) -> bytes:
    return b"".join(parameters.tensors)


def test_spec_round_trips_and_a_missing_spec_is_explained(spec: FederationSpec) -> None:
    assert FederationSpec.from_config(spec.to_config()) == spec
    with pytest.raises(ConfigError, match="carries no meddx federation spec"):
        FederationSpec.from_config({"round": 1})


def test_site_with_other_labels_is_refused_by_name(site_source, spec: FederationSpec) -> None:
    other = FederationSpec(**{**spec.__dict__, "label_names": ["benign", "malignant"]})
    problems = check_site(other, site_source, "site 'x'")
    assert len(problems) == 1
    assert "site 'x'" in problems[0] and "['normal', 'lesion']" in problems[0] and "['benign', 'malignant']" in problems[0]
    assert check_site(spec, site_source) == []


def test_set_weights_refuses_a_different_model(spec: FederationSpec) -> None:
    net = build_task(spec).net
    weights = get_weights(net)
    with pytest.raises(ConfigError, match="received 3 weight tensors"):
        set_weights(net, weights[:3])
    with pytest.raises(ConfigError, match="received shape"):
        set_weights(net, [w[..., :1] if w.ndim > 1 else w for w in weights])


def test_what_a_client_sends_holds_no_data(site_source, spec: FederationSpec) -> None:
    """Intercept every reply a site gives: weight tensors of the model's shapes and scalars only;
    no image (raw or preprocessed), label vector or sample id appears in the bytes sent."""
    import torch
    from flwr.common import EvaluateIns, FitIns, GetPropertiesIns, ndarrays_to_parameters, parameters_to_ndarrays

    from meddx.federated.client import SiteClient
    from meddx.federated.spec import preprocessor
    from meddx.training.data import preprocess_split

    torch.manual_seed(0)
    initial = get_weights(build_task(spec).net)
    client = SiteClient(site_source, "north").to_client()
    fit = client.fit(FitIns(ndarrays_to_parameters(initial), _instructions(spec)))
    ev = client.evaluate(EvaluateIns(fit.parameters, _instructions(spec)))
    props = client.get_properties(GetPropertiesIns(spec.to_config()))

    sent = parameters_to_ndarrays(fit.parameters)
    assert [a.shape for a in sent] == [a.shape for a in initial]
    assert all(a.dtype == np.float32 for a in sent)
    assert not all(np.array_equal(a, b) for a, b in zip(sent, initial))  # it did train
    assert fit.num_examples == len(site_source.split("train")) and ev.num_examples == len(site_source.split("val"))
    assert set(fit.metrics) == ALLOWED_FIT and set(ev.metrics) == ALLOWED_EVAL
    assert set(props.properties) == {"site", "ok", "problem"} and props.properties["ok"] is True
    for metrics in (fit.metrics, ev.metrics):
        assert all(isinstance(v, (int, float)) for k, v in metrics.items() if k != "site")
        assert metrics["site"] == "north"

    payload = _sent_bytes(fit.parameters) + repr(fit.metrics).encode() + repr(ev.metrics).encode() \
        + repr(props.properties).encode()
    pre = preprocessor(spec)
    for split in ("train", "val"):
        data = site_source.split(split)
        processed = preprocess_split(site_source, split, pre, progress=False)
        for raw, x in zip(data.images, processed):
            assert raw.tobytes() not in payload
            assert x.tobytes()[:256] not in payload
        assert np.asarray(data.labels).tobytes() not in payload
        assert not any(sid.encode() in payload for sid in data.ids)


def test_local_training_lowers_the_loss_and_fedprox_stays_nearer_the_global_model(site_source, spec) -> None:
    import torch

    from meddx.federated.local import evaluate_arrays, train_local
    from meddx.federated.spec import preprocessor
    from meddx.training.data import preprocess_split

    x = preprocess_split(site_source, "train", preprocessor(spec), progress=False)
    y = np.asarray(site_source.split("train").labels)
    long = FederationSpec(**{**spec.__dict__, "local_epochs": 4})
    distances = {}
    for mu in (0.0, 10.0):
        torch.manual_seed(0)
        task = build_task(long)
        start = [p.detach().clone() for p in task.net.parameters()]
        before, _ = evaluate_arrays(task, x, y)
        train_local(task, x, y, long, mu=mu, seed=0)
        after, _ = evaluate_arrays(task, x, y)
        if mu == 0.0:
            assert after < before
        distances[mu] = float(sum(((p.detach() - s) ** 2).sum() for p, s in zip(task.net.parameters(), start)))
    assert distances[10.0] < 0.8 * distances[0.0]


def test_auc_is_none_where_undefined() -> None:
    from meddx.federated.local import auc_of

    probs = np.array([[0.2, 0.8], [0.6, 0.4]])
    assert auc_of(np.array([1, 1]), probs, "binary") is None
    assert auc_of(np.array([1, 0]), probs, "binary") == 1.0


def test_client_dp_reports_growing_epsilon_and_sends_weights_only(site_source, spec: FederationSpec) -> None:
    from flwr.common import FitIns, ndarrays_to_parameters, parameters_to_ndarrays

    from meddx.federated.client import SiteClient

    private = FederationSpec(**{**spec.__dict__, "client_dp": {"noise_multiplier": 1.0, "epsilon": None,
                                                              "delta": 1e-5, "max_grad_norm": 1.0, "epochs": 2}})
    weights = get_weights(build_task(private).net)
    client = SiteClient(site_source, "dp-site").to_client()
    epsilons = []
    for rnd in (1, 2):
        res = client.fit(FitIns(ndarrays_to_parameters(weights), _instructions(private, rnd)))
        assert set(res.metrics) == ALLOWED_FIT | {"epsilon", "noise_multiplier", "sample_rate", "dp_steps"}
        epsilons.append(res.metrics["epsilon"])
        weights = parameters_to_ndarrays(res.parameters)
    assert 0 < epsilons[0] < epsilons[1]  # the accountant carries over between rounds
    # What the site reports is enough to recompute its epsilon (RDP, as the site's accountant).
    from opacus.accountants import RDPAccountant

    accountant = RDPAccountant()
    accountant.history = [(res.metrics["noise_multiplier"], res.metrics["sample_rate"], int(res.metrics["dp_steps"]))]
    assert res.metrics["noise_multiplier"] == 1.0 and 0 < res.metrics["sample_rate"] < 1
    assert accountant.get_epsilon(delta=1e-5) == pytest.approx(epsilons[1], rel=1e-9)
    assert [w.shape for w in weights] == [w.shape for w in get_weights(build_task(spec).net)]
