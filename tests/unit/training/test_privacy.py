"""DP-SGD mechanics on synthetic tensors: accounting against Opacus' own accountants, the noise
for a target epsilon, stopping before the target, layer substitutions, empty Poisson batches."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

pytest.importorskip("opacus")

from meddx.core.errors import ConfigError  # noqa: E402
from meddx.training.privacy import DPEngine, make_compatible, make_private_for, noise_for  # noqa: E402


def _loader(n: int = 64, batch: int = 16, seed: int = 0) -> DataLoader:
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 1, 12, 12, generator=gen)
    y = (x.mean(dim=(1, 2, 3)) > 0).long()
    return DataLoader(TensorDataset(x, y), batch_size=batch, shuffle=True, generator=gen)


def _train(net: torch.nn.Module, optimizer: torch.optim.Optimizer, loader: DataLoader, epochs: int) -> int:
    steps = 0
    for _ in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            logits = net(x)
            loss = torch.nn.functional.cross_entropy(logits, y) if len(y) else logits.sum() * 0.0
            loss.backward()
            optimizer.step()
            steps += 1
    return steps


def _seed_cnn() -> torch.nn.Module:
    from meddx.models.registry import create_model

    torch.manual_seed(0)
    return create_model("seed-cnn", num_classes=2, image_size=12)


def test_epsilon_matches_opacus_accountants_for_the_steps_taken() -> None:
    from opacus.accountants import PRVAccountant, RDPAccountant

    net = _seed_cnn()
    config = SimpleNamespace(epsilon=None, noise_multiplier=1.1, delta=1e-5, max_grad_norm=1.0, epochs=3)
    net, opt, loader, engine = make_private_for(net, torch.optim.SGD(net.parameters(), lr=0.1), _loader(), config)
    steps = _train(net, opt, loader, epochs=3)
    assert engine.steps == steps == 3 * len(loader)
    rdp = RDPAccountant()
    for _ in range(steps):  # stepped independently, as Opacus' PrivacyEngine does per optimizer step
        rdp.step(noise_multiplier=1.1, sample_rate=loader.sample_rate)
    assert engine.epsilon() == pytest.approx(rdp.get_epsilon(delta=1e-5), rel=1e-9)
    prv = PRVAccountant()
    prv.history = [(1.1, loader.sample_rate, steps)]
    assert 0.5 * engine.epsilon() < prv.get_epsilon(delta=1e-5) <= engine.epsilon() * 1.01  # PRV is tighter
    engine.detach()


def test_noise_for_a_target_epsilon_spends_at_most_the_target() -> None:
    from opacus.accountants import RDPAccountant

    config = SimpleNamespace(epsilon=3.0, noise_multiplier=None, delta=1e-5)
    noise = noise_for(config, sample_rate=0.05, steps=200)
    rdp = RDPAccountant()
    rdp.history = [(noise, 0.05, 200)]
    assert 2.9 <= rdp.get_epsilon(delta=1e-5) <= 3.0
    assert noise_for(SimpleNamespace(epsilon=None, noise_multiplier=0.7, delta=1e-5), 0.05, 200) == 0.7


def test_training_stops_before_the_next_epoch_would_exceed_the_target(tmp_path) -> None:
    from meddx.training.privacy_callback import PrivacyCallback

    steps_per_epoch, target = 20, 2.0
    noise = noise_for(SimpleNamespace(epsilon=target, noise_multiplier=None, delta=1e-5), 0.05, 2 * steps_per_epoch)
    engine = DPEngine(noise_multiplier=noise, max_grad_norm=1.0, sample_rate=0.05, delta=1e-5, target_epsilon=target)
    callback = PrivacyCallback(engine, {"expected_batch_size": 5}, tmp_path / "privacy.json", steps_per_epoch)
    trainer = SimpleNamespace(current_epoch=0, max_epochs=5, should_stop=False)
    logged: list[float] = []
    module = SimpleNamespace(log=lambda name, value, **kw: logged.append(value))
    while not trainer.should_stop and trainer.current_epoch < trainer.max_epochs:
        for _ in range(steps_per_epoch):
            engine.record_step()
        callback.on_train_epoch_end(trainer, module)
        trainer.current_epoch += 1
    assert trainer.current_epoch == 2  # the noise was chosen for two epochs; a third would overspend
    assert logged == sorted(logged) and logged[-1] <= target
    assert engine.epsilon(extra_steps=steps_per_epoch) > target
    section = callback.section()
    assert [e["epoch"] for e in section["per_epoch"]] == [1, 2] and "one more epoch" in section["stopped_early"]
    assert (tmp_path / "privacy.json").is_file()


def test_hooks_leave_the_state_dict_keys_alone() -> None:
    net = _seed_cnn()
    keys = list(net.state_dict())
    engine = DPEngine(noise_multiplier=1.0, max_grad_norm=1.0, sample_rate=0.1, delta=1e-5)
    engine.attach(net)
    assert list(net.state_dict()) == keys
    engine.detach()


def test_batchnorm_and_inplace_residuals_are_substituted_for_resnet() -> None:
    from meddx.models.registry import create_model

    net = create_model("resnet18", num_classes=2, image_size=12, width=4)
    fixed, replaced = make_compatible(net, "resnet18")
    assert any("BatchNorm2d -> GroupNorm" in r for r in replaced)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in fixed.modules())
    engine = DPEngine(noise_multiplier=1.0, max_grad_norm=1.0, sample_rate=0.1, delta=1e-5)
    engine.attach(fixed)
    fixed(torch.randn(3, 1, 12, 12)).sum().backward()  # MONAI's `out += residual` would fail here
    assert all(p.grad_sample is not None and p.grad_sample.shape[0] == 3 for p in fixed.parameters())
    engine.detach()


def test_lstm_becomes_dplstm_and_goes_back_to_the_registered_architecture() -> None:
    from meddx.models.registry import create_model
    from meddx.training.privacy_layers import bundle_network

    torch.manual_seed(0)
    plain = create_model("lstm", num_classes=2, vocab_size=30)
    fixed, replaced = make_compatible(plain, "lstm")
    assert replaced == ["1 LSTM -> DPLSTM"]
    task = SimpleNamespace(net=fixed, hparams={"model_name": "lstm", "num_classes": 2, "model_args": {"vocab_size": 30}})
    back, substituted = bundle_network(task)
    assert not substituted and type(back.lstm) is torch.nn.LSTM
    ids, mask = torch.randint(1, 30, (4, 9)), torch.ones(4, 9, dtype=torch.long)
    fixed.eval()
    with torch.no_grad():
        assert torch.allclose(back(ids, mask), fixed(ids, mask), atol=1e-5)


def test_a_model_without_a_working_substitute_is_refused_before_training(tmp_path) -> None:
    from meddx.tasks.classification import ClassificationTask
    from meddx.training.privacy import private_training

    task = ClassificationTask("transformer", {"vocab_size": 30, "max_length": 16}, "binary", 2)
    ids = torch.randint(1, 30, (8, 10))
    loader = DataLoader(TensorDataset(ids, torch.ones_like(ids), torch.randint(0, 2, (8,))), batch_size=4)
    config = SimpleNamespace(epsilon=3.0, noise_multiplier=None, delta=1e-5, max_grad_norm=1.0, precision="32-true")
    with pytest.raises(ConfigError, match="'transformer' cannot be trained with DP-SGD"):
        private_training(config, SimpleNamespace(epochs=2), task, loader, tmp_path)


def test_an_empty_poisson_batch_still_takes_a_counted_noisy_step() -> None:
    from meddx.tasks.classification import ClassificationTask

    task = ClassificationTask("seed-cnn", {"image_size": 12}, "binary", 2)
    engine = DPEngine(noise_multiplier=1.0, max_grad_norm=1.0, sample_rate=0.1, delta=1e-5)
    engine.attach(task.net)
    opt = engine.wrap_optimizer(torch.optim.SGD(task.net.parameters(), lr=0.1), expected_batch_size=4)
    before = [p.detach().clone() for p in task.net.parameters()]
    opt.zero_grad()
    out = task.step((torch.zeros(0, 1, 12, 12), torch.zeros(0, dtype=torch.long)))
    assert torch.isfinite(out["loss"])
    out["loss"].backward()
    opt.step()
    assert engine.steps == 1
    assert any(not torch.equal(a, b) for a, b in zip(before, task.net.parameters()))  # the noise moved them
    engine.detach()


def test_with_class_weights_a_samples_gradient_does_not_depend_on_the_others(tmp_path) -> None:
    """Audit: a class-weighted cross-entropy averages over the batch's weight sum, so under DP-SGD every
    sample's 'per-sample' gradient was scaled by the other samples' labels; removing one sample then
    moved every other sample's clipped gradient and the sensitivity was no longer the clipping norm.
    Under --dp the weighted loss is averaged over the batch size instead."""
    from meddx.tasks.classification import ClassificationTask
    from meddx.training.config import TrainConfig
    from meddx.training.privacy import private_training

    torch.manual_seed(0)
    task = ClassificationTask("seed-cnn", {"image_size": 12}, "binary", 2, class_weights=[1.0, 4.0])
    config = TrainConfig(data="unused", dp=True, noise_multiplier=1.0)
    private_training(config, SimpleNamespace(epochs=1), task, _loader(), tmp_path)
    x = torch.randn(3, 1, 12, 12, generator=torch.Generator().manual_seed(1))

    def first_samples_gradient(labels: list[int]) -> list[torch.Tensor]:
        engine = DPEngine(noise_multiplier=1.0, max_grad_norm=1.0, sample_rate=0.5, delta=1e-5)
        engine.attach(task.net)
        task.zero_grad(set_to_none=True)
        task.step((x[: len(labels)], torch.tensor(labels)))["loss"].backward()
        grads = [p.grad_sample[0].detach().clone() for p in task.net.parameters() if p.requires_grad]
        engine.detach()
        return grads

    alone = first_samples_gradient([1])
    for others in ([1, 0, 0], [1, 1, 1]):  # the same first sample among others of either class
        for a, b in zip(alone, first_samples_gradient(others)):
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)
