"""Towns with no cue around them ("he lives alone in Bootle (2nd floor flat)", "a Toowoomba pharmacy",
"pt previously treated in Chengdu"): the names of ``data/towns.txt`` matched alone, like the city list.

Why a lookup and not one more alternation: the town list has over a thousand names, and a regular expression
of that many alternatives tried at every position of a long note is slow; here each capitalised word start
looks up the names that begin with its first four letters.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from functools import lru_cache

from meddx.deid import lexicon
from meddx.deid.letters import UPPER
from meddx.deid.patterns import Cand

_START_RE = re.compile(rf"(?<![\w'’.-])[{UPPER}]")
_END_RE = re.compile(r"(?![\w-])")
# the word of a tool, a score or a consensus named after a city: "Berlin definition", "Tokyo guidelines",
# "Bombay phenotype", "Stanmore prosthesis", "Sydney system" (``lexicon.EPONYM_NEXT`` has the eponyms' words)
_TOOL_AFTER_RE = re.compile(r"(?:['’]s)?[ \t]+(?i:definition|guidelines?|consensus|classification|criteria|system"
                            r"|score|scale|rules?|index|questionnaire|assessment|prosthesis|implant|stem|phenotype"
                            r"|blood|triage|protocol|declaration|statement|virus|fever|strain|method|group|trial|study"
                            r"|category|class|grade"
                            # a severity or a category of the tool: "Berlin moderate ARDS", "Bethesda IV on FNA"
                            r"|mild|moderate|severe"
                            # a company or an author named like a town: "Amersham Corporation", "Southall et al"
                            r"|corporation|corp|inc|ltd|plc|scientific|pharma|pharmaceuticals?|biosciences"
                            r"|laboratories|et[ \t]+al)\b"
                            r"|[ \t]+(?:I{1,3}|IV|VI?)\b"
                            r"|[ \t]+0-I")  # "Paris 0-Is polyp": the Paris classification (round 20)


@lru_cache(maxsize=1)
def _by_prefix() -> dict[str, tuple[str, ...]]:
    table: dict[str, list[str]] = defaultdict(list)
    for town in lexicon.towns():
        table[town[:4]].append(town)
    return {k: tuple(sorted(v, key=len, reverse=True)) for k, v in table.items()}


def find_listed_towns(text: str, not_here: Callable[[str, int, int], bool]) -> list[Cand]:
    """LOCATION candidates for listed towns; ``not_here(text, start, end)`` is the city list's own test (an eponym's
    use, a region larger than a state, a state before a ZIP code), shared so both lists behave alike."""
    table = _by_prefix()
    out: list[Cand] = []
    for m in _START_RE.finditer(text):
        for town in table.get(text[m.start():m.start() + 4], ()):
            end = m.start() + len(town)
            if text.startswith(town, m.start()) and _END_RE.match(text, end):
                if not (_TOOL_AFTER_RE.match(text, end) or not_here(text, m.start(), end)):
                    # a listed name of several words outweighs a one-word guess inside it ("Isle" of "Isle of Lewis")
                    out.append(Cand(m.start(), end, "LOCATION", "town-list", 53 if " " in town else 50))
                break
    return out
