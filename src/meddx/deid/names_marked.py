"""Names with no cue whose letters say they are names (de-id round 15): two to four capitalised words, one of them
spelt with a letter of Vietnamese, Turkish, Polish or Yoruba that English words and the drug and eponym vocabulary
never use ("Referral: Nguyễn Thị Lan, Flat 3B", "specimen from Kemal Aydın", "Ọlá Adébáyọ̀ attended").

Why these letters only: an accent of French, Spanish or German also marks eponyms and terms that must stay
("Behçet disease", "Guillain-Barré", "Ménière"), but ``ễ``, ``ı``, ``ş``, ``ł`` and ``ọ`` occur in no clinical
term a note of ours uses. A run of them is a person, or a town of the same country, both identifiers; a single word
stays (a town after "from" is a place rule's job), and so does a run before a disease word ("Nguyễn syndrome").
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.letters import LOWER, UPPER
from meddx.deid.names_more_cues import RELATION_WORDS, ROLE_WORDS
from meddx.deid.patterns import Cand

# Vietnamese (with its tone marks on vowels), Turkish dotless i and cedilla s, g breve, Polish l stroke and
# accented consonants, Yoruba dotted vowels, Māori (and Latvian) long vowels with a macron (round 18: "Ngaio Rāwiri")
_MARKED = ("ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"
           "ĂÂĐÊÔƠƯẠẢẤẦẨẪẬẮẰẲẴẶẸẺẼẾỀỂỄỆỈỊỌỎỐỒỔỖỘỚỜỞỠỢỤỦỨỪỬỮỰỲỴỶỸ"
           "ıİşŞğĞłŁśŚźŹżŻńŃąęṣṢāēīōūĀĒĪŌŪ")
_MARKED_RE = re.compile(f"[{_MARKED}]")
_WORD = rf"[{UPPER}][{LOWER}]*(?:['’-][{UPPER}]?[{LOWER}]+)*"
RUN_RE = re.compile(rf"(?<![\w'’-]){_WORD}(?:[ \t]+{_WORD}){{1,3}}(?![\w'’-])")
_DISEASE_AFTER_RE = re.compile(r"[ \t]*(?:['’]s)?[ \t]+(?i:disease|syndrome|sign|test|score|scale|classification"
                               r"|criteria|procedure|operation|manoeuvre|maneuver|reflex|phenomenon)\b")


_WORD_RE = re.compile(r"\S+")


def find_marked_names(text: str) -> list[Cand]:
    """NAME candidates for runs of capitalised words with a marked letter (see the module docstring); a role,
    relation or common word at the run's start is left out ("Interpreter Şebnem": ``Şebnem``)."""
    common = lexicon.common_words()
    out: list[Cand] = []
    for m in RUN_RE.finditer(text):
        if not _MARKED_RE.search(m.group()) or _DISEASE_AFTER_RE.match(text, m.end()):
            continue
        words = list(_WORD_RE.finditer(text, m.start(), m.end()))
        while words and not _MARKED_RE.search(words[0].group()) and (
                words[0].group() in ROLE_WORDS or words[0].group().lower() in RELATION_WORDS
                or words[0].group().lower() in common):
            words.pop(0)
        if words:
            out.append(Cand(words[0].start(), m.end(), "NAME", "marked-letters", 45))
    return out
