"""Names in call and message logs, often typed in lower case: "left voicemail for jane at ...",
"LVM for kate to call back", "left message with marisol". After such a cue the next word is a
name when it passes ``lower_name_ok`` (listed, or with a vowel and neither a common word nor
English-looking) and names no service or role, so "left message for the family", "LVM for pt",
"left message with pharmacy", "LVM for callback" and services by their short forms ("LVM for ortho",
"left message with cath lab") stay. Also (the ninth review) "mr"/"mrs"/"miss" typed without a full stop before two
lower-case name words, each listed or passing ``lower_name_ok``, after "mr" one of them listed or in a
header's shape ("bed 3: mr ali hassan, IECOPD"); "mr" alone
is mitral regurgitation ("mod mr and tr", "mild mr severe tr" stay: common or English-looking words). Also (the
eleventh review) a listed surname alone after "mrs"/"miss" ("mrs smith said"), a first name and any next word after
them ("mrs grace prior"), and a capitalised name after a paging or calling verb ("Page Okafor re: K+")."""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.facilities import _SPECIALTY_SHORT
from meddx.deid.names import LABEL_RE, TOKEN, lower_name_ok
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


# "Page Okafor re: K+ 6.1", "bleeped Nkemdirim about the film", "Update Aoife if worse": a person paged, called or
# told, by a capitalised name, before what the call is about or the clause's end
_CONTACT_RE = re.compile(rf"(?<![\w-])(?i:page|paged|paging|bleep|bleeped|bleeping|call|called|ring|rang|phone|phoned"
                         rf"|text|texted|contact|contacted|inform|informed|update|updated|ask|asked|tell|told|messaged"
                         rf"|emailed)[ \t]+(?P<name>{TOKEN}(?:[ \t]+{TOKEN})?)"
                         r"(?=[ \t]*(?:(?i:re|about|regarding|if|when|to|for|with|on|at)\b|[,.;:(]|$))")
# services and places paged or called by a short or a ward word ("Page Outreach re:", "Call Switchboard")
_CALLED_SERVICES = frozenset("outreach switchboard gastro micro haem resus ward site theatre theatres bed security "
                             "porters ambulance crisis police coroner mum mam dad nan gran family".split())


def _contact_names(text: str) -> list[Cand]:
    """NAME candidates of ``_CONTACT_RE``: every word name-shaped (``cap_name_ok``), no service or specialty."""
    from meddx.deid.names import _SERVICE_WORDS, cap_name_ok, is_eponym_use

    out: list[Cand] = []
    for m in _CONTACT_RE.finditer(text):
        words = m.group("name").split()
        if all(cap_name_ok(w) and len(w) > 2 and w.lower() not in _NOT_PEOPLE | _CALLED_SERVICES
               and w not in _SERVICE_WORDS and not w.isupper() for w in words) and not is_eponym_use(text, m.end()) \
                and (len(words) == 1 or any(lexicon.is_listed(w) for w in words)):  # not "Paged Night Float"
            out.append(Cand(m.start("name"), m.end("name"), "NAME", "contact", 54))
    return out


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
        elif m.group().startswith(("mrs", "miss")) and not _RANKIN_BEFORE_RE.search(text, max(0, m.start() - 20),
                                                                                    m.start()):
            span = _lower_mrs_name(text, m.end())
            if span is not None:
                out.append(Cand(span[0], span[1], "NAME", "title", 54))
    return out + _contact_names(text) + _initial_surnames(text)


# Words after a lower-case name that end it: "mrs smith said ...", "mrs grace and her husband"
_AFTER_NAME = frozenset("""and or but with is was has had have to for in on at from the a an her his who whose seen
said says reports reported states stated denies denied today now here there came come rang called phoned agrees
agreed declined attended wants wanted would will can could should may might not also again re about as by of this
that then aged age yrs years yo nok informed aware happy keen present updated visited visiting bed ward side room
did does feels felt remains""".split())


def _lower_mrs_name(text: str, pos: int) -> tuple[int, int] | None:
    """After a lower-case "mrs"/"miss": a listed surname alone ("mrs smith said"), or a first name (listed, a
    word-name such as "grace", or a name-shaped word) and the next word, its surname, even when that is an
    ordinary word ("mrs grace prior", "mrs dawn hall"), unless that word ends the name ("mrs grace and ...")."""
    first = _WORD_RE.match(text, pos)
    if first is None:
        return None
    w1 = first.group(1)
    if w1 in _NOT_PEOPLE or w1 in _SCALE_VALUES or w1 in _AFTER_NAME:
        return None
    second = re.match(r"[ \t]+([a-z]+(?:['’-][a-z]+)*)(?![\w'’-])", text[first.end():first.end() + 40])
    firstname = w1.title() in lexicon.first_names() or w1.title() in lexicon.AMBIGUOUS or lower_name_ok(w1)
    if second and firstname and second.group(1) not in _AFTER_NAME and second.group(1) not in _NOT_PEOPLE:
        return first.start(1), first.end() + second.end()
    if lexicon.is_listed(w1) or (w1.title() in lexicon.AMBIGUOUS and w1.title() in lexicon.surnames()):
        return first.start(1), first.end(1)  # "mrs smith said", "mrs fisher has"
    return None


def _header_shape(text: str, start: int, end: int) -> bool:
    """"bed 3: mr tobin kessel, IECOPD": after a colon or at a line start, and a comma after ("mr jet eccentric",
    "mr vena contracta 0.5" in an echo report stay)."""
    before = text[text.rfind("\n", 0, start) + 1:start]
    return text[end:end + 1] == "," and (not before.strip() or before.rstrip().endswith(":"))


_NAME_MARK_RE = re.compile(r"[ \t]+([a-z]+(?:['’-][a-z]+)*)(?![\w'’-])")


def bare_title_name(text: str, end: int) -> bool:
    """After "Mr"/"Mrs"/"Ms"/"Miss" without a full stop (ending at ``end``), a lower-case word is a surname when it
    is listed or marked as a name by an apostrophe or a hyphen ("Mr o'sullivan's bloods", "Mr jones"), and no
    number comes before the title ("34,000 Mr form": relative molecular mass)."""
    word = _NAME_MARK_RE.match(text, end - 1)
    start = text.rfind("M", max(0, end - 6), end)
    return (word is not None and (lexicon.is_listed(word.group(1)) or re.search(r"['’-]", word.group(1)) is not None)
            and re.search(r"\d[ \t,]*$", text[max(0, start - 4):start]) is None)


# "seen with g hall", "d/w j smith": after a person label, an initial and a listed surname typed in lower case (not
# the article: "spoke with a young man")
_INITIAL_LOWER_RE = re.compile(r"([b-hj-z])\.?[ \t]+([a-z]+(?:['’-][a-z]+)*)(?![\w'’-])")


def _initial_surnames(text: str) -> list[Cand]:
    """NAME candidates of ``_INITIAL_LOWER_RE`` right after a ``LABEL_RE`` label."""
    out: list[Cand] = []
    for m in LABEL_RE.finditer(text):
        w = _INITIAL_LOWER_RE.match(text, m.end())
        if w and w.group(2).title() in lexicon.surnames() and w.group(2) not in lexicon.common_words():
            out.append(Cand(w.start(1), w.end(2), "NAME", "label", 54))
    return out
