"""Finding personal data in a free-text answer, locally, in English and Welsh.

find_personal(text, language) returns the parts of a comment that may identify someone, each with
its kind: a person's name, a named workplace (a ward, an office, a depot), an email address in any
written-out form ("j.smith (at) unison (dot) org"), a phone number, a membership, staff or payroll
number, a postal address or postcode, and a description that singles someone out ("I'm the only
Black woman in the control room", "Fi yw'r unig ..."). Rules and word lists, no model: phone numbers
through the phonenumbers library (Google's libphonenumber), first names and surnames from the name
lists of the Faker package with Welsh names added (survey/results/personal_words.py). No network,
nothing downloaded; a comment takes well under a millisecond (docs/benchmarks.md, "Issue 20").
Why rules rather than a language model: docs/decisions/0031-personal-data-detection.md.
"""

from __future__ import annotations

import functools
import importlib
import re
from dataclasses import dataclass

import phonenumbers

from . import personal_words as w

KINDS = ("name", "workplace", "email", "phone", "number", "address", "singling-out")
DESCRIBED = {
    "name": "a name",
    "workplace": "a workplace",
    "email": "an email address",
    "phone": "a phone number",
    "number": "a membership or staff number",
    "address": "an address or postcode",
    "singling-out": "a description that singles someone out",
}
_PRIORITY = {
    kind: i for i, kind in enumerate(("email", "phone", "address", "number", "singling-out", "name", "workplace"))
}
_FAKER_LOCALES = ("en_GB", "en_IE", "en_US", "en_IN", "en_PK", "en_NG", "pl_PL", "ga_IE")


@dataclass(frozen=True)
class Span:
    """A part of a text, text[start:end], that may identify someone, and its kind (one of KINDS)."""

    start: int
    end: int
    kind: str


_WELSH_WORDS = w.words(
    """yn y yr mae ac ar ei eu wedi ddim dydy roedd fy ein eich gyda hefyd bod chi nhw ydy ond gan yng
    ym mai pan hyn hynny yw fi â nid oedd os rhif ffôn hi fe am dim"""
)


