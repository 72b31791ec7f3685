"""Synthetic clinical notes with a known answer: every planted identifier's offsets and type.

``generate_notes(n, seed)`` writes admission notes, discharge summaries, radiology reports,
progress notes and referral letters for a few patients each (so ``patient_id`` repeats),
planting all 18 Safe Harbor types in varied formats, plus confounders that must NOT be
flagged: doses, lab values, vital signs ("BP 120/80"), pain scores ("7/10"), ages <= 89, years
alone, ICD-10 codes and eponymous diseases ("Parkinson disease", "Hodgkin lymphoma").
Types use the detector's vocabulary (``meddx.deid.spans.PHI_TYPES``).
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass, field

from meddx.deid import synthetic_values as sv
from meddx.deid.synthetic_templates import COMPLAINTS, CONFOUNDERS, HISTORY, RELATIONS, TEMPLATES


@dataclass(frozen=True)
class PlantedSpan:
    """One planted identifier: ``text[start:end]`` is PHI of ``type``."""

    start: int
    end: int
    type: str


@dataclass
class SyntheticNote:
    """A generated note, its patient and the planted identifiers."""

    id: str
    patient_id: str
    text: str
    spans: list[PlantedSpan] = field(default_factory=list)


@dataclass
class _Persona:
    first: str
    last: str
    middle: str
    sex: str
    age: int
    dob: dt.date
    relatives: list[tuple[str, str, str]]
    city: tuple[str, str]


class _Builder:
    """Accumulates text and planted spans."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.spans: list[PlantedSpan] = []
        self.pos = 0

    def add(self, text: str, kind: str | None = None) -> None:
        if kind is not None:
            self.spans.append(PlantedSpan(self.pos, self.pos + len(text), kind))
        self.parts.append(text)
        self.pos += len(text)


def generate_notes(n: int, seed: int) -> list[SyntheticNote]:
    """``n`` notes from ``seed`` (same seed, same notes); 1 to 5 notes per patient."""
    from meddx.deid import lexicon

    rng = random.Random(seed)
    det_first = sorted(lexicon.first_names() - lexicon.AMBIGUOUS)
    det_last = sorted(lexicon.surnames() - lexicon.AMBIGUOUS)
    notes: list[SyntheticNote] = []
    patient = 0
    while len(notes) < n:
        patient += 1
        persona = _persona(rng, det_first, det_last)
        for _ in range(min(rng.randint(1, 5), n - len(notes))):
            kind = rng.choice(sorted(TEMPLATES))
            b = _Builder()
            _Filler(rng, persona, b, det_first, det_last).render(TEMPLATES[kind])
            notes.append(SyntheticNote(f"note-{seed}-{len(notes):05d}", f"patient-{seed}-{patient:04d}", "".join(b.parts),
                                       sorted(b.spans, key=lambda s: s.start)))
    return notes


def _persona(rng: random.Random, det_first: list[str], det_last: list[str]) -> _Persona:
    first, last = sv.pick_name(rng, det_first, det_last)
    sex = rng.choice("FM")
    age = rng.randint(90, 104) if rng.random() < 0.25 else rng.randint(25, 89)
    dob = dt.date(2021 - age, rng.randint(1, 12), rng.randint(1, 28))
    relatives = []
    for relation in rng.sample(RELATIONS[sex], 2):
        r_first, r_last = sv.pick_name(rng, det_first, det_last)
        relatives.append((relation, r_first, last if rng.random() < 0.6 else r_last))
    return _Persona(first, last, rng.choice("ABCDEJKLMRST"), sex, age, dob, relatives, sv.pick_city(rng))


