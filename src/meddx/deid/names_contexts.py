"""Names in a few more places where the shape of the line says "person": an e-mail subject about
a patient ("Subject: RE: dupilumab for Margaux Lefevre-Tessier"), a name right before its own
e-mail address ("Paolo Santangelo (p.santangelo@cro.example)"), and babies named in quotes after
"Twin A" / "Baby B" ("Twin A "Josiah" 2.61 kg"), and the words between "Pt" and an age and sex
("Pt Summer Cook, 23F"), and a surname in the possessive before a family word ("Spoke to Parkinson's wife",
"Crohn's daughter rang": a person's relative, even when the surname is an eponym's), and a first name that is a
word before a surname, an age and a sex at a line's start ("June Okafor, 45F"), and a name before its relation or
role in brackets ("Grace (wife) reports", "resited by Tom (HCA)", "seen with g hall (son)").

Hand-written like the other name rules (see ``detect``): each needs the cue and name-shaped words
(``cap_name_ok``: capitalised, not common, not English-looking unless a listed name).
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.names import INITIAL, TOKEN, cap_name_ok, english_looking
from meddx.deid.patterns import Cand

# "Subject: RE: FW: dupilumab for Margaux Lefevre-Tessier": the name that ends a subject line after for/re/about
SUBJECT_RE = re.compile(rf"(?im)^[ \t]*(?:subject|subj)[ \t]*:[^\n]*?(?<![\w-])(?:for|re|about|regarding|pt|patient)"
                        rf"[ \t]*:?[ \t]+(?P<name>(?-i:{TOKEN})(?:[ \t]+(?-i:{TOKEN}|{INITIAL})){{0,2}}[ \t]+(?-i:{TOKEN}))"
                        rf"(?=[ \t]*(?:$|[,;(\-–]))")
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
# "Paolo Santangelo (p.santangelo@cro-example.com)", "Ana Ruiz <ana.ruiz@x.org>"
BEFORE_EMAIL_RE = re.compile(rf"(?<![\w'’-])(?P<name>{TOKEN}(?:[ \t]+(?:{TOKEN}|{INITIAL})){{0,2}}[ \t]+{TOKEN})"
                             rf"[ \t]*[(<\[][ \t]*(?:mailto:)?{_EMAIL}[ \t]*[)>\]]")
# 'Twin A "Josiah"', "Baby B 'Journee'", 'baby girl "Amara"'
BABY_RE = re.compile(r"(?i:\b(?:twin|triplet|baby|infant|newborn)(?:[ \t]+(?:[A-C]|boy|girl|#[1-3]))?)[ \t]*[,:]?[ \t]*"
                     rf"[\"“'‘](?P<name>{TOKEN}(?:[ \t]+{TOKEN})?)[\"”'’]")

# "Pt Summer Cook, 23F": after "Pt"/"Patient", the capitalised words before an age and sex are the patient's name
# even when they are also words ("Summer", "Hunter", "Grace")
PT_AGE_RE = re.compile(rf"(?<![\w.])(?:Pt|PT|Patient|pt)\.?[ \t]+(?P<name>{TOKEN}(?:[ \t]+(?:{TOKEN}|{INITIAL})){{0,2}}"
                       rf"[ \t]+{TOKEN}),[ \t]*\d{{1,3}}[ \t]*(?:[FM]|yo|y/o|y\.o\.|-year|years?)(?![\w])")

# "June Okafor, 45F, day 2 s/p lap chole", "2. April Sinclair, 31F": a first name that is also a month or a word,
# then one surname, an age and a sex, starting its line (after a list number): the line's patient
WORD_FIRST_AGE_RE = re.compile(rf"(?m)^[ \t]*(?:\d{{1,2}}[.)][ \t]*|[-*•][ \t]*)?(?P<name>(?P<first>{TOKEN})[ \t]+"
                               rf"(?P<last>{TOKEN})),[ \t]*\d{{1,3}}[ \t]*(?:[FM]|yo|y/o|y\.o\.|-year|years?)(?![\w])")
# the words of ``lexicon.AMBIGUOUS`` that are first names (not "Major", "Long", "White": "Long Covid, 45F")
_WORD_FIRST_NAMES = frozenset("""April May June Grace Hope Faith Joy Rose Dawn Summer Autumn Iris Ruby Pearl Amber Eve
Ginger Crystal Pat Sue Will Drew Dean Lance Miles Wade Guy Gene Art Simon Owen Oliver Lucas Francis Casey Norman Neal
Ray""".split())
# the surnames of ``lexicon.AMBIGUOUS`` that are colours or trades, a person's after a word first name ("June White,
# 45F", "May Baker, 34F"); not "Long", "Major", "Best", "Day", "Park" ("Long Covid", "Major Trauma")
_WORD_SURNAMES = frozenset("""White Black Green Brown Gray Young King Hall Price Baker Cook Fisher Walker Porter Parker
Bishop Barber Brewer Potter Farmer Chandler Carter Hunter Mason Booth Cannon Holt Lamb Cox Fox""".split())

# "Spoke to Parkinson's wife", "Whitcombe's daughter rang": whoever has a wife or a daughter is a person, so a
# capitalised word in the possessive before a family word is a surname, eponyms included. Only family words:
# "Parkinson's nurse" (a nurse specialist), "Alzheimer's carer" and "Crohn's team" name services.
POSSESSIVE_RELATIVE_RE = re.compile(rf"(?<![\w'’-])(?P<name>{TOKEN})['’]s[ \t]+(?:wife|husband|partner|daughters?"
                                    r"|sons?|mother|father|mum|mom|dad|sisters?|brothers?|widow|widower|fianc[ée]e?"
                                    r"|girlfriend|boyfriend|nieces?|nephews?|granddaughters?|grandsons?|grandmother"
                                    r"|grandfather|parents|stepson|stepdaughter|spouse|ex-wife|ex-husband)\b")

# "Grace (wife) reports", "resited by Tom (HCA)", "seen with g hall (son)", "Sam (NOK)": a person named before the
# relation or staff role in brackets that says who they are; capitalised words, or lower-case ones after an initial
_FAMILY = (r"wife|husband|partner|son|daughter|mum|mother|mom|dad|father|sister|brother|niece|nephew|grandson"
           r"|granddaughter|grandmother|grandfather|friend|neighbou?r|carer|aunt|uncle|cousin|stepson|stepdaughter"
           r"|(?:son|daughter)-in-law|girlfriend|boyfriend|fianc[ée]e?")
_BRACKET_WHO = (_FAMILY + r"|nok|next[ \t]+of[ \t]+kin|lpa|poa"
                r"|hca|hcsw|rn|sn|rgn|rmn|physio|ot|slt|salt|fy[12]|f[12]|sho|reg|registrar|ward[ \t]+clerk|pharmacist"
                r"|dietitian|(?:student|staff|charge|agency|bank)[ \t]+nurse|nurse|midwife|porter|paramedic|anp|cns"
                r"|social[ \t]+worker|key[ \t]+worker|support[ \t]+worker|interpreter|chaplain|volunteer")
BRACKET_WHO_RE = re.compile(rf"(?<![\w'’-])(?P<name>(?P<caps>{TOKEN}(?:[ \t]+(?:{TOKEN}|{INITIAL})){{0,2}})"
                            r"|(?P<initial>[a-z]\.?[ \t]+)?(?P<low>[a-z]+(?:['’-][a-z]+)*))[ \t]*"
                            rf"\((?i:{_BRACKET_WHO})(?:[ \t]*[,/;&][ \t]*(?i:{_BRACKET_WHO}))*\)")
# capitalised words before a bracket that name what was done or who came, not a person ("Consent (NOK)")
_NOT_BEFORE_BRACKET = frozenset("consent collateral contact telephone visit visitors escort translation advocate "
                                "attorney dnacpr discussion call update informed transport handover referral "
                                "equipment".split())


def _bracket_names(text: str) -> list[Cand]:
    """The names of ``BRACKET_WHO_RE``: capitalised name-shaped words (a first name that is also a word counts:
    "Grace", "Tom"), or lower-case ones that pass ``lower_name_ok``, any listed or word name after an initial."""
    out: list[Cand] = []
    for m in BRACKET_WHO_RE.finditer(text) if "(" in text else ():
        inside = text[m.end("name"):m.end()].strip(" \t()")
        if inside.isupper() and inside == "".join(w[0] for w in m.group("name").split()[-len(inside):]).upper():
            continue  # "Central Nervous System (CNS)": an abbreviation defined, not a role
        if m.group("caps"):
            words = [w for w in m.group("caps").split() if len(w.rstrip(".")) > 1]
            ok = bool(words) and all(
                w.lower() not in _NOT_BEFORE_BRACKET | _NOT_NAMES | _PEOPLE and not w.isupper()
                and (cap_name_ok(w) or w in _WORD_FIRST_NAMES or w in lexicon.AMBIGUOUS and w in lexicon.first_names())
                for w in words)
        else:  # a listed name, or any name after an initial, before a family word ("supernatant (SN)", "central
            # nervous system (CNS)", "multiple of the median (MoM)" define an abbreviation)
            low = m.group("low")
            ok = re.fullmatch(_FAMILY, inside.lower()) is not None and text[m.end() - 2].islower() and (
                lexicon.is_listed(low) or bool(m.group("initial")) and low.title() in lexicon.AMBIGUOUS)
        if ok:
            out.append(Cand(m.start("name"), m.end("name"), "NAME", "relation", 55))
    return out


def find_context_names(text: str) -> list[Cand]:
    """NAME candidates from subject lines, names before their e-mail address, and babies' names in quotes."""
    out: list[Cand] = []
    for regex, rule in ((SUBJECT_RE, "subject"), (BEFORE_EMAIL_RE, "before-email"), (BABY_RE, "baby")):
        if rule == "before-email" and "@" not in text:
            continue
        for m in regex.finditer(text):
            words = re.findall(r"\S+", m.group("name"))
            if rule in ("subject", "baby") and _object_words(words):
                continue  # "for Bell Palsy", "for Humira Pen", 'Twin A "Breech"': a thing, not a person
            if all(cap_name_ok(w) for w in words if len(w.rstrip(".")) > 1):
                out.append(Cand(m.start("name"), m.end("name"), "NAME", rule, 55))
    for m in PT_AGE_RE.finditer(text):
        words = [w for w in m.group("name").split() if len(w.rstrip(".")) > 1]
        if not any(w.lower() in _NOT_NAMES or english_looking(w) and not lexicon.is_listed(w) for w in words) \
                and any(cap_name_ok(w) for w in words):
            out.append(Cand(m.start("name"), m.end("name"), "NAME", "pt-age", 55))
    for m in WORD_FIRST_AGE_RE.finditer(text) if "," in text else ():
        first, last = m.group("first"), m.group("last")
        if (first in _WORD_FIRST_NAMES or first in lexicon.AMBIGUOUS and first in lexicon.first_names()) \
                and (last not in lexicon.AMBIGUOUS and cap_name_ok(last) or last in _WORD_SURNAMES):
            out.append(Cand(m.start("name"), m.end("name"), "NAME", "pt-age", 55))
    common = lexicon.common_words()
    for m in POSSESSIVE_RELATIVE_RE.finditer(text) if "'" in text or "’" in text else ():
        word = m.group("name")  # "Patient's wife", "Pt's son", "HIS WIFE's" stay: common words and capitals
        if not word.isupper() and word.lower() not in common and word.lower() not in _NOT_NAMES | _PEOPLE:
            out.append(Cand(m.start("name"), m.end("name"), "NAME", "possessive-relative", 55))
    return out + _bracket_names(text)


