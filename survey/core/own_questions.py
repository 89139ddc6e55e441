"""An organiser's own questions in a composed survey: read from the compose page's form, checked,
and written as questionnaire-file mappings. No HTTP here.

Own questions are of the simple types (single choice, multiple choice, a bank answer scale, a
number, a text box), with every text in English and Welsh. A question about a protected
characteristic cannot be written here: equality questions come only from the bank, unchanged,
so they keep the equality standards (optional, "Prefer not to say", standard wording) and the
protected-breakdown rules (docs/results.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .question_bank import Bank

OWN_TYPES = {
    "single": "One answer from a list",
    "multi": "Any number of answers from a list",
    "scale": "An answer scale from the bank (agree – disagree and others)",
    "number": "A whole number",
    "long_text": "Their own words (a text box)",
}
LANGUAGE_NAMES = {"en": "English", "cy": "Welsh"}
TEXT_LIMIT = 500
OPTION_LIMIT = 200
MAX_OPTIONS = 30
TEXT_BOX_LENGTH = 1000
NUMBER_LIMIT = 1_000_000

# Words that make a question one about a protected characteristic (English and Welsh). Matched
# as whole words, so "manage" or "page" never count as "age" (and never the Welsh "rhyw", which
# also means "some": the English text of the same question is checked too).
EQUALITY_WORDS = re.compile(
    r"\b(age|aged|how old|date of birth|born|sex|sexes|gender|transgender|trans|non-binary|"
    r"sexual orientation|sexuality|gay|lesbian|bisexual|lgbt\w*|heterosexual|"
    r"ethnic\w*|race|racial|skin colou?r|nationality|disab\w*|impairment|long-term (health )?condition|"
    r"religio\w*|faith|pregnan\w*|maternity|married|marriage|civil partner\w*|"
    r"oed|oedran|rhywedd|trawsryweddol|cyfeiriadedd rhywiol|ethnig|hil|anabl\w*|crefydd\w*|ffydd|beichiog)\b",
    re.IGNORECASE,
)
# Words that ask who a member is: answers are anonymous, so no question may ask for them.
IDENTIFYING_WORDS = re.compile(
    r"\b(your name|full name|first name|last name|surname|e-?mail|phone number|mobile number|telephone|"
    r"your address|home address|postal address|postcode|post code|"
    r"payroll number|staff number|employee number|membership number|member number|national insurance|"
    r"eich enw|enw llawn|cyfenw|eich cyfeiriad|cod post|rhif ffôn|rhif aelodaeth|e-bost)\b",
    re.IGNORECASE,
)
IDENTIFYING_REFUSAL = (
    "Answers are anonymous, as members are promised: a question cannot ask for a name, contact details "
    "or a staff or membership number"
)
EQUALITY_REFUSAL = (
    "Questions about protected characteristics (age, sex, gender identity, sexual orientation, ethnicity, "
    "disability, religion, pregnancy, marriage) can only come from the question bank, unchanged, so that "
    "they keep the equality standards: add them from the bank's 'About you' pages instead"
)


def blank_own() -> dict[str, Any]:
    """Return the fields of a new own question, as the form shows them."""
    return {
        "type": "single",
        "text_en": "",
        "text_cy": "",
        "hint_en": "",
        "hint_cy": "",
        "options_en": "",
        "options_cy": "",
        "scale": "",
        "min": "",
        "max": "",
        "required": False,
    }


def fields_of(own: Mapping[str, Any]) -> dict[str, Any]:
    """Return a stored own question as the form's fields, to edit it."""
    fields = blank_own()
    fields["type"] = own["type"]
    fields["required"] = bool(own.get("required"))
    for language in LANGUAGE_NAMES:
        fields[f"text_{language}"] = own["text"][language]
        fields[f"hint_{language}"] = (own.get("hint") or {}).get(language, "")
        fields[f"options_{language}"] = "\n".join(o[language] for o in own.get("options") or [])
    fields["scale"] = own.get("scale", "")
    fields["min"] = "" if own.get("min") is None else str(own["min"])
    fields["max"] = "" if own.get("max") is None else str(own["max"])
    return fields


def scale_choices(bank: Bank) -> dict[str, str]:
    """Return the bank's answer scales by name, each described by its first and last points."""
    found: dict[str, str] = {}
    for source in bank.sources:
        for name, scale in source.scales.items():
            points = scale["points"]
            found.setdefault(name, f"{points[0]['label']['en']} … {points[-1]['label']['en']} ({len(points)} points)")
    return found


