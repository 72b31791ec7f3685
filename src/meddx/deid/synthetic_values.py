"""Fake PHI values for the synthetic notes, each in several real-world formats.

The generator's own name and city lists are DISJOINT from the detector's lists
(``meddx/deid/data``; a test checks it) and at least 60% of names and cities are drawn from
them, so measured recall does not come from the detector knowing the answer.
"""

from __future__ import annotations

import datetime as dt
import random

GEN_FIRST = """
Thaddeus Ottoline Bartholomew Eustace Ignatius Leopold Percival Cornelius Ambrose Barnaby Cosmo Evander Fitzroy Gideon
Torcuil Isidore Jethro Kenshiro Lughaidh Mungo Nikodim Oberon Peregrine Quentin Ruaidhri Silas Tobiah Ulysses Valerian
Wendell Yushaa Zebedee Anselm Benedikt Casimir Dashiell Elystan Florestan Gumercindo Horatio Ivo Jacinto Lysander Mordecai
Nnaemeka Olegario Pascal Radomir Soren Tawfeeq Umberto Vasco Wolfram Yannick Zsombor Arabella Beatrix Clementine Delphine
Esmeralda Fenella Georgiana Henrietta Imogen Jessamyn Kerensa Leocadia Marisela Nerissa Ophelia Philippa Rosalind
Sadhbh Theodora Ulrika Viveca Walburga Xiomara Yevgenia Zuleika Aafke Berenice Cressida Dagny Eulalia Fiorella
Ginevra Isolde Jadwiga Kalinda Lyubava Mireille Noemi Orsolya Perpetua Rosamund Solvor Tamsin Winifred Zinnia José
Zoë Chidubem Oluwapelumi Nguyet Thuong Shubhankar Ananya Kwabla Abiy Folasade Xabier Zelda Ingegerd Loke Torben Aurelio
""".split()
GEN_LAST = """
Quonset Abernathy Okonjo-Ezumah Lindorff Nakashima Grimsby Halloran Ingersoll Jabłoniec Kowalik Lundgren
Mbeki Nyberg Oyeniran Etxegarai-Salcedo Przybyłowicz Quartermaine Rasmusbakke Szczepanski Thorvaldsen Umeki
Vanderslice Wojtaszczyk Xiangshu
Yablonsky Zelinsky Achterhof Bergstrom Castellanos Eriksgaard Fairweather Gallastegui Hightower Iwakura Jankowiak
Kristoffersbakk Llewelyn-Bevis Macintosh Nordgren Ostrowiec Pemberton Quirke-Ahern Rutherford Soelberg Tolliver Urqhuart-Bain Villafañe
Whitlock Yamawaki Zabrowski Ashworth Blackwood Cartwright Drummelzier Ellsworth Fairbanks Holloway Ironside Kingsley
Lockhart Merriweather Northcott Prendergast Radcliffe Sinclair Thistlewood Underhill Vickery Wetherby Yardley
O'Shaughnessy McAllister MacGregor D'Alessandro DeLuca Oyelowo Adeyinka-Odufuwa Chukwuka Menyah Boakye-Dankwa Hailemariam Tesfamariam Takasugi
Matsunaga Kuzmichev Smirnitsky Popovici Horváthné Nagyházi Novotny Dvořáček Petrušić Jovanovski Papadimitropoulos Georgiadou Yılmazer Demirkıran
Haddadin Nasrallah Farouqi Bhattacharyya-Sanyal Chattopadhyay Venkatachalam Subbiah Raghavachari Trương-Lâm Huỳnh-Lê Vương Dương-Hà Okafornwa
""".split() + ["de la Peñaranda", "van der Gucht", "St. Clair", "da Sobral-Mordaunt"]
GEN_CITIES = [
    ("Marblehead", "MA"), ("Pocatello", "ID"), ("Ypsilanti", "MI"), ("Kalamazoo", "MI"), ("Walla Walla", "WA"),
    ("Chillicothe", "OH"), ("Poughkeepsie", "NY"), ("Tuscumbia", "AL"), ("Natchitoches", "LA"), ("Yreka", "CA"),
    ("Bemidji", "MN"), ("Kankakee", "IL"), ("Oshkosh", "WI"), ("Paducah", "KY"), ("Sheboygan", "WI"),
    ("Winnemucca", "NV"), ("Punxsutawney", "PA"), ("Tonopah", "NV"), ("Wapakoneta", "OH"), ("Mishawaka", "IN"),
    ("Ashtabula", "OH"), ("Duluth", "MN"), ("Altoona", "PA"), ("Scranton", "PA"), ("Bangor", "ME"),
    ("Nantucket", "MA"), ("Gloucester", "MA"), ("Amherst", "MA"), ("Northampton", "MA"), ("Holyoke", "MA"),
    ("Dedham", "MA"), ("Hingham", "MA"), ("Cohasset", "MA"), ("Scituate", "MA"), ("Duxbury", "MA"),
    ("Wareham", "MA"), ("Falmouth", "MA"), ("Wellfleet", "MA"), ("Saugus", "MA"), ("Swampscott", "MA"),
]
KNOWN_CITY_STATES = {"Boston": "MA", "Worcester": "MA", "Chicago": "IL", "Denver": "CO", "Seattle": "WA",
                     "Baltimore": "MD", "Pittsburgh": "PA", "Tucson": "AZ", "Providence": "RI", "Hartford": "CT",
                     "Albany": "NY", "Omaha": "NE", "Toledo": "OH", "Reno": "NV", "Boise": "ID", "Lowell": "MA"}
