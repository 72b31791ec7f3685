"""Surrogates: consistent fake values and per-patient date offsets, derived from a secret key.

Every value is ``HMAC-SHA256(key, scope | type | normalised original)``, where the scope is the
patient id (else the document id): the same original gives the same fake within a patient, a
different one across patients, and nobody without the key can map a fake back. The key comes
from ``--key`` / ``DeidSettings.key``, else ``MEDDX_DEID_KEY``, else ``$MEDDX_HOME/deid/key``
(32 random bytes, hex, created once with 0600 permissions).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import stat
from pathlib import Path

from meddx.core.errors import ConfigError
from meddx.deid.letters import LOWER, UPPER

log = logging.getLogger("meddx.deid")

ENV_KEY = "MEDDX_DEID_KEY"

FAKE_FIRST = ("Avery Blake Casey Dana Emery Finley Harper Jamie Jordan Kendall Logan Morgan Parker Quinn Reese Riley "
              "Rowan Sawyer Skyler Taylor Alden Bennett Carson Dalton Ellis Flynn Grady Hollis Jensen Kieran Lennox "
              "Marlow Nolan Oakley Presley Remy Sutton Tatum Wren Adair Briar Cleo Darcy Eden Fallon Greer Hadley "
              "Ivy Juniper Keaton Lark Marin Noor Oren Piper Rory Sage Tegan Vale Wynn").split()
FAKE_LAST = ("Ashdown Birchall Caulfield Dunmore Elmsworth Fairleigh Garside Hartwell Inglethorpe Jessop Kettering "
             "Lowther Marwood Northam Ormsby Pelham Quarrie Redfern Selwyn Thorncliffe Upwood Verity Whitcombe "
             "Yelland Alcott Bramley Cresswell Danforth Everleigh Fenwick Gadsby Holbrook Islay Jarrow Kimber "
             "Lathbury Merrow Nettleton Oldcastle Penrose Radley Stanway Tilbury Underwood Varley Wexford Yeoman "
             "Abney Brackett Colville Draycott Eastwood Farrow Glossop Hurst Ibbotson Keswick Lindley Moxley").split()
FAKE_CITIES = ("Fairhaven Millbrook Oakridge Cedarville Ashford Brookfield Clearwater Dunmore Eastlake Foxborough "
               "Glenwood Hillcrest Lakemont Maplewood Northfield Pinehurst Riverton Stonebridge Westbury Willowdale"
               ).split()
FAKE_STREETS = ("Alder Beech Birch Cypress Elm Hazel Laurel Linden Magnolia Maple Oak Poplar Rowan Spruce Walnut "
                "Willow Aspen Juniper Chestnut Hawthorn").split()


def resolve_key(key: str | bytes | None) -> bytes:
    """The secret: ``key`` if given, else ``$MEDDX_DEID_KEY``, else the stored key file."""
    if key:
        return key if isinstance(key, bytes) else key.encode("utf-8")
    env = os.environ.get(ENV_KEY)
    if env:
        return env.encode("utf-8")
    return stored_key()


def key_path() -> Path:
    """Where the generated key lives: ``$MEDDX_HOME/deid/key``."""
    from meddx.core.paths import meddx_home

    return meddx_home() / "deid" / "key"


def stored_key() -> bytes:
    """Read the key file, creating it once (0600, 32 random bytes as hex) when absent."""
    path = key_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    except OSError as exc:
        raise ConfigError(f"{path}: cannot create the de-identification key ({exc.strerror}); "
                          f"pass --key or set {ENV_KEY}") from None
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        log.info("deid: created a new key file %s (mode 0600)", path)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("deid: key file %s is readable by others (mode %o); run chmod 600", path, mode)
    value = path.read_text(encoding="utf-8").strip()
    if not value:
        raise ConfigError(f"{path}: the de-identification key file is empty; delete it to create a new one")
    return value.encode("utf-8")


class Surrogates:
    """Fake values for one scope (a patient, else a document) under one key."""

    def __init__(self, key: bytes, scope: str, shift_days: tuple[int, int] = (-365, -30)) -> None:
        self.key = key
        self.scope = scope
        self.shift_days = shift_days
        self._redrawn: dict[str, str] = {}  # name word (lower case) -> fake, when the word's own draw was taken
        self.avoid: set[str] = set()  # the note's own name words (lower case), never written as a fake: see avoid_names

    def avoid_names(self, names: list[str]) -> None:
        """Never write one of the words of ``names`` (the note's own names) as a fake. Drawn from a key, "Maria"
        could become "Lark" in a note about Lark Smith, and "Jordan" could stay "Jordan": the output then held a
        real name of the note, wrongly attached. Such a draw is redrawn (``_redraw``) for this document; the
        same name keeps its own draw in a patient's notes that do not hold the colliding name."""
        self.avoid |= {_name_key(m.group()) for name in names for m in _NAME_WORD.finditer(name)
                       if len(m.group().rstrip(".")) > 1}

    def digest(self, kind: str, value: str) -> bytes:
        """HMAC of the scope, the kind and the normalised value."""
        msg = f"{self.scope}\x1f{kind}\x1f{value}".encode()
        return hmac.new(self.key, msg, hashlib.sha256).digest()

    def number(self, kind: str, value: str, n: int) -> int:
        """A stable integer in ``[0, n)``."""
        return int.from_bytes(self.digest(kind, value)[:8], "big") % n

    def date_offset(self) -> int:
        """Days added to every date of this scope (the same for all its documents)."""
        low, high = self.shift_days
        return low + int.from_bytes(self.digest("date-shift", "")[:8], "big") % (high - low + 1)

    def name(self, original: str) -> str:
        """Each word mapped on its own, so "Xavi Quonset" and "Mr. Quonset" stay consistent. A particle or a word
        of descent is kept as written ("Femke de Vries" -> "Briar de Upwood", "Hamid bin Rashid", "Murugan a/l
        Subramaniam"; round 20): it names nobody, and a fake in its place reads as altered text.

        A word's fake is drawn from its own HMAC, so two different words can draw the same fake.
        Within one name ("Jane Doe", "Doe, Jane M") no two different words may end up as the same
        fake ("Penrose Penrose" tells a reader the text was altered): the surname keeps its draw (it
        is what "Mr. Doe" elsewhere maps to) and a given or middle name that collides is redrawn
        from the same pool, deterministically. The redraw is remembered for the rest of this scope
        object (one document), so a later "Jane" on its own reads like the "Jane" of "Jane Doe".
        """
        words = [m for i, m in enumerate(_NAME_WORD.finditer(original)) if not _particle(m, i, original)]
        fakes = [self._name_fake(m.group()) for m in words]
        full = [i for i, m in enumerate(words) if len(m.group().rstrip(".")) > 1]
        if len(full) > 1:
            comma = original.find(",")
            head = [i for i in full if comma >= 0 and words[i].end() <= comma]  # "Doe, Jane": surname first
            surname = head[-1] if head else full[-1]
            chosen: dict[str, str] = {}  # original word (lower case) -> its fake (lower case) in this name
            for i in [surname] + [i for i in full if i != surname]:
                token = words[i].group()
                word = _name_key(token)
                fakes[i] = self._name_fake(token)  # again: a word of this name may have been redrawn just now
                if word not in chosen and fakes[i].lower() in chosen.values():
                    fakes[i] = self._redraw(token, set(chosen.values()))
                chosen.setdefault(word, fakes[i].lower())
        pieces, pos = [], 0
        for m, fake in zip(words, fakes):
            pieces += [original[pos:m.start()], fake]
            pos = m.end()
        return "".join(pieces) + original[pos:]

    def _name_fake(self, token: str) -> str:
        """The fake of one name word or initial, in the token's case ("J." -> "K.", "DOE" -> "PELHAM")."""
        if len(token.rstrip(".")) == 1:
            return chr(ord("A") + self.number("initial", token[0].upper(), 26)) + token[1:]
        word = _name_key(token)
        fake = self._redrawn.get(word) or _name_pool(token)[self.number("name", word, len(_name_pool(token)))]
        if fake.lower() in self.avoid:  # a real name of this note (see avoid_names)
            return self._redraw(token, set())
        return fake.upper() if token.isupper() else fake

    def _redraw(self, token: str, taken: set[str]) -> str:
        """Another fake for ``token`` from its pool, none of ``taken`` (lower case); remembered for this scope."""
        pool = _name_pool(token)
        word = _name_key(token)
        start = self.number("name-redraw", word, len(pool))
        free = [fake for fake in pool[start:] + pool[:start] if fake.lower() not in taken | self.avoid]
        if not free:  # a "name" of more words than the pool holds: keep the first draw
            fake = pool[self.number("name", word, len(pool))]
            return fake.upper() if token.isupper() else fake
        self._redrawn[word] = free[0]
        return free[0].upper() if token.isupper() else free[0]

    def pattern(self, kind: str, original: str) -> str:
        """Same shape: digits -> digits, letters -> letters (case kept), punctuation kept."""
        normal = re.sub(r"[^0-9A-Za-z]", "", original).upper()
        stream = self.digest(kind, normal) + self.digest(kind + "+", normal)
        out, i = [], 0
        for ch in original:
            if ch.isdigit():
                out.append(str(stream[i % len(stream)] % 10))
                i += 1
            elif ch.isalpha():  # any script: "ÖZ-4471" must not keep its "Ö"
                letter = chr(ord("A") + stream[i % len(stream)] % 26)
                out.append(letter if ch.isupper() else letter.lower())
                i += 1
            else:
                out.append(ch)
        return "".join(out)

    def email(self, original: str) -> str:
        """``user-<hex>@example.org``."""
        return f"user-{self.digest('email', original.lower()).hex()[:8]}@example.org"

    def url(self, original: str) -> str:
        """``https://example.org/<hex>`` (``www.example.org/...`` when the input had no scheme)."""
        tail = self.digest("url", original.lower().rstrip("/")).hex()[:10]
        return f"www.example.org/{tail}" if original.lower().startswith("www.") else f"https://example.org/{tail}"

    def ip(self, original: str) -> str:
        """A documentation-range address (192.0.2.x, 2001:db8::x)."""
        if ":" in original:
            return f"2001:db8::{self.digest('ip', original.lower()).hex()[:4]}"
        return f"192.0.2.{1 + self.number('ip', original, 254)}"

    def location(self, original: str) -> str:
        """Street, ZIP, county, facility or city, each replaced by a fake of the same kind."""
        words = original.split()
        if re.fullmatch(r"\d{5}(?:-\d{4})?|\d{4}|\d{6}", original):  # also "NSW 2000", Indian PIN "600116"
            return self.pattern("zip", original)
        if re.match(r"(?i)p\.?\s?o\.?\s*box|post office box", original):
            return "PO Box " + self.pattern("pobox", re.sub(r"\D", "", original))
        city = FAKE_CITIES[self.number("city", original.lower(), len(FAKE_CITIES))]
        if words and words[0][0].isdigit():
            street = FAKE_STREETS[self.number("street", original.lower(), len(FAKE_STREETS))]
            suffix = next((w for w in words[1:] if w.rstrip(".,").title() in _SUFFIX_WORDS), "Street")
            house = self.pattern("house", words[0])
            if house[:1] == "0":  # "067 Juniper Lane": a house number never starts with 0
                house = str(1 + self.number("house-lead", words[0], 9)) + house[1:]
            return f"{house} {street} {suffix.rstrip(',')}"
        if words and words[-1] in ("County", "Parish", "Borough"):
            return f"{city} {words[-1]}"
        tail = re.search(r"(?:Medical Center|Health Center|Hospital|Clinic|Infirmary|Nursing Home|Hospice|"
                         r"Rehabilitation Center|Care Center|Institute|Healthcare|Health System)$", original)
        if tail:
            return f"{city} {tail.group()}"
        return city


_NAME_WORD = re.compile(rf"[{UPPER}{LOWER}'’\-]+\.?")
# particles and words of descent kept in a surrogate name, in lower case only: a capitalised one may be a name word
# and is replaced ("Aaron Das", "Tran Van Le", "De Luca")
_PARTICLES = frozenset("""de del della der den van von da das do dos di du le la les bin binti bte bt ibn bint binte
al el ter ten y e""".split())


def _particle(m: re.Match[str], index: int, original: str) -> bool:
    """The name word ``m`` (the ``index``-th of ``original``) is a particle or a word of descent to keep."""
    word = m.group()
    if word in ("a", "l", "p") and re.match(r"a/[lp]\b", original[m.start() - 2 * (word != "a"):]):
        return True  # "a/l", "a/p" (son of, daughter of)
    return word.rstrip(".") in _PARTICLES and index > 0


def _name_key(token: str) -> str:
    """What a name word's draw is keyed on: the word in lower case ("DOE", "Doe" -> "doe")."""
    return (token.title() if token.isupper() else token).lower()


def _name_pool(token: str) -> list[str]:
    """Listed first names draw from ``FAKE_FIRST``, every other word from ``FAKE_LAST``."""
    from meddx.deid import lexicon

    title = token.title() if token.isupper() else token
    return FAKE_FIRST if title in lexicon.first_names() else FAKE_LAST


_SUFFIX_WORDS = frozenset("Street St Avenue Ave Road Rd Boulevard Blvd Drive Dr Lane Ln Court Ct Place Pl Way Terrace "
                          "Circle Parkway Highway Square Trail".split())
