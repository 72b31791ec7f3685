"""Reading an evaluation source for a segmentation bundle (``meddx evaluate``, ``compare``).

The source keeps its own classes (from its names file, reader or mask values), so a mismatch
with the bundle is seen and described truthfully. A source with fewer classes than the bundle
is mapped onto the bundle's (as classification's ``align_labels`` does), with a note and a
warning naming the classes it lacks; a source with a class the bundle does not know, or of
other dimensions, is refused.
"""

from __future__ import annotations

from typing import Any

from meddx.core.errors import DataError


def load_seg_as_trained(predictor: Any, data: str) -> tuple[Any, list[str]]:
    """``data`` read with the bundle's split fractions and seed (a carved test split is carved as
    in training; the carved cases the bundle records are read back on the same cases), checked
    against and mapped onto the bundle's classes; returns the source and the warnings the
    evaluation must carry."""
    from meddx.data.seg_carve import recorded_memberships
    from meddx.data.segmentation import load_seg_source

    training = predictor.config.get("training", {})
    source = load_seg_source(data, val_fraction=training.get("val_fraction", 0.1),
                             test_fraction=training.get("test_fraction", 0.2), seed=training.get("seed", 0),
                             memberships=recorded_memberships(training))  # the carved cases, read back
    warnings = align_seg_labels(predictor, source)
    check_seg_compatible(predictor, source)
    return source, warnings


def align_seg_labels(predictor: Any, source: Any) -> list[str]:
    """Map a source whose classes are a subset of the bundle's onto the bundle's label indices.

    Named classes (names file, reader) are matched by name; classes inferred from the mask
    values (``label_origin == "masks"``: values 0..k-1 without names) are taken as the bundle's
    first k classes. The source then takes the bundle's names, its masks are remapped on load
    (``SegSource.value_map``), and a note says so. Returns warnings naming the bundle's classes
    the source does not annotate (their Dice only says whether the bundle predicted any).
    Anything else (more classes, an unknown name, other dimensions) is left for
    :func:`check_seg_compatible` to refuse.
    """
    own, wanted = list(source.label_names), list(predictor.label_names)
    if own == wanted or getattr(source, "task", None) != "segmentation" \
            or source.spatial_dims != predictor.spatial_dims:
        return []
    if source.label_origin == "masks":
        if len(own) > len(wanted):
            return []
        value_map, how = list(range(len(own))), f"mask values 0..{len(own) - 1} (no label names) read as"
    else:
        if not set(own) <= set(wanted) or own[0] != wanted[0]:
            return []
        value_map, how = [wanted.index(n) for n in own], f"classes {own} mapped by name onto"
    absent = [n for i, n in enumerate(wanted) if i > 0 and i not in value_map]
    source.notes.append(f"{source.origin}: {how} bundle {predictor.name!r}'s classes {wanted}"
                        + (f"; the source has no class {absent}" if absent else ""))
    source.original_label_names = own
    source.label_names = wanted
    # kept when shorter than the bundle's classes too: no mask may hold a value beyond the source's own
    source.value_map = None if value_map == list(range(len(wanted))) else value_map
    return [f"{source.origin} does not annotate class(es) {absent} of bundle {predictor.name!r}: their Dice is 1 "
            "where the bundle predicts none and 0 where it predicts any, not a measure of agreement"] if absent else []


def check_seg_compatible(predictor: Any, source: Any) -> None:
    """Refuse a source that is not segmentation, or whose classes or dimensions differ from the
    bundle's; the message gives the source's own classes and where they came from."""
    if getattr(source, "task", None) != "segmentation":
        raise DataError(f"{source.origin}: a {source.task} source; bundle {predictor.name!r} segments images")
    own = getattr(source, "original_label_names", None) or list(source.label_names)
    if source.spatial_dims != predictor.spatial_dims:
        raise DataError(f"{source.origin}: {source.spatial_dims}D images with classes {own} "
                        f"({_origin_words(source)}); bundle {predictor.name!r} segments {predictor.spatial_dims}D "
                        f"images into {list(predictor.label_names)}")
    if list(source.label_names) != list(predictor.label_names):
        raise DataError(f"{source.origin}: classes {own} ({_origin_words(source)}) are not among bundle "
                        f"{predictor.name!r}'s classes {list(predictor.label_names)}; expected the same classes, or "
                        "a subset of them named alike (labels.json)")


def _origin_words(source: Any) -> str:
    return {"masks": "inferred from its mask values", "reader": "from its layout", "file": "from its names file",
            "given": "as given"}.get(getattr(source, "label_origin", ""), "as read")
