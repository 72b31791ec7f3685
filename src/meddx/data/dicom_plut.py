"""The Presentation LUT of projection X-ray DICOM (PresentationLUTSequence, PS3.3 C.11.4/C.11.6):
the last grey-scale step, after the VOI (:mod:`meddx.data.dicom_voi`), which maps the VOI's output
to P-values, ``0 .. 2**n - 1`` for n-bit LUT entries (PS3.4 N.2.1.4).

The LUT's input is the VOI's output range: "the number of entries shall be equal to the number of
possible values in the input" (PS3.3 C.11.4.1), so the VOI output ``[lo, hi]`` is scaled linearly
onto the entries ``0 .. N-1`` (the identity when N is the window's own number of values) and
rounded to the nearest entry. pydicom's ``apply_presentation_lut`` is not used for this step (it
is hand-written here): it scales each array by its own minimum and maximum, not the VOI's range,
so one pixel value gets another P-value in another picture (or another chunk of frames), and a
uniform picture divides by zero. pydicom still decodes the LUT entries (``apply_voi``: US or OW,
in the file's byte order); unused high bits are cleared, as ``apply_presentation_lut`` does.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np

from meddx.core.errors import DataError

_BITS = range(8, 17)
"""Bits per entry accepted: the standard's 10 to 16 and the 8 of older print LUTs (as pydicom)."""


@dataclass(frozen=True)
class PresentationLUT:
    """The decoded LUT: ``table`` (P-value of each entry) and ``top`` (``2**bits - 1``)."""

    table: np.ndarray
    top: int

    def apply(self, out: np.ndarray, lo: float, hi: float) -> np.ndarray:
        """P-values of VOI output ``out`` whose range is ``[lo, hi]`` (``hi < lo`` when a negative
        rescale slope reversed it: then ``lo`` still maps to the first entry)."""
        last = len(self.table) - 1
        index = np.clip(np.rint((np.asarray(out, dtype=np.float64) - lo) * (last / (hi - lo))), 0, last)
        return self.table[index.astype(np.intp)]


def presentation_lut(ds: Any, where: str) -> PresentationLUT | None:
    """The PresentationLUTSequence of ``ds`` decoded, or None when it has none; ``DataError`` naming
    the file and the LUT descriptor when it cannot be applied (no descriptor or data, bits per
    entry outside 8-16, fewer entries than the descriptor says)."""
    seq = ds.get("PresentationLUTSequence")
    if not seq:
        return None
    item = seq[0]
    try:
        entries, _first, bits = (int(v) for v in item.LUTDescriptor)  # _first "shall always be 0"
        if bits not in _BITS:
            raise ValueError(f"{bits} bits per entry")
        table = _entries(item, ds, entries or 2**16)
    except Exception as exc:  # noqa: BLE001 - pydicom raises AttributeError, struct.error, IndexError...
        found = item.get("LUTDescriptor")
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{where}: cannot apply its PresentationLUTSequence (LUTDescriptor "
                        f"'{None if found is None else list(found)}'): {reason}; expected a LUTDescriptor "
                        "(entries, 0, 10 to 16 bits) and that many LUTData entries (PS3.3 C.11.4.1): correct or "
                        "remove the sequence") from None
    return PresentationLUT(table & np.uint16(2**bits - 1), 2**bits - 1)


def _entries(item: Any, ds: Any, entries: int) -> np.ndarray:
    """The ``entries`` LUT values of ``item`` as uint16, decoded by pydicom's VOI LUT reader (the
    same LUT Descriptor/Data format) from a stand-in whose descriptor says 16 bits: pydicom
    indexes an 8-bit LUT with 8-bit integers, and OW data is unpacked 16 bits at a time anyway."""
    from pydicom.dataset import Dataset
    from pydicom.pixels import apply_voi
    from pydicom.sequence import Sequence

    lut = Dataset()
    lut.LUTDescriptor = [entries % 2**16, 0, 16]
    lut["LUTData"] = copy.deepcopy(item["LUTData"])
    stand_in = Dataset()
    stand_in.VOILUTSequence = Sequence([lut])
    if hasattr(ds, "file_meta"):  # an OW LUT is unpacked in the file's byte order
        stand_in.file_meta = ds.file_meta
    stand_in.set_original_encoding(*ds.original_encoding)
    table = np.asarray(apply_voi(np.arange(entries, dtype=np.int64), stand_in), dtype=np.uint16)
    if table.shape != (entries,):
        raise ValueError(f"{table.size} LUTData entries for {entries}")
    return table