# words that can follow "Pt" before an age without being a name ("Pt Reports Pain, 40F" in title case is rare,
# but headings such as "Pt Name Unknown, 40F" are not)
_NOT_NAMES = frozenset("name unknown unidentified anonymous doe is was has had with and the "
                       "seen today yesterday tonight now here still also".split())  # "Patient Seen Today, 45 yo"
# people named by what they are ("Baby's mother", "Twin's father", "Client's wife")
_PEOPLE = frozenset("baby babies infant child twin triplet neonate newborn boy girl man woman lady gentleman resident "
                    "client person someone somebody everyone victim donor recipient proband "
                    # a relative named by the family word ("Mum's partner", "Gran's husband")
                    "mum mom mam dad gran granny grandma grandad grandpa nan nana nanna auntie aunty uncle stepmum "
                    "stepdad hubby carer carers".split())
# What ends a subject line or stands in quotes after "Twin A" when it is no name: an eponym's disease,
# sign or instrument (lexicon.EPONYM_NEXT: "Bell Palsy", "Foley Catheter", "Holter Monitor"), a drug's
# form ("Humira Pen", "Tdap Booster"), a fetal presentation or size ('Twin A "Breech"', 'Baby A "Small"').
# Hand-written like the other name rules (see ``detect``).
_THINGS = frozenset("pen pens booster boosters refill refills dose doses dosing injection injections vaccine "
                    "vaccines shot shots pump inhaler device supplies results labs order orders request "
                    "vertex breech transverse oblique cephalic footling frank small large stable".split())


def _object_words(words: list[str]) -> bool:
    """Whether the last word names a thing (see ``_THINGS``). Common words stay allowed: names that
    are words (``for Summer Cook``) are what these cues are for."""
    last = words[-1].strip(".,'’").lower()
    return last in lexicon.EPONYM_NEXT or last in _THINGS
