"""The vocabulary every part of de-identification agrees on: PHI types, spans, settings, results.

The 18 HIPAA Safe Harbor identifiers map onto a fixed set of type names. Detector, replacer,
report, synthetic generator and evaluation all use these names, so a planted span and a
detected span can be compared type by type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# Safe Harbor item -> type name (AGE is item 3's "ages over 89", kept apart from DATE because
# it is replaced differently).
PHI_TYPES: dict[str, str] = {
    "NAME": "names of the patient, relatives, household members, employers and clinicians",
    "LOCATION": "street addresses, cities, counties, ZIP codes, named facilities (state kept)",
    "DATE": "every element of a date except a year alone (birth years are removed too)",
    "AGE": "ages over 89",
    "PHONE": "telephone numbers",
    "FAX": "fax numbers",
    "EMAIL": "e-mail addresses",
    "SSN": "social security numbers",
    "MRN": "medical record numbers",
    "HEALTH_PLAN": "health plan beneficiary / member / policy numbers",
    "ACCOUNT": "account numbers",
    "LICENSE": "certificate and licence numbers (incl. DEA, NPI, driver's licence, passport)",
    "VEHICLE": "vehicle identifiers: VIN and licence plates",
    "DEVICE": "device identifiers and serial numbers",
    "URL": "web addresses",
    "IP": "IP addresses",
    "BIOMETRIC": "biometric identifier references (fingerprint, retina, iris, voice print ids)",
    "PHOTO": "full-face photograph references (photo ids, image file names)",
    "ID": "any other unique identifying number or code",
}

TAGS: dict[str, str] = {name: f"[{name}]" for name in PHI_TYPES}
TAGS["AGE"] = "[AGE>89]"

Mode = Literal["tag", "surrogate"]
DateMode = Literal["shift", "tag"]


@dataclass(frozen=True)
class Span:
    """One detected identifier: ``[start, end)`` in the original text, its type, and where its
    replacement sits in the output (``out_start``/``out_end``, -1 until replaced).

    ``source`` names the rule that found it (for debugging precision); it never holds text.
    """

    start: int
    end: int
    type: str
    source: str = ""
    out_start: int = -1
    out_end: int = -1

    @property
    def length(self) -> int:
        """Length of the original span in characters."""
        return self.end - self.start


@dataclass(frozen=True)
class DeidSettings:
    """How to replace what is found.

    ``mode``: ``tag`` writes ``[NAME]``, ``[DATE]``...; ``surrogate`` writes consistent fake
    values. ``dates``: ``shift`` moves every date of a patient by the same secret offset (kept
    intervals), ``tag`` writes ``[DATE]``; ``None`` shifts when a patient id is known, else tags.
    ``key``: secret for surrogates and date offsets (else ``MEDDX_DEID_KEY``, else a key file
    under the data root). ``types``: the subset of types to scrub (``None``: all).
    ``shift_days``: inclusive range of the per-patient date offset in days.
    """

    mode: Mode = "tag"
    dates: DateMode | None = None
    key: str | bytes | None = field(default=None, repr=False)  # never printed
    types: frozenset[str] | None = None
    shift_days: tuple[int, int] = (-365, -30)

    def __post_init__(self) -> None:
        from meddx.core.errors import ConfigError

        if self.mode not in ("tag", "surrogate"):
            raise ConfigError(f"deid mode must be 'tag' or 'surrogate'; got {self.mode!r}")
        if self.dates not in (None, "shift", "tag"):
            raise ConfigError(f"deid dates must be 'shift' or 'tag'; got {self.dates!r}")
        if self.types is not None:
            unknown = sorted(set(self.types) - set(PHI_TYPES))
            if unknown:
                raise ConfigError(f"unknown PHI type(s) {unknown}; valid: {', '.join(PHI_TYPES)}")
        low, high = self.shift_days
        if low > high or (low <= 0 <= high):
            raise ConfigError(f"shift_days must be a range that excludes 0, e.g. (-365, -30); got {self.shift_days}")


@dataclass
class DeidResult:
    """The de-identified ``text`` and the ``spans`` replaced (original and output offsets)."""

    text: str
    spans: list[Span] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Number of replaced spans per type."""
        out: dict[str, int] = {}
        for span in self.spans:
            out[span.type] = out.get(span.type, 0) + 1
        return out
