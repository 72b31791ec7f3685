"""Weight averaging (EMA): the decay from a horizon in epochs, and the average Lightning keeps."""

from __future__ import annotations

import pytest

from meddx.core.errors import ConfigError
from meddx.training.averaging import ema_callback, ema_decay
from meddx.training.config import TrainConfig


def test_decay_gives_a_memory_of_the_requested_epochs() -> None:
    assert ema_decay(2.0, 50) == pytest.approx(1 - 1 / 100)
    assert ema_decay(0.5, 10) == pytest.approx(1 - 1 / 5)
    assert 1 / (1 - ema_decay(3.0, 37)) == pytest.approx(111)
    assert ema_decay(0.1, 1) == 0.0  # shorter than one step: no averaging (the weights themselves)


def test_ema_average_matches_the_closed_form() -> None:
    """One weight w trained by SGD with lr 1 on loss = w falls by exactly 1 per step
    (w_t = -t after t steps from 0). The EMA Lightning keeps must equal the closed form
    e_1 = w_1, e_t = d e_{t-1} + (1 - d) w_t, and the raw weight must still be -T."""
    import lightning as L
    import torch

    class Falling(L.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(()))

        def training_step(self, batch, batch_idx):  # noqa: ANN001
            return self.w * 1.0

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=1.0)

    steps_per_epoch, epochs = 4, 3
    callback, record = ema_callback(0.5, steps_per_epoch)  # memory of 2 steps: decay 0.5
    assert record == {"epochs": 0.5, "steps_per_epoch": 4, "decay": 0.5}
    loader = torch.utils.data.DataLoader(torch.zeros(steps_per_epoch, 1), batch_size=1)
    module = Falling()
    trainer = L.Trainer(max_epochs=epochs, callbacks=[callback], accelerator="cpu", logger=False,
                        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(module, loader)
    total = steps_per_epoch * epochs
    expected = -1.0  # the first update copies the weights after step 1
    for t in range(2, total + 1):
        expected = 0.5 * expected + 0.5 * (-float(t))
    # At the end of training Lightning copies the average into the module.
    assert float(module.w.detach()) == pytest.approx(expected)
    assert expected > -total  # the average lags behind the raw weight (-12): it is not the raw weight


def test_ema_and_dp_are_refused_together() -> None:
    with pytest.raises(ConfigError, match="--ema cannot be combined with --dp"):
        TrainConfig(data="x.npz", dp=True, epsilon=3.0, ema_epochs=1.0)
    assert TrainConfig(data="x.npz", ema_epochs=1.0).ema_epochs == 1.0