STREETS = ("Oak Maple Elm Lakeview Hawthorne Juniper Sycamore Chestnut Quarry Birchwood Cranberry Foxglove Wisteria "
           "Pleasant Highland Prospect Orchard Meadowbrook Larkspur Ridgecrest Tanglewood Bayberry Coldspring").split()
SUFFIXES = ["Street", "St.", "Avenue", "Ave", "Road", "Rd.", "Drive", "Lane", "Court", "Way", "Terrace", "Boulevard",
            "Circle", "Place"]
FACILITY_NAMES = ["St. Brigid", "Mercy Ridge", "Lakeshore", "Cedar Valley", "Harborview", "Pinecrest", "Riverbend",
                  "Whitmore", "Ashford", "Kingsbridge", "Saint Columba", "Greystone", "Bellhaven", "Tidewater"]
FACILITY_KINDS = ["Hospital", "Regional Hospital", "Medical Center", "Memorial Hospital", "Community Hospital",
                  "Rehabilitation Center", "Nursing Home", "Health Center", "Clinic"]
COUNTIES = ["Suffolk", "Middlesex", "Essex", "Hampden", "Berkshire", "Cuyahoga", "Maricopa", "Plymouth", "Bristol",
            "Worcester", "Barnstable", "Hampshire", "Franklin", "Coconino", "Multnomah"]
EMPLOYERS = ["Dunmore Paper Company", "Halvorsen Logistics", "Brightwater Dairy", "Kestrel Machine Works",
             "Ostrander Textiles"]
EMAIL_DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "mercyridge.org", "comcast.net", "icloud.com"]
STATE_NAMES = {"MA": "Massachusetts", "ID": "Idaho", "MI": "Michigan", "WA": "Washington", "OH": "Ohio",
               "NY": "New York", "AL": "Alabama", "LA": "Louisiana", "CA": "California", "MN": "Minnesota",
               "IL": "Illinois", "WI": "Wisconsin", "KY": "Kentucky", "NV": "Nevada", "PA": "Pennsylvania",
               "IN": "Indiana", "ME": "Maine", "CO": "Colorado", "MD": "Maryland", "AZ": "Arizona", "RI": "Rhode Island",
               "CT": "Connecticut", "NE": "Nebraska"}
MONTH_ABBR = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
ONES = ["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def pick_name(rng: random.Random, detector_first: list[str], detector_last: list[str]) -> tuple[str, str]:
    """(first, last): 60% from the generator's own lists, the rest from the detector's lists."""
    first = rng.choice(GEN_FIRST) if rng.random() < 0.6 else rng.choice(detector_first)
    last = rng.choice(GEN_LAST) if rng.random() < 0.6 else rng.choice(detector_last)
    return first, last


def pick_city(rng: random.Random) -> tuple[str, str]:
    """(city, state): 60% unseen by the detector."""
    if rng.random() < 0.6:
        return rng.choice(GEN_CITIES)
    city = rng.choice(sorted(KNOWN_CITY_STATES))
    return city, KNOWN_CITY_STATES[city]


def ordinal(day: int) -> str:
    return str(day) + ("th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th"))


