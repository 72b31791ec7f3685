"""Names in capitals after a title with no full stop or after ``for``, and a caller's name opening a message
(de-id round 25).

Round 24's fresh lines and round 25's held-out lines had names no rule read:

- a name in capitals after a title written without its full stop, as dispensing labels and US discharge forms
  print them (``MR ALPHONSE NWACHUKWU take ONE tablet``), or after ``for``/``re`` in a line of mixed case (``ED
  discharge instructions for ROSALIND TREMBLAY-OKAFOR,``). ``MR`` and ``MS`` are also mitral regurgitation and
  multiple sclerosis ("moderate MR LA dilated"), so two or three words in capitals are needed, each of three
  letters or more with a vowel, none a common or clinical word, a state or a country; after ``for``/``re`` one word
  (or a part of a double-barrelled one) must be a listed name, after a title one listed or none shaped like English;
- a caller's one or two names opening a telephone message before ``from``/``of``/``at`` and a capitalised firm
  (``Phone msg: Loretta from Aetna says ...``): a name's word (``names_staff._person``), not a thing or a place.
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.names import english_looking
from meddx.deid.patterns import Cand

_CAPS = r"[A-Z][A-Z'’]+(?:-[A-Z][A-Z'’]+)*"
_CAPS_RE = re.compile(rf"(?<![\w.'’-])(?:(?P<title>MR|MRS|MS|MISS|MX|DR|Mr|Mrs|Ms|Miss|Dr)|(?P<cue>for|re|Re|RE)"
                      rf":?)[ \t]+(?P<name>{_CAPS}(?:[ \t]+{_CAPS}){{1,2}})(?![\w'’-])")
_MESSAGE_RE = re.compile(r"(?i:\b(?:(?:tel(?:ephone)?|phone|telephone)[ \t]+(?:msg|message|call)|phone[ \t]*msg"
                         r"|message|voicemail|vm)[ \t]*:[ \t]*)(?P<name>[A-Z][a-z'’-]+(?:[ \t]+[A-Z][a-z'’-]+)?)"
                         r"(?=[ \t]+(?:from|of|at)[ \t]+[A-Z])")
_VOWEL_RE = re.compile(r"[AEIOUY]")


def find_round25_names(text: str) -> list[Cand]:
    """NAME candidates of the shapes in the module docstring."""
    out: list[Cand] = []
    if re.search(r"[A-Z]{3}", text):
        for m in _CAPS_RE.finditer(text):
            words = _caps_run(m.group("name").split(), title=m.group("title") is not None)
            if words:  # the run stops at the first word that is no name's ("NWACHUKWU TAKE ONE")
                end = m.start("name") + len(" ".join(words)) if "\t" not in m.group("name") else m.end("name")
                out.append(Cand(m.start("name"), end, "NAME", "caps-title", 45))
    for m in _MESSAGE_RE.finditer(text):
        from meddx.deid.names_staff import _person

        if all(_person(w) for w in m.group("name").split()):
            out.append(Cand(m.start("name"), m.end("name"), "NAME", "message-caller", 45))
    return out


def _caps_run(words: list[str], title: bool) -> list[str]:
    """The first two or three of ``words`` (in capitals) that are a person's name, or none (see the module
    docstring)."""
    common = lexicon.common_words()
    run: list[str] = []
    for w in words:
        if len(w) < 3 or not _VOWEL_RE.search(w) or w.lower() in common \
                or w.title() in lexicon.STATE_NAMES or w.title() in lexicon.COUNTRIES:
            break
        run.append(w)
    parts = [p.title() for w in run for p in w.split("-")]
    listed = any(p in lexicon.first_names() or p in lexicon.surnames() for p in parts)
    return run if len(run) >= 2 and (listed or title and not any(english_looking(p) for p in parts)) else []
