"""Random state in every checkpoint, so a resumed run draws what the uninterrupted run would have.

Lightning's checkpoint holds the weights, optimiser, schedule and callback states, but none of
the random states that decide the next epoch: the training loader's shuffling generator, the
augmentation's own generators (each MONAI random transform carries a numpy ``RandomState``;
segmentation's patch sampler a numpy ``Generator``) and the global torch / numpy / Python
generators (dropout). A resumed run re-created them all from the seed, so the epoch after the
interruption shuffled and augmented as the first epoch had, and ``--seed N --deterministic``
gave other weights than the same run left alone. :class:`RandomStateCheckpoint` saves them with
every checkpoint and puts them back when Lightning loads it, before the first resumed batch is
drawn (Lightning creates the loader's iterator after restoring callback states).

Seeding each epoch from (seed, epoch) instead would also make a resume exact, but it would
change what every normal run draws; restoring the saved states leaves normal runs untouched.
Lightning's own stateful-loader support needs a ``state_dict`` on the loader (torchdata's
``StatefulDataLoader``), which knows nothing of the transforms' generators, hence this callback.
"""

from __future__ import annotations

import logging
import random
from typing import Any

import numpy as np
import torch
from lightning.pytorch.callbacks import Callback

_ATOMS = (str, bytes, int, float, bool, type(None), torch.Tensor, np.ndarray, torch.nn.Module)
MAX_DEPTH = 32  # a guard only: segmentation's affine grid generator sits 8 levels below the loader


def find_generators(root: Any) -> list[Any]:
    """Every ``torch.Generator``, ``np.random.RandomState`` and ``np.random.Generator`` reachable
    from ``root`` through attributes, lists, tuples and dicts, each once, in a fixed order
    (depth-first, attribute order), so the same objects built again list in the same order.

    Hand-written: neither MONAI nor torch lists the generators of a composed transform or a
    dataset (MONAI's ``set_random_state`` only re-seeds them)."""
    found: list[Any] = []
    seen: set[int] = set()

    def walk(obj: Any, depth: int) -> None:
        if id(obj) in seen or depth > MAX_DEPTH:
            return
        seen.add(id(obj))
        if isinstance(obj, (torch.Generator, np.random.RandomState, np.random.Generator)):
            found.append(obj)
            return
        shared = getattr(type(obj), "R", None)  # MONAI's class-level generator, used by a transform never seeded
        if isinstance(shared, np.random.RandomState) and "R" not in getattr(obj, "__dict__", {}):
            walk(shared, depth + 1)
        if isinstance(obj, _ATOMS) or callable(obj) and not hasattr(obj, "__dict__"):
            return
        if isinstance(obj, dict):
            for value in obj.values():
                walk(value, depth + 1)
        elif isinstance(obj, (list, tuple)):
            if obj and isinstance(obj[0], _ATOMS) and not isinstance(obj[0], torch.nn.Module):
                return  # a dataset's paths, labels or token ids (homogeneous): no generator inside, and long
            for value in obj:
                walk(value, depth + 1)
        elif hasattr(obj, "__dict__") and not isinstance(obj, type):
            for value in vars(obj).values():
                walk(value, depth + 1)

    walk(root, 0)
    return found


def loader_generators(loader: Any) -> list[Any]:
    """The generators a training loader draws from: its shuffling generator, its sampler's and
    batch sampler's (Opacus' Poisson sampler), and those of its dataset (augmentation, patch
    sampling). Not the loader's running iterator, which exists at saving but not at loading."""
    parts = [getattr(loader, name, None) for name in ("generator", "dataset", "sampler", "batch_sampler")]
    return find_generators(parts)


def get_state(gen: Any) -> dict[str, Any]:
    """``gen``'s state as tensors, numbers and strings: a checkpoint is read with ``weights_only``."""
    if isinstance(gen, torch.Generator):
        return {"kind": "torch", "state": gen.get_state()}
    if isinstance(gen, np.random.RandomState):
        return {"kind": "RandomState", "state": _plain(gen.get_state(legacy=False))}
    return {"kind": "Generator", "state": _plain(gen.bit_generator.state)}


def set_state(gen: Any, saved: dict[str, Any]) -> None:
    if isinstance(gen, torch.Generator):
        gen.set_state(saved["state"])
    elif isinstance(gen, np.random.RandomState):
        gen.set_state(_numpy(saved["state"]))
    else:
        gen.bit_generator.state = _numpy(saved["state"])


def _kind(gen: Any) -> str:
    return "torch" if isinstance(gen, torch.Generator) else type(gen).__name__


def global_states() -> dict[str, Any]:
    """The process-wide torch, numpy and Python generators (CPU: meddx trains on the CPU)."""
    return {"torch": torch.get_rng_state(), "numpy": _plain(np.random.get_state(legacy=False)),
            "python": random.getstate()}


def set_global_states(saved: dict[str, Any]) -> None:
    torch.set_rng_state(saved["torch"])
    np.random.set_state(_numpy(saved["numpy"]))
    version, state, gauss = saved["python"]
    random.setstate((version, tuple(state), gauss))


class RandomStateCheckpoint(Callback):
    """Save the random states of ``train_loader`` and of the process with every checkpoint; put
    them back when a checkpoint is loaded (``--resume``). A checkpoint written before meddx saved
    them resumes as before (from the seed); generators that no longer match the checkpoint's (the
    augmentation changed in an edited ``plan.json``) are left as seeded, with a warning."""

    def __init__(self, train_loader: Any) -> None:
        self.train_loader = train_loader

    def state_dict(self) -> dict[str, Any]:
        return {"global": global_states(),
                "loader": [get_state(gen) for gen in loader_generators(self.train_loader)]}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        set_global_states(state_dict["global"])
        gens, saved = loader_generators(self.train_loader), state_dict.get("loader", [])
        if [_kind(g) for g in gens] != [s["kind"] for s in saved]:
            logging.getLogger(__name__).warning(
                "resume: the training loader's random generators differ from the checkpoint's (augmentation "
                "changed?); its shuffling and augmentation start again from the seed")
            return
        for gen, s in zip(gens, saved):
            set_state(gen, s)


def _plain(value: Any) -> Any:
    """numpy arrays inside a state -> ``{"ndarray": tensor, "dtype": name}`` (``weights_only`` reads no numpy)."""
    if isinstance(value, np.ndarray):
        return {"ndarray": torch.from_numpy(value.astype(np.int64) if value.dtype.kind in "ui" else value.copy()),
                "dtype": value.dtype.str}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _numpy(value: Any) -> Any:
    """The inverse of :func:`_plain`."""
    if isinstance(value, dict) and set(value) == {"ndarray", "dtype"}:
        return value["ndarray"].numpy().astype(np.dtype(value["dtype"]))
    if isinstance(value, dict):
        return {k: _numpy(v) for k, v in value.items()}
    return value
