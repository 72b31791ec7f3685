"""Time per sample of the training augmentation presets, with and without MONAI metadata tracking.

    python benchmarks/augment_speed.py [--samples 300]

meddx runs its augmentation through ``PlainTensors`` (tracking off). This prints, for each
classification and segmentation preset at the sizes meddx trains at, the milliseconds per
sample both ways, and checks that the two give identical tensors from the same seed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import print_table  # noqa: E402


def _time(make: Callable[[], Any], sample: Callable[[], Any], n: int) -> tuple[float, list[Any]]:
    aug = make()
    start = time.perf_counter()
    outs = [aug(sample()) for _ in range(n)]
    return (time.perf_counter() - start) / n * 1000, outs


def _plain(x: Any) -> Any:
    import torch

    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    return torch.as_tensor(x).as_subclass(torch.Tensor)


def _equal(a: Any, b: Any) -> bool:
    import torch

    if isinstance(a, dict):
        return all(torch.equal(_plain(a[k]), _plain(b[k])) for k in a)
    return torch.equal(_plain(a), _plain(b))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args()

    import torch

    from meddx.training.seg_data import build_seg_augmentation
    from meddx.transforms.image import build_augmentation

    cases: list[tuple[str, tuple[int, ...], Callable[[], Any], Callable[[], Any]]] = []
    for preset in ("light", "strong", "shift"):
        for size in ((28, 28), (128, 128), (28, 28, 28)):
            image = torch.randn(1, *size)
            cases.append((f"classification {preset}", size,
                          lambda p=preset, s=size: build_augmentation(p, s, seed=0), lambda im=image: im.clone()))
    for preset in ("light", "strong"):
        for size in ((48, 48), (256, 256), (32, 32, 32)):
            image, label = torch.randn(1, *size), (torch.rand(1, *size) > 0.5).float()
            cases.append((f"segmentation {preset}", size,
                          lambda p=preset, s=size: build_seg_augmentation(p, len(s), seed=0),
                          lambda im=image, lb=label: {"image": im.clone(), "label": lb.clone()}))
    rows = []
    for name, size, make, sample in cases:
        plain_ms, plain_out = _time(make, sample, args.samples)
        tracked_ms, tracked_out = _time(lambda m=make: m().transform, sample, args.samples)  # the bare MONAI Compose
        same = all(_equal(a, b) for a, b in zip(plain_out, tracked_out))
        rows.append([name, "x".join(map(str, size)), tracked_ms, plain_ms, tracked_ms / plain_ms, same])
    print_table(f"Augmentation, ms per sample ({args.samples} samples, one process)",
                ["preset", "size", "MONAI with metadata", "meddx (plain tensors)", "speed-up", "identical"], rows)


if __name__ == "__main__":
    main()
