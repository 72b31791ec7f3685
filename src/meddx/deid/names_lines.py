"""A name alone on a line of a printed label (pharmacy label, specimen label, wristband):

    Rx# 6029174   Filled: 05/06/2024
    BARNABY OKEREKE
    TAKE 1 TABLET BY MOUTH TWICE DAILY

Labels print the patient's name on its own line right after the line with the prescription,
specimen or record number, with no "Patient:" label. Taken: a line of two or three words in
capitals (no digits) after a line with such a field, every word neither a common word nor
English-looking, so headings ("CHIEF COMPLAINT", "HOSPITAL COURSE", "SHAKE WELL") stay.

Also ``caps_topic``, read by the label rule of ``names``: an acronym after "re:" within a line is a topic.
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.letters import UPPER
from meddx.deid.patterns import Cand

_FIELD_LINE_RE = re.compile(r"(?i:\b(?:rx\s*(?:#|no\b|number)|filled|dispensed|specimen|accession|mrn|dob|d\.o\.b"
                            r"|collected|patient\s*id|wristband|fin\s*#|encounter\s*(?:#|no\b)))")
# What follows such a field line in a report is often a result, not a person: an organism ("ESCHERICHIA COLI",
# "KLEBSIELLA PNEUMONIAE"), a drug ("AMOXICILLIN CLAVULANATE", "METFORMIN HCL") or a diagnosis ("TUBULAR ADENOMA").
# Hand-written (no offline vocabulary of organisms and drugs is installed): Latin, pharmaceutical and pathology word
# endings that people's names do not have, and a few short words of such lines.
_TERM_END_RE = re.compile(
    r"(?:cocc(?:us|i)|bacter|bacteri(?:um|a)|bacill(?:us|i)|monas|ichia|siella|higella|xella|monella|ionella"
    r"|idium|idioides|oides|philus|philia|steria|sseria|eriae|rratia|[a-z]{3}iae|oeae|[a-z]{3}cae|inosa"
    r"|ensis|icans|formans|abilis|agilis|[a-z]{3}alis|icile|[a-z]{4}ii|[a-z]{3}ium|cillin|mycin"
    r"|micin|floxacin|oxacin|cycline|azole|statin|[a-z]{2}pril|sartan|olol|parin|farin|formin|gliptin"
    r"|toxin|virus|[a-z]{3}omas?|ular|anate|ulfate|inate|amide|azine|xetine|zepam|azepam"
    r"|dipine|profen|sone|olone|[a-z]{4}(?<!g)ate|[a-z]{3}(?<![sra])ide|[a-z]{2}oxime|[a-z]{3}etil"
    r"|[a-z]{3}etin|[a-z]{2}ycol|[a-z]{2}amol|[a-z]{2}ulose|[a-z]{3}trol|[a-z]{2}odone|[a-z]{2}idine"
    r"|[a-z]{3}caine|[a-z]{2}phrine|[a-z]{3}amine|atic|ulanic|orbic|anyl|thyl|[a-z]{2}(?:setron|pram|pidem)"
    r"|cerin|ylline|[a-z]{2}ucin|chloride|bromide|iodide|fluoride|erilia)$")  # none of the listed first names
# short words of result lines: forms, salts, routes and a few organism and finding words
_TERM_WORDS = frozenset("""coli spp sp hcl er xr sr dr cr xl sl odt neb oint acid water patch enema soda liquid elixir
alfa protein sodium potassium calcium magnesium candida flora yeast cocci rods toxin antigen arrest tab tabs cap caps
inj syrup susp cream gel drops solution spray ointment lotion powder""".split())
_CAPS_LINE_RE = re.compile(rf"(?m)^[ \t]*(?P<name>[{UPPER}][{UPPER}'’-]+(?:[ \t]+[{UPPER}][{UPPER}'’-]+){{1,2}})"
                           r"[ \t]*$")


def result_term(word: str) -> bool:
    """``word`` (or a hyphenated part of it) is an organism, drug, salt or finding word of ``_TERM_END_RE`` /
    ``_TERM_WORDS`` ("BAUMANNII", "Gluconate", "PHOSPHO-SODA"), which people's names are not."""
    return any(p in _TERM_WORDS or _TERM_END_RE.search(p) for p in re.split(r"['’-]", word.lower()) if p)


def find_label_line_names(text: str) -> list[Cand]:
    """Names alone on a label line after a number or date field (see the module docstring)."""
    from meddx.deid.names import english_looking

    common = lexicon.common_words()
    out: list[Cand] = []
    for m in _CAPS_LINE_RE.finditer(text):
        before = text[text.rfind("\n", 0, max(0, text.rfind("\n", 0, m.start()))) + 1:m.start()]
        if not _FIELD_LINE_RE.search(before):
            continue
        words = m.group("name").split()
        if any(result_term(w) for w in words):  # "PHOSPHO-SODA": each part
            continue  # an organism, a drug or a diagnosis (see _TERM_END_RE)
        if all(len(w) >= 2 and w.lower() not in common and not english_looking(w) for w in words):
            out.append(Cand(m.start("name"), m.end("name"), "NAME", "label-line", 54))
    return out


# "rang son re: DNACPR", "Update Outreach re: NEWS 7": after "re:" within a line, one unlisted word in capitals is
# the topic (an acronym), not a person ("Re: OKAFOR" heading a letter stays a name)
_RE_WITHIN_LINE_RE = re.compile(r"(?i:[^\s][^\n]*\bre)[ \t]*:[ \t]*$")


def caps_topic(text: str, m: re.Match[str], span: tuple[int, int]) -> bool:
    """After ``m`` (a label) the single word ``span`` is such a topic."""
    word = text[span[0]:span[1]]
    return (word.isupper() and " " not in word and not lexicon.is_listed(word)
            and _RE_WITHIN_LINE_RE.search(text, text.rfind("\n", 0, m.start()) + 1, m.end()) is not None)
