"""Flipped and rotated copies (verify_dihedral): found across splits with the right transform, not
reported again for symmetric images (their mirror is an exact/near copy already), not reported for
unrelated images; counted as leakage, removed by the clean manifest, kept together by carving."""

from __future__ import annotations

import numpy as np
import pytest

from meddx.data.base import ImageSource, SplitData
from meddx.data.verify import verify_source
from meddx.data.verify_dihedral import TURNS, compose, thumb_hashes, turn


def _smooth(seed: int, size: int = 64) -> np.ndarray:
    """A smooth random grey image (uint8): distinct images are far apart for verify's hash."""
    from scipy.ndimage import gaussian_filter

    field = gaussian_filter(np.random.default_rng(seed).standard_normal((size, size)), sigma=4)
    return ((field - field.min()) / (field.max() - field.min()) * 255).astype(np.uint8)


def _source(train: list[np.ndarray], test: list[np.ndarray]) -> ImageSource:
    def split(name: str, images: list[np.ndarray]) -> SplitData:
        return SplitData([f"{name}-{i}" for i in range(len(images))], np.zeros(len(images), dtype=np.int64),
                         images=np.stack(images)[:, None])
    return ImageSource("arr", "memory", "binary", ["n", "p"], 2, {"train": split("train", train),
                                                                  "test": split("test", test)})


def _brighter(image: np.ndarray) -> np.ndarray:
    return np.clip(image.astype(np.int32) + 3, 0, 255).astype(np.uint8)


def test_turns_form_the_dihedral_group() -> None:
    probe = np.arange(6).reshape(2, 3)
    assert len({turn(probe, name).tobytes() + bytes(turn(probe, name).shape) for name in TURNS}) == 8
    assert compose("rot90", "rot90") == "rot180" and compose("rot90", "rot270") == "as is"
    assert compose("flip_lr", "flip_ud") == "rot180"
    assert np.array_equal(turn(probe, "transverse"), np.rot90(probe, 2).T)


def test_thumb_hashes_are_the_perceptual_hash_verify_stores() -> None:
    from meddx.data.verify import _fingerprint

    for seed in range(3):
        bits, thumb = _fingerprint(_smooth(seed)[None], 8)
        assert np.array_equal(thumb_hashes(thumb.reshape(1, 32, 32))[0], bits)


@pytest.mark.parametrize("name", ["flip_lr", "flip_ud", "rot90", "rot180", "rot270", "transpose", "transverse"])
def test_a_turned_copy_in_test_is_found_with_its_transform(name: str) -> None:
    train = [_smooth(seed) for seed in range(8)]
    test = [_brighter(turn(train[3], name)), _smooth(100), _smooth(101)]  # a turned copy and two unrelated
    report = verify_source(_source(train, test))

    assert not report.exact_duplicates and not report.near_duplicates
    (group,) = report.flipped_rotated_copies
    assert [(m["id"], m["transform"]) for m in group["members"]] == [("train-3", "as is"), ("test-0", name)]
    assert group["cross_split"] and group["transforms"] == [name] and group["kind"] == "flipped/rotated copy"
    assert report.has_leakage
    s = report.to_dict()["summary"]
    assert s["flipped_rotated_groups"] == 1 and s["flipped_rotated_groups_cross_split"] == 1
    assert s["flipped_rotated_cross_split_samples"] == {"test": 1, "train": 1}
    assert s["any_cross_split_samples"] == {"test": 1, "train": 1}
    assert report.settings["flips_rotations"] and report.settings["search_version"] == 2


def test_unrelated_images_are_not_reported_and_the_search_can_be_skipped() -> None:
    train = [_smooth(seed) for seed in range(10)]
    test = [_smooth(seed) for seed in range(50, 60)]
    report = verify_source(_source(train, test))
    assert not report.flipped_rotated_copies and not report.has_leakage
    skipped = verify_source(_source(train, [turn(train[0], "rot90")]), flips_rotations=False)
    assert not skipped.flipped_rotated_copies and not skipped.has_leakage
    assert skipped.settings["flips_rotations"] is False


def test_a_symmetric_image_s_mirror_is_reported_once_as_an_exact_or_near_copy() -> None:
    half = _smooth(7)[:, :32]
    symmetric = np.concatenate([half, half[:, ::-1]], axis=1)  # its left-right mirror is itself
    train = [symmetric, *(_smooth(seed) for seed in range(6))]
    test = [turn(symmetric, "flip_lr"), _brighter(turn(symmetric, "flip_lr")), _smooth(99)]
    report = verify_source(_source(train, test))
    assert [len(g["members"]) for g in report.exact_duplicates] == [2]  # the byte-identical mirror
    assert [len(g["members"]) for g in report.near_duplicates] == [3]  # and the brightened one
    assert not report.flipped_rotated_copies


def test_a_group_names_each_member_s_turn_relative_to_the_first() -> None:
    train = [_smooth(seed) for seed in range(6)]
    test = [turn(train[2], "rot90"), _brighter(turn(train[2], "flip_lr"))]
    (group,) = verify_source(_source(train, test)).flipped_rotated_copies
    assert {m["id"]: m["transform"] for m in group["members"]} == {"train-2": "as is", "test-0": "rot90",
                                                                  "test-1": "flip_lr"}


def test_the_clean_manifest_drops_the_turned_test_copy() -> None:
    from meddx.data.dedupe import leaked_ids

    train = [_smooth(seed) for seed in range(6)]
    report = verify_source(_source(train, [turn(train[1], "rot180"), _smooth(77)])).to_dict()
    assert leaked_ids(report, ("test",)) == {"test": {"test-0"}}


def test_carving_keeps_a_turned_copy_with_its_original_from_version_3_only() -> None:
    from meddx.data.carve_groups import NEAR_COPY_SETTINGS, near_copy_codes, near_copy_settings

    train = [_smooth(seed) for seed in range(8)] + [turn(_smooth(4), "transpose")]
    source = _source(train, [_smooth(200)])
    codes, groups, samples = near_copy_codes(source, "train", near_copy_settings(True))
    assert NEAR_COPY_SETTINGS["version"] >= 3 and groups == 1 and samples == 2
    assert codes is not None and codes[4] == codes[8] and len(set(codes.tolist())) == 8
    # a bundle recording version 2 (before flipped copies were grouped) re-carves without them
    old = near_copy_settings({**NEAR_COPY_SETTINGS, "version": 2})
    assert near_copy_codes(source, "train", old) == (None, 0, 0)
