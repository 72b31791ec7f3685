"""Formatting of evaluation results: escaping, tolerant access to optional parts of
``metrics.json``, numbers with confidence intervals as HTML (the report) and as plain text (the
CLI and the model card). Standard library only, so the CLI can import it at start-up."""

from __future__ import annotations

import math
from html import escape
from typing import Any

NC = '<span class="nc" title="not computed">—</span>'


# ---------------------------------------------------------------- formatting helpers
def _e(x: Any) -> str:
    return escape(str(x), quote=True)


def _d(x: Any) -> dict:
    return x if isinstance(x, dict) else {}


def _l(x: Any) -> list:
    return list(x) if isinstance(x, (list, tuple)) else []


def _f(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _num(x: Any, digits: int = 3) -> str:
    if isinstance(x, bool) or x is None:
        return NC if x is None else _e(x)
    if isinstance(x, int):
        return str(x)
    v = _f(x)
    return f"{v:.{digits}f}" if v is not None else _e(x)


def _bounds(interval: Any, method: str) -> tuple[float, float] | None:
    iv = _d(interval)
    b = _l(iv.get(method)) or _l(iv.get("percentile"))
    lo, hi = (_f(b[0]), _f(b[1])) if len(b) == 2 else (None, None)
    return None if lo is None or hi is None else (lo, hi)


def _vci(value: Any, interval: Any, method: str) -> str:
    """``0.912 (0.880–0.940)``; the interval's estimate when ``value`` is missing."""
    value = value if value is not None else _d(interval).get("estimate")
    if value is None:
        return NC
    b = _bounds(interval, method)
    return _num(value) + (f' <span class="ci">({b[0]:.3f}–{b[1]:.3f})</span>' if b else "")


def _table(head: list[str], rows: list[list[str]], left: tuple[int, ...] = (0,)) -> str:
    """Cells are already-escaped HTML; columns ``left`` (indices, -1 = last) align left, numbers right."""
    left = tuple(i % len(head) for i in left)

    def cells(tag: str, row: list[str]) -> str:
        return "".join(f'<{tag}{" class=l" if i in left else ""}>{c}</{tag}>' for i, c in enumerate(row))
    body = "".join(f"<tr>{cells('td', r)}</tr>" for r in rows)
    return f"<table><thead><tr>{cells('th', head)}</tr></thead><tbody>{body}</tbody></table>"


def _not_computed(what: str) -> str:
    return f'<p class="nc">Not computed: {what}</p>'


def _ul(items: list[Any]) -> str:
    return "<ul>" + "".join(f"<li>{_e(i)}</li>" for i in items) + "</ul>"


def _short(name: str, n: int = 22) -> str:
    return name if len(name) <= n else name[: n - 1] + "…"


def text_number(value: Any) -> str:
    """Plain-text metric value: three decimals, ``n/a`` when undefined."""
    return "n/a" if value is None else f"{value:.3f}"


def text_with_ci(interval: dict[str, Any] | None, fallback: Any = None, method: str = "bca") -> str:
    """Plain text ``0.912 (0.881–0.940)`` from a bootstrap interval entry; the point value when
    there is no interval (``fallback``) or it has no bounds."""
    if not interval:
        return text_number(fallback)
    lo, hi = interval.get(method) or interval.get("percentile") or [None, None]
    text = text_number(interval.get("estimate"))
    return text if lo is None or hi is None else f"{text} ({lo:.3f}–{hi:.3f})"
