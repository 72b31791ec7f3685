"""``deidentify``: detect, then write each span's replacement and record where it landed.

Tag mode writes ``[NAME]``, ``[DATE]``, ``[AGE>89]``...; surrogate mode writes consistent
fake values (``Surrogates``). Dates are shifted by the patient's offset (``dates="shift"``,
the default when a patient id is known) or tagged. A birth date or birth year that makes the
patient 90 or older at the latest date of the note becomes ``[DATE>89]`` even when shifting,
because a shifted birth date would still reveal an age over 89.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import replace as dc_replace
from typing import TYPE_CHECKING

from meddx.deid.dates import day_first, parse_date, shift_date, yearless_years
from meddx.deid.detect import detect
from meddx.deid.spans import TAGS, DeidResult, DeidSettings, Span

if TYPE_CHECKING:
    from meddx.deid.surrogate import Surrogates

log = logging.getLogger("meddx.deid")

_PATTERNED = frozenset({"PHONE", "FAX", "SSN", "MRN", "HEALTH_PLAN", "ACCOUNT", "LICENSE", "VEHICLE", "DEVICE",
                        "BIOMETRIC", "PHOTO", "ID"})


def deidentify(text: str, *, patient_id: str | None = None, doc_id: str | None = None,
               settings: DeidSettings | None = None) -> DeidResult:
    """Scrub the Safe Harbor identifiers of ``text``.

    ``patient_id`` scopes surrogates and the date offset (the same patient gets the same fakes
    and the same shift in every note); without it the scope is ``doc_id`` (or the empty scope).
    Returns the new text and the replaced spans with original and output offsets.
    """
    settings = settings or DeidSettings()
    if not isinstance(text, str):
        from meddx.core.errors import DataError

        raise DataError(f"document {doc_id or '?'}: expected text (str), got {type(text).__name__}")
    spans = detected = detect(text)
    if settings.types is not None:
        spans = [s for s in spans if s.type in settings.types]
    date_mode = settings.dates or ("shift" if patient_id else "tag")
    surrogates = None
    if settings.mode == "surrogate" or (date_mode == "shift" and any(s.type == "DATE" for s in spans)):
        from meddx.deid.surrogate import Surrogates, resolve_key

        scope = patient_id if patient_id is not None else (doc_id or "")
        surrogates = Surrogates(resolve_key(settings.key), scope, settings.shift_days)
        if settings.mode == "surrogate":  # no fake may be a real name of this note ("Maria" -> "Lark" beside Lark Smith)
            surrogates.avoid_names([text[s.start:s.end] for s in detected if s.type == "NAME"])
    # a scanned page: replacements are made from its OCR reading ("D0B: 0l/22/1949" shifted as 01/22/1949, not
    # tagged for want of a parse); the reading keeps every offset
    view = _ocr_view(text) if spans else text
    dmy = day_first(view)  # a note that writes 14/03/2021 also means 5 April by 05/04/2021
    ref = _reference_date(view, spans, dmy)
    years = yearless_years([(s.start, view[s.start:s.end], s.source == "date-birth") for s in spans if s.type == "DATE"],
                           day_first=dmy) if date_mode == "shift" else {}
    pieces: list[str] = []
    out_spans: list[Span] = []
    pos = out_len = 0
    for span in spans:
        pieces.append(text[pos:span.start])
        out_len += span.start - pos
        piece = text[span.start:span.end] if view is text else re.sub(r"(?<=\S) {2,}(?=\S)", " ", view[span.start:span.end]).strip()
        new = _replacement(piece, span, settings, date_mode, surrogates, ref, dmy,
                           years.get(span.start))
        out_spans.append(dc_replace(span, out_start=out_len, out_end=out_len + len(new)))
        pieces.append(new)
        out_len += len(new)
        pos = span.end
    pieces.append(text[pos:])
    return DeidResult("".join(pieces), out_spans)


def _replacement(original: str, span: Span, settings: DeidSettings, date_mode: str, surrogates: Surrogates | None,
                 ref: tuple[int, int | None, int | None], dmy: bool = False, year: int | None = None) -> str:
    """The text written in place of ``original`` (``year``: the year of a date written without one)."""
    kind = span.type
    if kind == "DATE":
        if span.source == "date-birth" and _birth_over_89(original, ref, dmy):
            return "[DATE>89]"
        if date_mode == "shift" and surrogates is not None:
            shifted = shift_date(original, surrogates.date_offset(), day_first=dmy, year=year)
            if shifted is not None:
                return shifted
        return TAGS["DATE"]
    if settings.mode == "tag" or surrogates is None:
        return TAGS[kind]
    if kind == "AGE":
        return "90+"
    if kind == "NAME":
        return surrogates.name(original)
    if kind == "EMAIL":
        return surrogates.email(original)
    if kind == "URL":
        return surrogates.url(original)
    if kind == "IP":
        return surrogates.ip(original)
    if kind == "LOCATION":
        return surrogates.location(original)
    if kind in _PATTERNED:
        return surrogates.pattern(kind, original)
    return TAGS.get(kind, f"[{kind}]")


def _ocr_view(text: str) -> str:
    """``text`` read with OCR's confusions undone when it is a scanned page, else ``text`` itself."""
    from meddx.deid.ocr import ocr_reading

    return ocr_reading(text) or text


def _reference_date(text: str, spans: list[Span], dmy: bool = False) -> tuple[int, int | None, int | None]:
    """The latest of the note's non-birth dates as ``(year, month, day)`` (unknown parts ``None``),
    else today: the "now" at which a birth date gives the patient's age."""
    dates = []
    for span in spans:
        if span.type == "DATE" and span.source != "date-birth":
            parsed = parse_date(text[span.start:span.end], day_first=dmy)
            if parsed and parsed[0]:
                dates.append(parsed)
    if not dates:
        today = dt.date.today()
        return today.year, today.month, today.day
    return max(dates, key=lambda d: (d[0], d[1] or 0, d[2] or 0))  # type: ignore[return-value]


def _birth_over_89(original: str, ref: tuple[int, int | None, int | None], dmy: bool = False) -> bool:
    """Whether the patient born on ``original`` is 90 or older on ``ref``. With months (and days)
    on both sides the age is exact; where a part is missing, the birthday is taken as passed, so
    an age that may be 90 counts as 90 (Safe Harbor errs towards removal)."""
    parsed = parse_date(original, day_first=dmy)
    if not parsed or not parsed[0]:
        return False
    (year, month, day), (ref_year, ref_month, ref_day) = parsed, ref
    if year >= 2000 and not re.search(r"(?<!\d)\d{4}(?!\d)", original):
        year -= 100  # "DOB 07/04/25": a two-digit birth year may be 1925, so the older reading counts
    age = ref_year - year
    if month and ref_month and (ref_month < month or (ref_month == month and day and ref_day and ref_day < day)):
        age -= 1  # the birthday of the reference year is still to come
    return age >= 90
