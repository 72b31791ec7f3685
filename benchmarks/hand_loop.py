"""The issue's bare PyTorch loop, rebuilt, as the reference meddx's defaults must match.

    python benchmarks/hand_loop.py ../shared/data/medmnist/pneumoniamnist.npz --seed 0

Issue 2 quotes one run of a hand-written loop (.982 / .944 on PneumoniaMNIST in 10 minutes) and
asks meddx's defaults to do at least as well through the framework. This is that loop, written
without meddx's trainer, so both can be run on the same machine:
- meddx's small-stem ResNet-18 (``--width``: 32 is what meddx's planner picks where full width fits
  fewer than 15 epochs in 10 minutes, 64 is the network's own width);
- AdamW (lr 2e-3, weight decay .05), batch 128, class-weighted cross-entropy;
- one epoch at full rate, then a cosine decay to 0 over the epochs that fit the budget, from the
  first epoch's time;
- bf16 autocast where the CPU has it (``--precision``), random left-right flips and whole-pixel
  shifts of up to 3 px;
- the final epoch, a left-right flip at test time, argmax (threshold .5).
Binary 2D MedMNIST files only. Nothing is chosen on the test split.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import print_table  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("npz", type=Path, help="a binary 2D MedMNIST file, e.g. pneumoniamnist.npz")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--width", type=int, default=32, help="first-stage channels of the ResNet-18")
    parser.add_argument("--minutes", type=float, default=10.0, help="training budget (wall minutes)")
    parser.add_argument("--precision", choices=("auto", "32-true", "bf16-mixed"), default="auto")
    args = parser.parse_args()

    import torch

    from meddx.training.fit import resolve_precision

    torch.manual_seed(args.seed)
    precision = resolve_precision(args.precision, 2)
    data = np.load(args.npz)
    x_train, y_train, x_test, y_test = _arrays(data)
    start = time.perf_counter()
    net, epochs, first = _train(x_train, y_train, args.width, args.minutes * 60, precision == "bf16-mixed")
    wall = (time.perf_counter() - start) / 60
    auc, acc = _test(net, x_test, y_test)
    print_table(f"{args.npz.stem}: the bare loop (test split)",
                ["loop", "test AUC", "test ACC", "epochs", "first epoch s", "wall min", "precision"],
                [[f"hand loop width={args.width} seed={args.seed}", auc, acc, epochs, round(first, 1), wall, precision]])


def _arrays(data):  # type: ignore[no-untyped-def]
    """Train and test tensors, scaled to [0, 1] and standardised by the training mean and std."""
    import torch

    if data["train_images"].ndim != 3 or len(np.unique(data["train_labels"])) != 2:
        raise SystemExit("hand_loop.py takes a binary 2D MedMNIST file (images N x H x W, two labels)")
    x_train = torch.tensor(data["train_images"], dtype=torch.float32)[:, None] / 255
    mean, std = x_train.mean(), x_train.std()
    x_test = torch.tensor(data["test_images"], dtype=torch.float32)[:, None] / 255
    y_train = torch.tensor(data["train_labels"].ravel(), dtype=torch.long)
    return (x_train - mean) / std, y_train, (x_test - mean) / std, data["test_labels"].ravel()


def _shift_and_flip(x, max_shift: int = 3):  # type: ignore[no-untyped-def]
    """The loop's own batch augmentation, deliberately not meddx's `shift` preset: the reference
    must not share code with what it checks."""
    import torch
    import torch.nn.functional as F

    flip = torch.rand(len(x)) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(-1), x)
    h, w = x.shape[-2:]
    padded = F.pad(x, (max_shift,) * 4, mode="replicate")
    dy, dx = torch.randint(0, 2 * max_shift + 1, (2, len(x)))
    return torch.stack([padded[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(len(x))])


def _train(x, y, width: int, seconds: float, bf16: bool):  # type: ignore[no-untyped-def]
    """The loop: returns the network at its final epoch, the epochs run and the first epoch's seconds."""
    import torch
    import torch.nn.functional as F

    from meddx.models.registry import create_model

    net = create_model("resnet18", num_classes=2, in_channels=1, spatial_dims=2, image_size=x.shape[-1], width=width)
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=0.05)
    weights = len(y) / (2 * torch.bincount(y).float())
    batch, steps = 128, (len(y) + 127) // 128

    def epoch(rate_at) -> None:  # type: ignore[no-untyped-def]
        net.train()
        order = torch.randperm(len(y))
        for s in range(steps):
            for group in opt.param_groups:
                group["lr"] = rate_at(s / steps)
            idx = order[s * batch:(s + 1) * batch]
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                loss = F.cross_entropy(net(_shift_and_flip(x[idx])).float(), y[idx], weight=weights)
            opt.zero_grad()
            loss.backward()
            opt.step()

    start = time.perf_counter()
    epoch(lambda f: 2e-3)
    first = time.perf_counter() - start
    epochs = max(2, int(seconds * 0.95 / first))
    for e in range(1, epochs):
        epoch(lambda f, e=e: 2e-3 * 0.5 * (1 + np.cos(np.pi * (e - 1 + f) / (epochs - 1))))
    return net, epochs, first


def _test(net, x, y):  # type: ignore[no-untyped-def]
    """Test AUC and accuracy at argmax, averaging the image and its left-right mirror."""
    import torch
    from sklearn.metrics import roc_auc_score

    net.eval()
    with torch.no_grad():
        p = torch.cat([(net(b).softmax(1) + net(b.flip(-1)).softmax(1)) / 2 for b in x.split(256)])[:, 1].numpy()
    return float(roc_auc_score(y, p)), float(((p >= 0.5) == y).mean())


if __name__ == "__main__":
    main()