class _Filler:
    """Fills one template: each ``{key}`` becomes text pieces, PHI ones recorded as spans."""

    def __init__(self, rng: random.Random, p: _Persona, b: _Builder, det_first: list[str], det_last: list[str]) -> None:
        self.rng, self.p, self.b = rng, p, b
        self.det_first, self.det_last = det_first, det_last
        self.base = dt.date(2021, 1, 1) + dt.timedelta(days=rng.randint(0, 700))
        self.doctors = [sv.pick_name(rng, det_first, det_last) for _ in range(3)]

    def render(self, template: list[str]) -> None:
        for line in template:
            for piece in re.split(r"(\{\w+\})", line):
                if piece.startswith("{") and piece.endswith("}"):
                    getattr(self, "f_" + piece[1:-1])()
                else:
                    self.b.add(piece)

    # --- people -------------------------------------------------------------------------------
    def f_pt_full(self) -> None:
        p, rng = self.p, self.rng
        form = rng.choice([f"{p.first} {p.last}", f"{p.first} {p.middle}. {p.last}", f"{p.last.upper()}, {p.first.upper()}",
                           f"{p.last}, {p.first}", f"{p.last}, {p.first} {p.middle}."])
        self.b.add(form, "NAME")

    def f_pt_first(self) -> None:
        self.b.add(self.p.first, "NAME")

    def f_title_last(self) -> None:
        self.b.add({"F": self.rng.choice(["Ms. ", "Mrs. "]), "M": "Mr. "}[self.p.sex])
        self.b.add(self.p.last, "NAME")

    def f_doc(self) -> None:
        first, last = self.rng.choice(self.doctors)
        self.b.add(self.rng.choice([f"{first} {last}", last, f"{first[0]}. {last}"]), "NAME")

    def f_doc_last(self) -> None:
        self.b.add(self.rng.choice(self.doctors)[1], "NAME")

    def f_doc_full(self) -> None:
        first, last = self.rng.choice(self.doctors)
        if self.rng.random() < 0.5:
            self.b.add("Dr. ")
        self.b.add(f"{first} {last}", "NAME")

    def f_doc_sig(self) -> None:
        first, last = self.rng.choice(self.doctors)
        self.b.add(f"{first} {last}", "NAME")
        self.b.add(", " + self.rng.choice(["MD", "DO", "NP", "PA-C"]))

    def f_cred(self) -> None:
        self.b.add(self.rng.choice(["MD", "DO", "NP", "RN"]))

    def f_relative(self) -> None:
        relation, first, last = self.rng.choice(self.p.relatives)
        self.b.add(f"{self._poss()} {relation}, " if self.rng.random() < 0.5 else f"{self._poss()} {relation} ")
        self.b.add(self.rng.choice([f"{first} {last}", first]), "NAME")

    def f_relative_cap(self) -> None:
        relation, first, last = self.rng.choice(self.p.relatives)
        self.b.add(f"{self._poss().title()} {relation} ")
        self.b.add(f"{first} {last}" if self.rng.random() < 0.5 else first, "NAME")

    def f_relative_label(self) -> None:
        relation, first, last = self.rng.choice(self.p.relatives)
        self.b.add(f"{first} {last}", "NAME")
        self.b.add(f" ({relation}) ")
        self.b.add(sv.fmt_phone(self.rng), "PHONE")

    def f_relative_first(self) -> None:
        relation, first, _ = self.rng.choice(self.p.relatives)
        self.b.add(f"{self._poss()} {relation} ")
        self.b.add(first, "NAME")

    def f_employer(self) -> None:
        if self.rng.random() < 0.5:
            self.b.add("Works at ")
            self.b.add(self.rng.choice(sv.EMPLOYERS), "NAME")
            self.b.add(". ")

    def _poss(self) -> str:
        return "her" if self.p.sex == "F" else "his"

    def f_pronoun(self) -> None:
        self.b.add("She" if self.p.sex == "F" else "He")

    def f_pronoun_lower(self) -> None:
        self.b.add("she" if self.p.sex == "F" else "he")

    def f_sexword(self) -> None:
        self.b.add(self.rng.choice(["woman", "female"]) if self.p.sex == "F" else self.rng.choice(["man", "male"]))

    # --- ages and dates -----------------------------------------------------------------------
    def f_age(self) -> None:
        age, rng = self.p.age, self.rng
        if age < 90:
            self.b.add(rng.choice([f"{age}-year-old", f"{age} y/o", f"{age} yo"]))
            return
        text = sv.old_age_text(rng, age)
        if text.isdigit() and rng.random() < 0.2:
            self.b.add(rng.choice(["patient aged ", "patient, age "]))
            self.b.add(text, "AGE")
            return
        self.b.add(text, "AGE")
        self.b.add(rng.choice(["-year-old", " year old", " y/o", " yo"]) if text.isdigit() else "-year-old")

    def f_age_short(self) -> None:
        self.b.add(str(self.p.age), "AGE" if self.p.age >= 90 else None)

    def f_md_date(self) -> None:
        d = self.base + dt.timedelta(days=self.rng.randint(1, 60))
        self.b.add(f"{d.month}/{d.day}" if self.rng.random() < 0.5 else f"{d.month:02d}/{d.day:02d}", "DATE")

    def f_dob(self) -> None:
        self.b.add(sv.fmt_date(self.rng, self.p.dob, allow_partial=False), "DATE")

    def f_date(self) -> None:
        self.b.add(sv.fmt_date(self.rng, self.base + dt.timedelta(days=self.rng.randint(-40, 40))), "DATE")

    # --- places -------------------------------------------------------------------------------
    def f_address(self) -> None:
        rng = self.rng
        self.b.add(f"{rng.randint(1, 9999)} {rng.choice(sv.STREETS)} {rng.choice(sv.SUFFIXES)}"
                   + (f", Apt {rng.randint(1, 40)}{rng.choice('ABC')}" if rng.random() < 0.3 else ""), "LOCATION")
        self.b.add(", ")
        self._city_state_zip()

    def f_address_line(self) -> None:
        self.f_address()

    def f_clinic_address(self) -> None:
        rng = self.rng
        if rng.random() < 0.2:
            self.b.add(f"P.O. Box {rng.randint(10, 9999)}", "LOCATION")
        else:
            self.b.add(f"{rng.randint(1, 999)} {rng.choice(sv.STREETS)} {rng.choice(sv.SUFFIXES)}"
                       + (f", Suite {rng.randint(100, 999)}" if rng.random() < 0.3 else ""), "LOCATION")
        self.b.add(", ")
        self._city_state_zip(sv.pick_city(rng), full_state=rng.random() < 0.3)

    def _city_state_zip(self, city: tuple[str, str] | None = None, full_state: bool = False) -> None:
        name, state = city or self.p.city
        self.b.add(name, "LOCATION")
        self.b.add(f", {sv.STATE_NAMES.get(state, state) if full_state else state} ")
        self.b.add(f"{self.rng.randint(1000, 99999):05d}" + (f"-{self.rng.randint(0, 9999):04d}"
                                                             if self.rng.random() < 0.2 else ""), "LOCATION")

    def f_origin(self) -> None:
        self.b.add(self.rng.choice(["originally from ", "born and raised in ", "a native of ", "from the town of "]))
        self.b.add(sv.pick_city(self.rng)[0], "LOCATION")

    def f_city_ctx(self) -> None:
        self.b.add(self.p.city[0], "LOCATION")

    def f_facility(self) -> None:
        self.b.add(f"{self.rng.choice(sv.FACILITY_NAMES)} {self.rng.choice(sv.FACILITY_KINDS)}", "LOCATION")

    def f_county(self) -> None:
        self.b.add(f"{self.rng.choice(sv.COUNTIES)} County", "LOCATION")

    # --- numbers and codes --------------------------------------------------------------------
    def f_phone(self) -> None:
        self.b.add(sv.fmt_phone(self.rng), "PHONE")

    def f_fax(self) -> None:
        self.b.add(sv.fmt_phone(self.rng), "FAX")

    def f_email(self) -> None:
        p = self.p
        last = p.last.replace(" ", "").replace(".", "")
        user = self.rng.choice([f"{p.first}.{last}", f"{p.first[0]}{last}{self.rng.randint(1, 99)}", f"{last}{p.first[0]}"])
        self.b.add(f"{user.lower().replace(chr(39), '')}@{self.rng.choice(sv.EMAIL_DOMAINS)}", "EMAIL")

    def f_ssn(self) -> None:
        self.b.add(sv.fmt_ssn(self.rng), "SSN")

    def f_mrn(self) -> None:
        self.b.add(sv.fmt_mrn(self.rng), "MRN")

    def f_url(self) -> None:
        self.b.add(sv.fmt_url(self.rng, self.p.first, self.p.last), "URL")

    def f_ip(self) -> None:
        self.b.add(sv.fmt_ip(self.rng), "IP")

    def f_ids(self) -> None:
        """Three to five of the rarer identifiers, each after its usual label."""
        rng = self.rng
        makers = [self._plan, self._account, self._license, self._vehicle, self._device, self._biometric, self._photo,
                  self._other, self._ssn_labelled, self._fax_labelled, self._email_labelled, self._url_labelled,
                  self._ip_labelled]
        for i, make in enumerate(rng.sample(makers, rng.randint(3, 5))):
            if i:
                self.b.add(rng.choice(["; ", ". ", "\n"]))
            make()

    def _labelled(self, label: str, value: str, kind: str) -> None:
        self.b.add(label + " ")
        self.b.add(value, kind)

    def _plan(self) -> None:
        self._labelled(self.rng.choice(["Member ID:", "Medicare ID", "Policy #", "Subscriber ID", "Medicaid #"]),
                       sv.fmt_plan(self.rng), "HEALTH_PLAN")

    def _account(self) -> None:
        self._labelled(self.rng.choice(["Account #:", "Acct No.", "billing account"]), sv.fmt_account(self.rng), "ACCOUNT")

    def _license(self) -> None:
        self._labelled(*sv.fmt_license(self.rng), "LICENSE")

    def _vehicle(self) -> None:
        label, value = sv.fmt_vehicle(self.rng)
        self.b.add("Patient's car: ")
        self._labelled(label, value, "VEHICLE")

    def _device(self) -> None:
        self._labelled(*sv.fmt_device(self.rng), "DEVICE")

    def _biometric(self) -> None:
        self._labelled(*sv.fmt_biometric(self.rng), "BIOMETRIC")

    def _photo(self) -> None:
        self._labelled(*sv.fmt_photo(self.rng), "PHOTO")

    def _other(self) -> None:
        self._labelled(*sv.fmt_other_id(self.rng), "ID")

    def _ssn_labelled(self) -> None:
        self._labelled(self.rng.choice(["SSN:", "SSN", "Social Security #"]), sv.fmt_ssn(self.rng), "SSN")

    def _fax_labelled(self) -> None:
        self._labelled(self.rng.choice(["Fax:", "fax", "Fax #"]), sv.fmt_phone(self.rng), "FAX")

    def _email_labelled(self) -> None:
        self.b.add("e-mail ")
        self.f_email()

    def _url_labelled(self) -> None:
        self.b.add("portal ")
        self.f_url()

    def _ip_labelled(self) -> None:
        self.b.add("login from IP ")
        self.f_ip()

    # --- filler -------------------------------------------------------------------------------
    def f_confounder(self) -> None:
        self.b.add(self.rng.choice(CONFOUNDERS))

    def f_complaint(self) -> None:
        self.b.add(self.rng.choice(COMPLAINTS))

    def f_history(self) -> None:
        self.b.add(self.rng.choice(HISTORY))