def fmt_date(rng: random.Random, d: dt.date, allow_partial: bool = True) -> str:
    """A date in one of the formats seen in real notes."""
    month = d.strftime("%B")
    forms = [
        f"{d.month:02d}/{d.day:02d}/{d.year}", f"{d.month}/{d.day}/{d.year % 100:02d}", f"{d.month}/{d.day}/{d.year}",
        f"{month} {d.day}, {d.year}", f"{MONTH_ABBR[d.month - 1]} {d.day}, {d.year}",
        f"{d.day:02d}-{MONTH_ABBR[d.month - 1]}-{d.year}", d.isoformat(), f"{d.day} {month} {d.year}",
        f"{d.month:02d}-{d.day:02d}-{d.year}", f"{d.day:02d}{MONTH_ABBR[d.month - 1].upper()}{d.year % 100:02d}",
        f"{MONTH_ABBR[d.month - 1]}. {d.day}, {d.year}",
    ]
    weekday = d.strftime("%A")
    forms += [f"{weekday}, {month} {d.day}, {d.year}", f"{d.year}/{d.month:02d}/{d.day:02d}", f"{month} {d.day} {d.year}"]
    if allow_partial:
        forms += [f"{MONTH_ABBR[d.month - 1]} {ordinal(d.day)}", f"{month} {ordinal(d.day)}",
                  f"{ordinal(d.day)} of {month}", f"{month} {d.year}"]
    return rng.choice(forms)


def fmt_phone(rng: random.Random) -> str:
    a, b, c = rng.randint(201, 989), rng.randint(200, 999), rng.randint(0, 9999)
    forms = [f"({a}) {b}-{c:04d}", f"{a}-{b}-{c:04d}", f"{a}.{b}.{c:04d}", f"+1 {a} {b} {c:04d}",
             f"1-{a}-{b}-{c:04d}", f"({a}){b}-{c:04d}", f"{a} {b} {c:04d}"]
    phone = rng.choice(forms)
    return phone + (f" ext. {rng.randint(100, 9999)}" if rng.random() < 0.1 else "")


def fmt_ssn(rng: random.Random) -> str:
    a, b, c = rng.randint(100, 899), rng.randint(10, 99), rng.randint(1000, 9999)
    return rng.choice([f"{a}-{b}-{c}", f"{a} {b} {c}", f"{a}{b}{c}"])


def letters(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(n))


def digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def fmt_mrn(rng: random.Random) -> str:
    return rng.choice([digits(rng, 8), digits(rng, 7), f"{digits(rng, 4)}-{digits(rng, 4)}", f"A{digits(rng, 8)}",
                       f"{digits(rng, 2)}-{digits(rng, 3)}-{digits(rng, 3)}", f"MR{digits(rng, 6)}"])


def fmt_plan(rng: random.Random) -> str:
    mbi = f"{rng.randint(1, 9)}{letters(rng, 2)}{rng.randint(0, 9)}-{letters(rng, 1)}{letters(rng, 1)}{rng.randint(0, 9)}-" \
          f"{letters(rng, 2)}{digits(rng, 2)}"
    return rng.choice([f"{letters(rng, 3)}{digits(rng, 9)}", mbi, f"{letters(rng, 3)}-{digits(rng, 5)}-{digits(rng, 2)}",
                       f"W{digits(rng, 4)}-{digits(rng, 4)}", digits(rng, 11)])


def fmt_account(rng: random.Random) -> str:
    return rng.choice([digits(rng, 11), f"{digits(rng, 2)}-{digits(rng, 4)}-{digits(rng, 2)}", digits(rng, 7),
                       f"A{digits(rng, 9)}"])


def fmt_license(rng: random.Random) -> tuple[str, str]:
    """(label, value)."""
    return rng.choice([
        ("DEA #", f"{letters(rng, 2)}{digits(rng, 7)}"), ("NPI", digits(rng, 10)),
        ("Driver's license", f"S{digits(rng, 3)}-{digits(rng, 4)}-{digits(rng, 4)}"),
        ("License No.", f"RN-{digits(rng, 6)}"), ("Passport number", digits(rng, 9)),
        ("Certificate #", f"{letters(rng, 2)}-{digits(rng, 5)}"), ("medical license", f"{digits(rng, 6)}"),
    ])