def language_of(text: str) -> str:
    """Guess a comment's language, "cy" or "en", from its commonest small words."""
    words = [word.strip('.,;:!?()"') for word in text.lower().replace("’", "'").split()]
    welsh = sum(word in _WELSH_WORDS or word.endswith("'r") or word.startswith("'r") for word in words)
    return "cy" if words and welsh >= max(1, len(words) // 6) else "en"


def find_personal(text: str, language: str = "en") -> list[Span]:
    """Return the parts of a comment (language "en" or "cy") that may identify someone, in order,
    none overlapping (where two finds overlap, the longer one, or the more telling kind, stays)."""
    found = _emails(text) + _phones(text) + _extensions(text) + _addresses(text) + _numbers(text)
    found += _singling_out(text, language) + _names(text, language) + _workplaces(text, language)
    kept: list[Span] = []
    owner: list[Span | None] = [None] * len(text)  # the kept find over each character
    for span in sorted(found, key=lambda s: (s.start - s.end, _PRIORITY[s.kind], s.start)):
        overlapped = {owner[i] for i in range(span.start, span.end)} - {None}
        if not any(_clash(span, k) for k in overlapped if k is not None):
            kept.append(span)
            owner[span.start : span.end] = [span] * (span.end - span.start)
    return sorted(kept, key=lambda s: (s.start, -s.end))


def _clash(span: Span, kept: Span) -> bool:
    """Whether a find clashes with one kept already that it overlaps; a find within a description
    that singles someone out, or a name within a workplace ("Mr Singh's team"), is kept as well:
    both kinds are told."""
    inside = kept.kind in ("singling-out", "workplace") and kept.start <= span.start and span.end <= kept.end
    return not (inside and span.kind != kept.kind)


# --- email addresses -------------------------------------------------------------------------

_AT_WORD = r"(?:\s*[(\[{<]\s*at\s*[)\]}>]\s*|\s+at\s+)"
_DOT_WORD = r"(?:\s*[(\[{<]\s*dot\s*[)\]}>]\s*|\s+dot\s+)"
_TLDS = {"com", "org", "net", "uk", "gov", "cymru", "wales", "ac", "nhs", "edu", "io", "co", "info", "me", "eu"}
# Repeats are bounded, so that a hostile comment ("a.a.a.a...@", 10,000 characters) stays linear.
EMAIL = re.compile(
    r"(?<![\w.+-])[\w+-]{1,64}(?: ?\. ?[\w+-]{1,64}){0,6} ?@ ?[^\W\d_][\w-]{0,62}(?: ?\. ?[^\W\d_][\w-]{0,62}){0,6}"
)
SPELT_EMAIL = re.compile(
    rf"(?<![\w.+'’-])[\w+-]{{1,64}}(?:(?:\.|{_DOT_WORD})[\w+-]{{1,64}}){{0,6}}{_AT_WORD}"
    rf"[^\W\d_][\w-]{{0,62}}(?:(?:\.|{_DOT_WORD})[^\W\d_][\w-]{{0,62}}){{0,6}}",
    re.I,
)


AT = re.compile(r"\bat\b", re.I)


def _emails(text: str) -> list[Span]:
    found = [Span(m.start(), m.end(), "email") for m in EMAIL.finditer(text)] if "@" in text else []
    at = 0 if AT.search(text) else len(text)
    while m := SPELT_EMAIL.search(text, at):  # "me at jo.bloggs at gmail dot com": tried from each word
        written = m.group(0)
        bracketed = bool(re.search(r"[(\[{<]\s*at\s*[)\]}>]", written, re.I))
        dotted = re.search(r"\bdot\b", written, re.I) is not None
        last = re.split(r"\.|\bdot\b", written, flags=re.I)[-1].strip(" )]}>").lower()
        if bracketed or dotted or last in _TLDS:
            found.append(Span(m.start(), m.end(), "email"))
            at = m.end()
        else:
            at = m.start() + 1
    return found


# --- phone numbers and other numbers ---------------------------------------------------------

# 10 to 13 digits, spaced, dashed or bracketed, starting as a UK number does (0, +44 or 0044).
PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d[\d\s().-]{8,24}\d(?:\s*(?:ext\.?|extension|x)\s*\d{2,5})?(?!\w)", re.I)
DIGIT = re.compile(r"\d")
LONG_NUMBER = re.compile(r"(?<![\w£$€.,/])\d{2,}(?:[ -]\d{2,}){0,8}(?![\w/]|[.,]\d)")
CODE = re.compile(r"\b[A-Z]{1,4}[- /]?\d{4,}\b")  # UN-12345, EMP-20931, P0098321, UN 445566, UN/123456
EXTENSION = re.compile(r"\b(?:extension|ext\.?|estyniad)\s*(?:no\.?\s*)?\d{3,6}\b", re.I)
NI_NUMBER = re.compile(r"\b[A-CEGHJ-PR-TW-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b")
NUMBERED = re.compile(
    r"(?:member(?:ship)?|staff|payroll|employee|personnel|badge|reference|ref|case|"
    r"rhif(?: aelod(?:aeth)?| staff| cyflogres| gweithiwr)?|cyflogres)\s*(?:no\.?|number|num|id|#)?\s*[:.]?\s*"
    r"(\d[\d -]{2,}\d)",
    re.I,
)


def _phones(text: str) -> list[Span]:
    if sum(map(str.isdigit, text)) < 10:
        return []
    found = [
        Span(m.start, m.end, "phone")
        for m in phonenumbers.PhoneNumberMatcher(text, "GB", leniency=phonenumbers.Leniency.POSSIBLE, max_tries=100)
        if sum(map(str.isdigit, m.raw_string)) >= 10
    ]
    for m in PHONE.finditer(text):
        written = m.group(0).rstrip()
        digits = sum(map(str.isdigit, re.split(r"ext|x", written, flags=re.I)[0]))
        if 10 <= digits <= 13 and re.match(r"\(?(?:0|\+|00)", written):
            found.append(Span(m.start(), m.start() + len(written), "phone"))
    return found


def _extensions(text: str) -> list[Span]:
    """An internal phone extension ("extension 4421") names a desk as well as a number does."""
    return [Span(m.start(), m.end(), "phone") for m in EXTENSION.finditer(text)]


def _numbers(text: str) -> list[Span]:
    if not DIGIT.search(text):
        return []
    found = [Span(m.start(), m.end(), "number") for m in NI_NUMBER.finditer(text)]
    found += [Span(m.start(), m.end(), "number") for m in CODE.finditer(text) if not _year(m.group(0)[-4:], m)]
    found += [
        Span(m.start(), m.end(), "number") for m in LONG_NUMBER.finditer(text) if sum(map(str.isdigit, m.group(0))) >= 6
    ]
    found += [Span(m.start(1), m.end(1), "number") for m in NUMBERED.finditer(text)]
    return found


def _year(digits: str, m: re.Match) -> bool:
    return len(m.group(0).lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ -")) == 4 and digits[:2] in ("19", "20")


# --- addresses -------------------------------------------------------------------------------

POSTCODE = re.compile(r"\b(?:[A-Z]{1,2}\d[A-Z\d]?|GIR) ?\d[ABD-HJLNP-UW-Z]{2}\b")
_CAP = r"[A-ZÀ-ÖØ-ÞŴŶ][\w'’-]*"
_STREET_EN = (
    r"Road|Rd|Street|St|Lane|Avenue|Ave|Close|Drive|Way|Crescent|Terrace|Place|Court|Gardens|Grove|"
    r"Hill|Park|Row|Square|View|Walk|Mews|Rise|Green|Parade|Vale"
)
_STREET_CY = r"Heol|Stryd|Ffordd|Lôn|Rhodfa|Cilgant|Maes|Clos|Teras|Stryt|Parc|Bryn|Llwyn|Cae|Tŷ|Ty"
_HOUSE = r"(?:(?:Flat|Unit|Apartment|Fflat|Uned)\s+\d+[A-Za-z]?,?\s+)?\d{1,4}[A-Za-z]?,?\s+"
STREET = re.compile(
    rf"\b{_HOUSE}(?:(?:{_CAP})\s+){{1,3}}(?:{_STREET_EN})\b|\b{_HOUSE}(?:{_STREET_CY})(?:\s+(?:y|yr|'r|{_CAP})){{1,3}}"
)


def _addresses(text: str) -> list[Span]:
    found = [Span(m.start(), m.end(), "address") for m in POSTCODE.finditer(text)]
    return found + [Span(m.start(), m.end(), "address") for m in STREET.finditer(text)]


# --- descriptions that single someone out ----------------------------------------------------

_PERSON_EN = w.alternatives(w.PERSON_NOUNS_EN)
_PERSON_CY = w.alternatives(w.PERSON_NOUNS_CY)
SINGLED_EN = re.compile(
    rf"(?:\b(?:I'm|I’m|I am|I was|as|being|me,?)\s+)?\bthe\s+(?:only|sole|one and only|oldest|youngest|newest)"
    rf"\s+(?:[\w'’-]+\s+){{0,4}}?(?:{_PERSON_EN})\b(?!\s+(?:thing|way|reason|time|option|tool|part|place))",
    re.I,
)
SINGLED_CY = re.compile(
    rf"(?:\b(?:Fi|Rwy'n|Rydw i'n|Roeddwn i'n)\s+(?:yw|oedd)?)?(?:\b(?:yr|y)\s+|'r\s+)(?:unig|hynaf|ieuengaf)\s+"
    rf"(?:[\w'’-]+\s+){{0,3}}?(?:{_PERSON_CY})\b",
    re.I,
)
SELF_ONLY = re.compile(
    rf"\bthe only (?:[\w'’-]+\s+){{0,3}}?(?:{_PERSON_EN})\b[^.;!?]{{0,80}}"
    rf"(?:\bis me\b|[.!?]\s+(?:That's|That is|It's|It is) me\b)",
    re.I,
)
ONLY_WORDS = re.compile(r"only|sole|oldest|youngest|newest|unig|hynaf|ieuengaf", re.I)
CLAUSE_END = re.compile(r"[,.;:!?()\n]|\s(?:so|and|but|because|felly|ac|a|ond|oherwydd)\b")


def _singling_out(text: str, language: str) -> list[Span]:
    if not ONLY_WORDS.search(text):
        return []
    found = [Span(m.start(), m.end(), "singling-out") for m in SELF_ONLY.finditer(text)]
    for pattern in (SINGLED_CY, SINGLED_EN) if language == "cy" else (SINGLED_EN, SINGLED_CY):
        found += [Span(m.start(), _clause_end(text, m.end()), "singling-out") for m in pattern.finditer(text)]
    return found


def _clause_end(text: str, at: int) -> int:
    """Return where the clause that goes on at `at` ends: at a stop, a comma or a conjunction
    within 60 characters, or else at the last word's end within them."""
    rest = text[at : at + 60]
    stop = CLAUSE_END.search(rest)
    if stop is None and at + 60 < len(text):
        stop = re.search(r"\s\S*$", rest)
    return at + (stop.start() if stop else len(rest))


# --- names of people -------------------------------------------------------------------------


@functools.cache
def gazetteer() -> tuple[frozenset[str], frozenset[str]]:
    """Return the first names and surnames known, loaded once: the name lists of the Faker
    package (British, Irish, American, Indian, Pakistani, Nigerian, Polish) and Welsh names."""
    first: set[str] = set(w.words(w.WELSH_FIRST) | w.words(w.SHORT_FIRST))
    last: set[str] = set(w.words(w.MORE_SURNAMES))
    for locale in _FAKER_LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for attribute in ("first_names", "first_names_male", "first_names_female"):
            first.update(getattr(provider, attribute, ()) or ())
        last.update(getattr(provider, "last_names", ()) or ())
    return frozenset(n for n in first if n.isalpha() and len(n) > 1), frozenset(n for n in last if len(n) > 1)


_TITLES = "|".join(re.escape(t) for t in sorted(w.words(w.TITLES), key=len, reverse=True))
_NAME_WORD = rf"(?:{_CAP}|(?:ap|ab|ferch|verch|van|de|da|bin|al)(?=\s+[A-Z]))"
_INITIALS = r"(?:[A-Z]\.\s*){1,3}"  # "Dr A. Rahman"
TITLED = re.compile(rf"\b(?:{_TITLES})(?!\w)\s+((?:{_INITIALS})?(?:{_CAP})(?:\s+{_NAME_WORD}){{0,3}})")
WORD = re.compile(rf"{_CAP}")
PATRONYMIC = re.compile(rf"\b{_CAP}\s+(?:ap|ab|ferch|verch)\s+{_CAP}")
ROLE_NAMED = re.compile(rf"\b(?i:{w.alternatives(w.ROLES)}),?\s+(?:is\s+called\s+|called\s+|named\s+|yw\s+)?({_CAP})")
_AMBIGUOUS = w.words(w.AMBIGUOUS_FIRST)
_NOT_NAMES = w.words(w.NOT_NAMES)
_NOT_NAMES_CY = w.words(w.NOT_NAMES_CY)


def _names(text: str, language: str) -> list[Span]:
    first, last = gazetteer()
    not_names = _NOT_NAMES | (_NOT_NAMES_CY if language == "cy" else frozenset())
    found = [_titled(m, first, last) for m in TITLED.finditer(text)]
    found = [span for span in found if span is not None]
    found += [Span(m.start(), m.end(), "name") for m in PATRONYMIC.finditer(text)]
    # After "my manager", any capitalised word that is not a known non-name ("my manager, Carys, ...")
    found += [
        Span(m.start(1), m.end(1), "name") for m in ROLE_NAMED.finditer(text) if _bare(m.group(1)) not in not_names
    ]
    words = list(WORD.finditer(text))
    for i, m in enumerate(words):
        word = _bare(m.group(0))
        if word not in first or word in not_names or _organisation(text, m.start()):
            continue
        end = _surnames(text, words, i, last)
        if end > m.end() or (word not in _AMBIGUOUS and not _quoted(text, m.start(), m.end())):
            found.append(Span(m.start(), end, "name"))
    return found


def _titled(m: re.Match, first: frozenset[str], last: frozenset[str]) -> Span | None:
    """A title and the name after it, or None where the title is a job word before no name."""
    title = m.group(0).split()[0]
    name_words = [_bare(word) for word in m.group(1).split() if not re.fullmatch(r"[A-Z]\.", word)]
    if name_words[0] in _NOT_NAMES:
        return None
    if title in w.WEAK_TITLES and not (name_words[0] in first or name_words[0] in last):
        return None
    return Span(m.start(), m.end(1), "name")


def _surnames(text: str, words: list[re.Match], i: int, last: frozenset[str]) -> int:
    """Return where a name that starts at words[i] ends: after any surnames that follow it."""
    end = words[i].end()
    for m in words[i + 1 : i + 3]:
        gap = text[end : m.start()]
        if not re.fullmatch(r"\s+(?:(?:ap|ab|ferch|van|de|O')\s+)?", gap):
            break
        word = _bare(m.group(0))
        surname = word not in _NOT_NAMES and (word in last or word.startswith(("O'", "Mc", "Mac")))
        middle = m is words[i + 1] and word in gazetteer()[0] and word not in _AMBIGUOUS | _NOT_NAMES
        if not (surname or middle):
            break
        end = m.end()
    return end


def _bare(word: str) -> str:
    return re.sub(r"['’]s$", "", word)


def _quoted(text: str, start: int, end: int) -> bool:
    return start > 0 and text[start - 1] in "'\"‘“" and text[end : end + 1] in ("'", '"', "’", "”")


def _organisation(text: str, at: int) -> bool:
    before = text[max(0, at - 6) : at]
    return any(text.startswith(name, at) for name in w.NAMED_ORGANISATIONS) or bool(
        re.search(r"\b(?:St\.?|Saint|Sant|Gŵyl)\s+$", before)
    )


# --- workplaces ------------------------------------------------------------------------------

_PLACE = rf"(?:{_CAP})(?:\s+(?:{_CAP}))?"
PLACE_WORKPLACE = re.compile(rf"\b({_PLACE})\s+(?:{w.alternatives(w.WORKPLACES_EN)})\b(?!s)")
WARD = re.compile(
    rf"\b[Ww]ard\s+(?:\d{{1,3}}[A-Z]?|[A-Z]\d{{0,2}}\b|(?!Manager|Sister|Clerk|Round|Staff|Nurse){_CAP})"
    rf"|\b{_CAP}\s+Ward\b|\bUnit\s+\d+[A-Za-z]?(?:,\s+{_PLACE})?"
)
_NOT_HOSPITAL = r"College|Society|Academy|Institute|Navy|Mail|Bank|Commission|Family|Air|Courts|Charter"
HOSPITAL = re.compile(
    rf"\bRoyal\s+(?!(?:{_NOT_HOSPITAL})\b){_CAP}(?!\s+of\b)|\bYsbyty\s+{_PLACE}|\b{_PLACE}\s+Hospital\b"
)
WORKPLACE_CY = re.compile(rf"\b(?:{w.alternatives(w.WORKPLACES_CY)})\s+(?:yn\s+|ym\s+|yng\s+)?({_PLACE})")
_NOT_PLACES = w.words(w.NOT_PLACES)
ARTICLE = re.compile(r"\b(?:[Tt]he|an?|A|[Yy]r?)\s+$")


def _workplaces(text: str, language: str) -> list[Span]:
    found = [Span(m.start(), m.end(), "workplace") for m in WARD.finditer(text) if not _general_ward(m.group(0))]
    found += [Span(_article(text, m.start()), m.end(), "workplace") for m in HOSPITAL.finditer(text)]
    for pattern in (PLACE_WORKPLACE, WORKPLACE_CY):
        for m in pattern.finditer(text):
            place = m.group(1).split()
            if not any(word in _NOT_PLACES or (word.isupper() and len(word) <= 3) for word in place):
                found.append(Span(_article(text, m.start()), m.end(), "workplace"))
    return found


def _article(text: str, at: int) -> int:
    """Return where a workplace's name starts, with "the", "a", "y" or "yr" before it."""
    before = ARTICLE.search(text, max(0, at - 5), at)
    return before.start() if before else at


def _general_ward(written: str) -> bool:
    first = written.split()[0]
    if first.lower() == "ward":
        return False  # "Ward 7", "Ward Dewi"
    return first in _NOT_PLACES or first in {"Each", "Every", "One", "Our", "Hospital", "Labour"}
