"""Names in call and message logs, often typed in lower case: "left voicemail for jane at ...",
"LVM for kate to call back", "left message with marisol". After such a cue the next word is a
name when it passes ``lower_name_ok`` (listed, or with a vowel and neither a common word nor
English-looking) and names no service or role, so "left message for the family", "LVM for pt",
"left message with pharmacy", "LVM for callback" and services by their short forms ("LVM for ortho",
"left message with cath lab") stay. Also (the ninth review) "mr"/"mrs"/"miss" typed without a full stop before two
lower-case name words, each listed or passing ``lower_name_ok``, after "mr" one of them listed or in a
header's shape ("bed 3: mr ali hassan, IECOPD"); "mr" alone
is mitral regurgitation ("mod mr and tr", "mild mr severe tr" stay: common or English-looking words)."""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.facilities import _SPECIALTY_SHORT
from meddx.deid.names import lower_name_ok
from meddx.deid.patterns import Cand

_MESSAGE_RE = re.compile(
    r"(?i:\b(?:left\s+(?:a\s+)?(?:detailed\s+)?(?:voice\s*mail|vm|v/m|message|msg)|lvm|lmom|lmtcb))"
    r"[ \t]+(?i:for|with)[ \t]+")
# Whom a message is left for that is no person: services, roles, a call-back ("LVM for callback")
_NOT_PEOPLE = frozenset("""callback call pharmacy office provider desk nurse staff team clinic service services scheduler
scheduling receptionist family pt patient pcp md doctor attending resident front answering voicemail home work cell
parents parent caregiver triage billing insurance lab radiology hospice agency facility unit floor
ortho endo dme wound pulm heme cath vna ent onc derm uro surg nephro rheum neuro cards cardio gi gyn ob peds psych
renal anesthesia anaesthesia hospitalist dietary transplant infusion dialysis urology hh case sw cm""".split()) \
    | _SPECIALTY_SHORT  # services by their short forms: "LVM for ortho", "left message with cath lab"
_ROLE_END_RE = re.compile(r"(?:acy|ist|ary|ery|ory|ics|line)$")  # "pharmacy", "receptionist", "nurse line"
_BARE_TITLE_RE = re.compile(r"(?<![\w.-])(?:mrs|mr|miss)[ \t]+(?=[a-z])")
# "pre-stroke mrs baseline zero", "premorbid mrs two": the modified Rankin scale, not "Mrs" (a scale word first, or
# one after a stroke word: "ready for discharge mrs jane smith" is a person)
_RANKIN_BEFORE_RE = re.compile(r"(?i:stroke|morbid|rankin|baseline|discharge|modified)[ \t:-]*$")
_SCALE_VALUES = frozenset("zero one two three four five six baseline prior score scale grade".split())
_TWO_LOWER_RE = re.compile(r"([a-z]+(?:['’-][a-z]+)*)[ \t]+([a-z]+(?:['’-][a-z]+)*)(?![\w'’-])")
_WORD_RE = re.compile(r"([a-z]+(?:['’-][a-z]+)*)(?![\w'’-])")


def find_message_names(text: str) -> list[Cand]:
    """Lower-case names (one word, or two when both pass) after a voicemail/message cue."""
    out: list[Cand] = []
    for m in _MESSAGE_RE.finditer(text):
        first = _WORD_RE.match(text, m.end())
        word = first.group(1) if first else ""
        if not word or word in _NOT_PEOPLE or _ROLE_END_RE.search(word) or not lower_name_ok(word):
            continue
        end = first.end()
        second = re.match(r"[ \t]+([a-z]+(?:['’-][a-z]+)*)(?![\w'’-])", text[end:end + 40])
        if second and lower_name_ok(second.group(1), listed_only=True):
            end += second.end()
        out.append(Cand(first.start(1), end, "NAME", "message", 54))
    for m in _BARE_TITLE_RE.finditer(text) if "m" in text else ():  # "mr ali hassan", "mrs agatha pennywhistle"
        two = _TWO_LOWER_RE.match(text[m.end():m.end() + 60])
        words = two.groups() if two else ()  # (a listed name that is also an abbreviation, "ali", counts)
        if m.group().startswith("mrs") and words and (words[0] in _SCALE_VALUES or not _SCALE_VALUES.isdisjoint(
                words) and _RANKIN_BEFORE_RE.search(text, max(0, m.start() - 20), m.start())):
            continue  # the scale's value follows it ("mrs baseline zero"), not a name ("discharge mrs jane smith")
        if words and all((lower_name_ok(w) or lexicon.is_listed(w)) and w not in _NOT_PEOPLE for w in words) \
                and any(lower_name_ok(w) for w in words) and (m.group().startswith(("mrs", "miss")) or any(
                    lexicon.is_listed(w) for w in words) or _header_shape(text, m.start(), m.end() + two.end())):
            out.append(Cand(m.end(), m.end() + two.end(), "NAME", "title", 54))
    return out


def _header_shape(text: str, start: int, end: int) -> bool:
    """"bed 3: mr tobin kessel, IECOPD": after a colon or at a line start, and a comma after ("mr jet eccentric",
    "mr vena contracta 0.5" in an echo report stay)."""
    before = text[text.rfind("\n", 0, start) + 1:start]
    return text[end:end + 1] == "," and (not before.strip() or before.rstrip().endswith(":"))