def read_own(form: Mapping[str, str], bank: Bank) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """Read an own question from the form: (what was typed, the question, problems by field).

    What was typed is returned whatever happens, so a page with problems shows it all again.
    """
    fields = blank_own()
    for key in fields:
        if key != "required":
            fields[key] = str(form.get(key, "")).replace("\r\n", "\n")
    fields["required"] = form.get("required") == "yes"
    problems: dict[str, str] = {}
    kind = fields["type"]
    if kind not in OWN_TYPES:
        problems["type"] = "Choose what kind of answer members give"
    own: dict[str, Any] = {"type": kind, "text": {}, "required": fields["required"]}
    for language, name in LANGUAGE_NAMES.items():
        text = fields[f"text_{language}"].strip()
        if not text:
            problems[f"text_{language}"] = f"Enter the question in {name}"
        elif len(text) > TEXT_LIMIT:
            problems[f"text_{language}"] = f"Use {TEXT_LIMIT} characters or fewer for the question"
        elif EQUALITY_WORDS.search(text):
            problems[f"text_{language}"] = EQUALITY_REFUSAL
        elif IDENTIFYING_WORDS.search(text):
            problems[f"text_{language}"] = IDENTIFYING_REFUSAL
        own["text"][language] = text
    hints = {language: fields[f"hint_{language}"].strip() for language in LANGUAGE_NAMES}
    if any(hints.values()):
        for language, name in LANGUAGE_NAMES.items():
            if not hints[language]:
                problems[f"hint_{language}"] = f"Enter the hint in {name} too, or leave both hints empty"
            elif len(hints[language]) > TEXT_LIMIT:
                problems[f"hint_{language}"] = f"Use {TEXT_LIMIT} characters or fewer for the hint"
        own["hint"] = hints
    if kind in ("single", "multi"):
        options, option_problems = _read_options(fields)
        own["options"] = options
        problems |= option_problems
    elif kind == "scale":
        if fields["scale"] not in scale_choices(bank):
            problems["scale"] = "Choose an answer scale"
        own["scale"] = fields["scale"]
    elif kind == "number":
        low, high, number_problems = _read_range(fields)
        own |= {"min": low, "max": high}
        problems |= number_problems
    return fields, own, problems


def _read_options(fields: Mapping[str, Any]) -> tuple[list[dict[str, str]], dict[str, str]]:
    lines = {lang: [x.strip() for x in fields[f"options_{lang}"].split("\n") if x.strip()] for lang in LANGUAGE_NAMES}
    problems = {}
    for language, name in LANGUAGE_NAMES.items():
        if len(lines[language]) < 2:
            problems[f"options_{language}"] = f"Enter at least two answers in {name}, one on each line"
        elif len(lines[language]) > MAX_OPTIONS:
            problems[f"options_{language}"] = f"Enter at most {MAX_OPTIONS} answers"
        elif any(len(line) > OPTION_LIMIT for line in lines[language]):
            problems[f"options_{language}"] = f"Use {OPTION_LIMIT} characters or fewer for each answer"
        elif any(EQUALITY_WORDS.search(line) for line in lines[language]):
            problems[f"options_{language}"] = EQUALITY_REFUSAL
    if not problems and len(lines["en"]) != len(lines["cy"]):
        problems["options_cy"] = (
            f"Enter as many Welsh answers as English ones ({len(lines['en'])}), in the same order, one on each line"
        )
    if not problems and len({line.lower() for line in lines["en"]}) != len(lines["en"]):
        problems["options_en"] = "Each answer must be different"
    options = [{"en": en, "cy": cy} for en, cy in zip(lines["en"], lines["cy"], strict=False)]
    return options, problems


def _read_range(fields: Mapping[str, Any]) -> tuple[int | None, int | None, dict[str, str]]:
    problems = {}
    values: dict[str, int | None] = {}
    for key, name in (("min", "smallest"), ("max", "largest")):
        try:
            values[key] = int(str(fields[key]).strip())
        except ValueError:
            values[key] = None
            problems[key] = f"Enter the {name} number a member may give, as a whole number"
            continue
        if abs(values[key] or 0) > NUMBER_LIMIT:
            problems[key] = f"Enter a number between -{NUMBER_LIMIT:,} and {NUMBER_LIMIT:,}"
    low, high = values["min"], values["max"]
    if not problems and low is not None and high is not None and low >= high:
        problems["max"] = "Enter a largest number above the smallest"
    return low, high, problems


def option_codes(labels: list[str]) -> list[str]:
    """Return a stable code for each answer: its English words in lower case, joined by _."""
    codes: list[str] = []
    for number, label in enumerate(labels, start=1):
        code = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")[:30].strip("_") or f"answer_{number}"
        code = code if code[0].isalnum() else f"a{code}"
        base, extra = code, 2
        while code in codes:
            code, extra = f"{base}_{extra}", extra + 1
        codes.append(code)
    return codes


def own_tree(own: Mapping[str, Any]) -> dict[str, Any]:
    """Return an own question as a questionnaire file writes it."""
    tree: dict[str, Any] = {"id": own["id"], "type": own["type"], "text": dict(own["text"])}
    if own.get("hint"):
        tree["hint"] = dict(own["hint"])
    if own.get("required"):
        tree["required"] = True
    if own["type"] in ("single", "multi"):
        labels = own["options"]
        codes = option_codes([o["en"] for o in labels])
        tree["options"] = [
            {"code": c, "label": {"en": o["en"], "cy": o["cy"]}} for c, o in zip(codes, labels, strict=True)
        ]
    elif own["type"] == "scale":
        tree["scale"] = own["scale"]
    elif own["type"] == "number":
        tree |= {"min": own["min"], "max": own["max"]}
    else:
        tree["max_length"] = TEXT_BOX_LENGTH
    return tree