def fmt_vehicle(rng: random.Random) -> tuple[str, str]:
    vin = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(16))
    vin = str(rng.randint(1, 5)) + vin
    plate = rng.choice([f"{rng.randint(1, 9)}{letters(rng, 3)}{digits(rng, 3)}", f"{digits(rng, 1)}{letters(rng, 3)} "
                        f"{digits(rng, 3)}", f"{letters(rng, 3)}-{digits(rng, 4)}"])
    return rng.choice([("VIN", vin), ("license plate", plate), ("plate number", plate), ("VIN:", vin)])


def fmt_device(rng: random.Random) -> tuple[str, str]:
    return rng.choice([
        ("pacemaker serial number", f"{letters(rng, 3)}{digits(rng, 6)}{letters(rng, 1)}"),
        ("S/N", f"{digits(rng, 2)}{letters(rng, 2)}-{digits(rng, 5)}"),
        ("insulin pump serial #:", f"{digits(rng, 2)}-{digits(rng, 4)}-{digits(rng, 2)}"),
        ("Device ID:", f"MDT-{digits(rng, 2)}{letters(rng, 2)}-{digits(rng, 4)}"),
        ("ICD serial no.", f"{letters(rng, 2)}{digits(rng, 7)}"),
    ])


def fmt_url(rng: random.Random, first: str, last: str) -> str:
    slug = f"{first}-{last}".lower().replace("'", "").replace(" ", "-").replace(".", "")
    return rng.choice([f"https://portal.mercyridge.org/patients/{digits(rng, 5)}", f"www.caringbridge.org/visit/{slug}",
                       f"http://example-health.net/p?id={digits(rng, 4)}", f"https://www.gofundme.com/f/{slug}-recovery"])


def fmt_ip(rng: random.Random) -> str:
    if rng.random() < 0.2:
        return f"2001:db8:{rng.randint(0, 65535):x}::{rng.randint(0, 65535):x}:{rng.randint(0, 65535):x}"
    return rng.choice([f"192.168.{rng.randint(0, 255)}.{rng.randint(1, 254)}", f"10.{rng.randint(0, 255)}."
                       f"{rng.randint(0, 255)}.{rng.randint(1, 254)}", f"172.16.{rng.randint(0, 255)}.{rng.randint(1, 254)}"])


def fmt_biometric(rng: random.Random) -> tuple[str, str]:
    return rng.choice([("fingerprint ID", digits(rng, 4)), ("retinal scan ID", f"RS-{digits(rng, 6)}"),
                       ("voiceprint ID", f"VP-{digits(rng, 5)}"), ("iris scan template", f"IR{digits(rng, 5)}"),
                       ("palm print record", f"PP-{digits(rng, 4)}")])


def fmt_photo(rng: random.Random) -> tuple[str, str]:
    return rng.choice([("photo ID", f"PH-{digits(rng, 5)}"), ("full-face photograph on file:", f"img_{digits(rng, 4)}.jpg"),
                       ("facial photograph ref", f"FP-{digits(rng, 5)}")])


def fmt_other_id(rng: random.Random) -> tuple[str, str]:
    return rng.choice([("Accession #:", f"RAD-{rng.randint(2015, 2023)}-{digits(rng, 6)}"),
                       ("Study ID:", f"TRIAL-{digits(rng, 4)}-{digits(rng, 3)}"),
                       ("Specimen ID", f"S{digits(rng, 2)}-{digits(rng, 5)}"), ("Encounter #", digits(rng, 8)),
                       ("Case number", f"{rng.randint(2015, 2023)}-CV-{digits(rng, 4)}"),
                       ("Employee ID", f"E-{digits(rng, 5)}")])


def old_age_text(rng: random.Random, age: int) -> str:
    """How the (over-89) age is written: digits most of the time, words sometimes."""
    if rng.random() < 0.15 and age < 100:
        return "ninety" + (f"-{ONES[age - 90]}" if age > 90 else "")
    return str(age)
