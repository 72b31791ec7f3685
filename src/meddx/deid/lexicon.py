"""Word lists the detector uses: first names, surnames, cities, common words, states, eponyms.

The name and city lists ship as text files in ``meddx/deid/data`` (public-domain US Census / SSA frequency
lists, and since round 20 names of many cultures and world places: about 2,300 given names, 2,500 surnames and
2,400 places). They are loaded once, on first use.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=None)
def _words(filename: str) -> tuple[str, ...]:
    text = resources.files("meddx.deid").joinpath("data").joinpath(filename).read_text(encoding="utf-8")
    out: list[str] = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out += [line] if filename in ("cities.txt", "towns.txt") else line.split()
    return tuple(out)


@lru_cache(maxsize=None)
def first_names() -> frozenset[str]:
    """Common first names, title case."""
    return frozenset(_words("first_names.txt"))


@lru_cache(maxsize=None)
def surnames() -> frozenset[str]:
    """Common surnames, title case (O'Brien, McDonald as written)."""
    return frozenset(_words("surnames.txt"))


@lru_cache(maxsize=None)
def cities() -> tuple[str, ...]:
    """City names matched without context, longest first (so "New York" beats "York")."""
    return tuple(sorted(set(_words("cities.txt")), key=len, reverse=True))


@lru_cache(maxsize=None)
def towns() -> frozenset[str]:
    """Towns and districts matched without context (``data/towns.txt``), less any that is a common word, a
    listed first name or surname, an ambiguous name or already a city of ``cities()``."""
    skip = common_words() | first_names() | surnames() | AMBIGUOUS | frozenset(cities())
    return frozenset(t for t in _words("towns.txt") if t not in skip and t.lower() not in skip)


@lru_cache(maxsize=None)
def common_words() -> frozenset[str]:
    """Lower-case words never taken as a name or place by the capitalisation rules."""
    return frozenset(_words("common_words.txt")) | frozenset(w.lower() for w in STATE_NAMES) | frozenset(
        w.lower() for w in COUNTRIES)


def is_listed(word: str, *, parts: bool = False) -> bool:
    """``word`` (any case) is a listed first name or surname; with ``parts``, a hyphenated word
    counts when one of its parts is ("Hernandez-Cruz"), ambiguous parts ("White") excepted."""
    title = word.title() if word.isupper() or word.islower() else word
    if title in first_names() or title in surnames():
        return True
    if parts and "-" in title:
        return any(len(p) > 2 and p not in AMBIGUOUS and (p in first_names() or p in surnames())
                   for p in title.split("-"))
    return False


# Names that are also ordinary words: never matched alone, only with context or next to a name.
AMBIGUOUS = frozenset("""
Will May June April Grace Hope Faith Joy Rose Mark Bill Art Frank Sue Pat Dawn Summer Autumn Ginger Iris Ruby
Pearl Crystal Amber Eve Chase Hunter Mason Carter Dean Drew Gene Guy Lance Rich Miles Wade Cliff Jordan Austin
Victoria Florence Christian Madison Charlotte White Black Green Brown Gray Young King Hill Wood Woods Long Hall Price
Rice Bell Cross Stone Little Moss Marsh Lane Wells Mills Banks Fields Park Parks Day Love West Ford Bush Wolf Fox
Sharp Hardy Page Hunt Baker Cook Fisher Walker Porter Parker Bishop Barber Brewer Potter Farmer Chandler Grant
Gill Cole Ray Terry Holt Neal Powers Lamb Sims Frazier Gross Byrd Beck Cannon Booth Church Noble Strong Best
Major Joseph Paul Henry James Thomas George Charles Francis Daniel Dennis Simon Lawrence Leonard Gregory Douglas
Stanley Alexander Oliver Owen Casey Lloyd Curtis Norman Tyler Logan Carl Dale Glenn Earl Roy Ali Ivan Sam Ben Dan
Don Tim Tom Jim Bob Ken Nick Mia Ava Zoe Leah Lucas Li Le Lee Lin Wu Shah Das Rao Kim Chan Chang Wang Yang Long
Cox Carolina
""".split())

# Surnames that name a disease, sign, test or instrument. A known name followed by one of
# EPONYM_NEXT ("Wilson disease", "Murphy sign", "Allen test") is not scrubbed; the same
# surname with a title or label ("Dr. Wilson", "Attending: Allen") is.
EPONYM_NEXT = frozenset("""
disease diseases syndrome sign signs test tests maneuver manoeuvre lymphoma palsy reflex criteria score
classification procedure operation fracture tumor tumour ulcer phenomenon catheter tube shunt protocol stain
scale equation formula law node nodes cell cells body bodies triad effect type method technique repair incision
point position needle forceps clamp retractor hernia cyst diverticulum esophagus oesophagus ring membrane sarcoma
encephalopathy aneurysm thyroiditis chorea dementia dystrophy anomaly block fever virus infection lines index
patch ligament duct space pouch valve angle canal gland glands granules nodules sclerosis disorder neuropathy
ataxia coma apnea hypothesis rule rules staging stage grade grading class questionnaire inventory
echocardiography ultrasound ultrasonography sonography imaging color colour flow analysis regression hazards
proportional model models rats rat mice mouse antigen antigens protein proteins strain study studies cohort trial
heart risk probe kit assay counter plot curve agar medium solution proteinuria level levels depth drain pattern
tear lesions spots murmur respirations contracture monitor purpura wort
screw screws wire wires pin pins nail splint bandage pathway stool
pak pack packs strait paresis paralysis
naevus nevus naevi nevi
balloon stages guidelines guideline competence
mask masks frame collar brace
regime regimen regimens bundle lens lenses
resection
""".split())

STATE_ABBRS = frozenset("""
AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR
PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR
""".split())
# Abbreviations that are also credentials or words: a city before them needs a ZIP code.
AMBIGUOUS_STATES = frozenset("MD PA ID IN OR ME OK HI DE CO MA ND SC".split())
STATE_NAMES = (
    "Alabama", "Alaska", "Arizona", "Arkansas", "California", "Colorado", "Connecticut", "Delaware", "Florida",
    "Georgia", "Hawaii", "Idaho", "Illinois", "Indiana", "Iowa", "Kansas", "Kentucky", "Louisiana", "Maine",
    "Maryland", "Massachusetts", "Michigan", "Minnesota", "Mississippi", "Missouri", "Montana", "Nebraska",
    "Nevada", "New Hampshire", "New Jersey", "New Mexico", "New York", "North Carolina", "North Dakota", "Ohio",
    "Oklahoma", "Oregon", "Pennsylvania", "Rhode Island", "South Carolina", "South Dakota", "Tennessee", "Texas",
    "Utah", "Vermont", "Virginia", "Washington", "West Virginia", "Wisconsin", "Wyoming", "Puerto Rico",
)
COUNTRIES = (
    "Mexico", "Canada", "China", "India", "Japan", "Korea", "Vietnam", "Philippines", "Brazil", "Germany", "France",
    "Italy", "Spain", "Portugal", "Ireland", "England", "Scotland", "Russia", "Ukraine", "Poland", "Haiti", "Cuba",
    "Jamaica", "Guatemala", "Honduras", "Colombia", "Peru", "Nigeria", "Ghana", "Kenya", "Ethiopia", "Somalia",
    "Egypt", "Israel", "Iran", "Iraq", "Pakistan", "Bangladesh", "Greece", "Turkey", "Europe", "Africa", "Asia",
)
