"""Run MONAI random transforms on plain tensors, without metadata tracking.

MONAI wraps every tensor a transform touches in a ``MetaTensor`` and records each step (affine,
applied operations) so that it can be inverted. Training augmentation never inverts anything,
and on small images that bookkeeping costs more than the arithmetic: a flip + affine on a
28 px image takes 2.3 ms with tracking and 1.3 ms without, with identical values (measured
with ``benchmarks/augment_speed.py``). MONAI's switch for this, ``set_track_meta(False)``, is
process-wide, so ``PlainTensors`` turns it off only for the duration of one call and restores
what it found.
"""

from __future__ import annotations

from typing import Any


class PlainTensors:
    """Callable wrapper: ``transform(data)`` with MONAI metadata tracking off; plain tensors out.

    ``set_random_state`` is passed through, so seeding the wrapper seeds the wrapped transform.
    """

    def __init__(self, transform: Any) -> None:
        self.transform = transform

    def set_random_state(self, seed: int | None = None, state: Any = None) -> "PlainTensors":
        self.transform.set_random_state(seed=seed, state=state)
        return self

    def __call__(self, data: Any) -> Any:
        from monai.data import get_track_meta, set_track_meta

        tracking = get_track_meta()
        set_track_meta(False)
        try:
            return self.transform(data)
        finally:
            set_track_meta(tracking)

    def __repr__(self) -> str:
        return f"PlainTensors({self.transform!r})"
