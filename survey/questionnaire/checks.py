"""Meaning checks for a questionnaire whose shape already passed the JSON Schema.

Each check returns problems as (path, message) pairs; the loader turns a path into a line
number. Every check runs, so one pass reports every problem in a file.

This module runs them all (check) and holds the checks on the file's structure: texts in every
language, scales, pages, questions and their options. What refers to what (rules, derived
variables, breakdowns, audience) is checked in reference_checks.py; the equality standard in
equality_checks.py. It also holds the warnings: what a valid file allows but probably does not mean.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .equality_checks import check_equality
from .model import ITEM_TYPES, Questionnaire, Section
from .reference_checks import (
    Found,
    Index,
    Path,
    check_audience,
    check_derived,
    check_dimensions,
    check_rule,
    duplicates,
    options_of,
    register_questions,
)

TEXT_KEYS = frozenset({"title", "description", "intro", "text", "hint", "label", "group", "unit", "error", "short"})

# Which keys each question type may use, and which it must have.
TYPE_KEYS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "single": (frozenset({"options", "other_max_length"}), frozenset({"options"})),
    "multi": (frozenset({"options", "max_choices", "other_max_length"}), frozenset({"options"})),
    "scale": (frozenset({"scale", "off_scale"}), frozenset({"scale"})),
    "grid": (frozenset({"scale", "off_scale", "items"}), frozenset({"scale", "items"})),
    "number": (frozenset({"min", "max", "unit"}), frozenset({"min", "max"})),
    "text": (frozenset({"max_length"}), frozenset({"max_length"})),
    "long_text": (frozenset({"max_length"}), frozenset({"max_length"})),
    "statements": (frozenset({"items", "labels"}), frozenset({"items"})),
    "priorities": (frozenset({"options", "choose", "rank"}), frozenset({"options"})),
}
COMMON_KEYS = frozenset({"id", "type", "text", "hint", "required", "show_if"})
TYPED_KEYS = frozenset().union(*(allowed for allowed, _ in TYPE_KEYS.values()))


def check(tree: dict, promises: bool = True) -> Found:
    """Return every meaning problem in a questionnaire tree.

    promises=False leaves out the rules that keep the start page's promises to members, which
    came after some questionnaires were pinned to surveys: a pinned version is read again
    whenever its survey is shown, and must still open.
    """
    index = Index(languages=list(tree.get("languages", [])))
    found: Found = []
    found += _check_texts(tree, (), index.languages)
    found += _check_scales(tree, index)
    found += register_questions(tree, index)
    found += check_derived(tree, index)
    found += _check_sections(tree, index)
    found += check_dimensions(tree, index)
    found += check_audience(tree, index)
    if promises:
        found += check_equality(tree, index)
    return found


def warnings(tree: dict) -> Found:
    """Return what a valid questionnaire allows but its author probably did not mean."""
    audience = {str(q) for q in (tree.get("audience") or {}).values()}
    found: Found = []
    for s_index, section in enumerate(tree.get("sections") or []):
        questions = [str(q.get("id")) for q in section.get("questions") or []]
        if section.get("intro") and questions and set(questions) <= audience:
            found.append(
                (
                    ("sections", s_index, "intro"),
                    f"warning: this page asks only {_and(questions)}, which a survey for one "
                    f"{_audience_words(tree, questions)} answers for its members, so they skip the page "
                    "and never see this introduction; move it to the next page",
                )
            )
    return found


def lost_intros(questionnaire: Questionnaire, audience: Mapping[str, str | None]) -> list[Section]:
    """Return the pages with an introduction that this audience's members never see: a page that
    holds only questions the audience answers is skipped (Questionnaire.for_audience)."""
    fixed = {questionnaire.audience[key] for key, code in audience.items() if code and key in questionnaire.audience}
    return [s for s in questionnaire.sections if s.intro and s.questions and all(q.id in fixed for q in s.questions)]


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _audience_words(tree: dict, questions: list[str]) -> str:
    keys = [str(k).replace("_", " ") for k, q in (tree.get("audience") or {}).items() if str(q) in questions]
    return " or ".join(keys)


def _check_texts(node: Any, path: Path, languages: list[str]) -> Found:
    found: Found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "metadata" and not path:
                continue
            if (key in TEXT_KEYS or path[-1:] == ("labels",)) and isinstance(value, dict):
                for lang in languages:
                    if not str(value.get(lang) or "").strip():
                        found.append(((*path, key), f"'{key}' has no {_language_name(lang)} text"))
                for lang in value:
                    if lang not in languages:
                        found.append(((*path, key, lang), f"'{key}' has text in '{lang}', which is not in languages"))
            else:
                found += _check_texts(value, (*path, key), languages)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _check_texts(value, (*path, i), languages)
    return found


def _language_name(code: str) -> str:
    return {"en": "English", "cy": "Welsh (cy)"}.get(code, code)


def _check_scales(tree: dict, index: Index) -> Found:
    found: Found = []
    for name, scale in (tree.get("scales") or {}).items():
        path = ("scales", name)
        index.scales[name] = scale
        found += duplicates(scale["points"], "code", (*path, "points"), "scale point code")
        found += duplicates(scale.get("off_scale", []), "code", (*path, "off_scale"), "off-scale code")
        points = {p["code"] for p in scale["points"]}
        for key in ("positive", "negative"):
            for i, code in enumerate(scale.get(key, [])):
                if code not in points:
                    found.append(((*path, key, i), f"scale {name}: {key} names {code}, which is not a point"))
    return found


def _check_sections(tree: dict, index: Index) -> Found:
    found: Found = []
    sections = tree["sections"]
    for s_index, section in enumerate(sections):
        s_path = ("sections", s_index)
        first = min(index.refs[q["id"]].position for q in section["questions"])
        found += check_rule(section.get("show_if"), (*s_path, "show_if"), index, first, s_index, "section")
        for q_index, question in enumerate(section["questions"]):
            found += _check_question(question, (*s_path, "questions", q_index), index, s_index)
    return found


def _check_question(question: dict, path: Path, index: Index, page: int) -> Found:
    found: Found = []
    qtype = question["type"]
    allowed, needed = TYPE_KEYS[qtype]
    for key in question:
        if key in TYPED_KEYS and key not in allowed:  # unknown keys are the schema's to report
            found.append(((*path, key), f"'{key}' is not used by {qtype} questions"))
    for key in sorted(needed - set(question)):
        found.append((path, f"{qtype} questions need '{key}'"))
    position = index.refs[question["id"]].position
    found += check_rule(question.get("show_if"), (*path, "show_if"), index, position, page, "question")
    if qtype in ("single", "multi", "priorities"):
        found += _check_options(question, path, index, position, page)
    if qtype == "priorities":
        found += _check_priorities(question, path)
    if qtype in ("scale", "grid") and "scale" in question:
        scale = index.scales.get(question["scale"])
        if scale is None:
            found.append(((*path, "scale"), f"unknown scale '{question['scale']}'"))
        else:
            known = {o["code"] for o in scale.get("off_scale", [])}
            for i, code in enumerate(question.get("off_scale", [])):
                if code not in known:
                    found.append(((*path, "off_scale", i), f"'{code}' is not an off-scale code of {question['scale']}"))
    if qtype in ITEM_TYPES:
        found += duplicates(question.get("items", []), "code", (*path, "items"), "item code")
        for i, item in enumerate(question.get("items", [])):
            found += check_rule(item.get("show_if"), (*path, "items", i, "show_if"), index, position, page, "item")
    if qtype == "number" and "min" in question and "max" in question and question["min"] > question["max"]:
        found.append(((*path, "min"), f"min ({question['min']}) is above max ({question['max']})"))
    return found


def _check_options(question: dict, path: Path, index: Index, position: float, page: int) -> Found:
    found: Found = []
    options = list(options_of(question))
    seen: set[str] = set()
    for o_path, option, _group in options:
        where = (*path, *o_path)
        if option["code"] in seen:
            found.append(((*where, "code"), f"duplicate option code '{option['code']}'"))
        seen.add(option["code"])
        if option.get("exclusive") and question["type"] == "priorities":
            found.append(((*where, "exclusive"), "priorities questions cannot have exclusive options"))
        elif option.get("exclusive") and question["type"] != "multi":
            found.append(((*where, "exclusive"), "'exclusive' is only for multi questions"))
        found += check_rule(option.get("show_if"), (*where, "show_if"), index, position, page, "option")
        for i, alt in enumerate(option.get("alt_labels", [])):
            found += check_rule(alt["when"], (*where, "alt_labels", i, "when"), index, position, page, "option")
    for i, entry in enumerate(question.get("options") or []):
        if "group" in entry:
            found += check_rule(entry.get("show_if"), (*path, "options", i, "show_if"), index, position, page, "option")
    max_choices = question.get("max_choices")
    if max_choices is not None and max_choices > len(options):
        found.append(((*path, "max_choices"), f"max_choices ({max_choices}) is more than the {len(options)} options"))
    return found


def _check_priorities(question: dict, path: Path) -> Found:
    """Pick exactly N or rank the top N: one of the two, from a fixed list longer than N."""
    found: Found = []
    asks = [key for key in ("choose", "rank") if key in question]
    if len(asks) != 1:
        found.append((path, "priorities questions need exactly one of 'choose' (pick N) or 'rank' (rank the top N)"))
    options = list(options_of(question))
    for key in asks:
        if question[key] >= len(options):
            found.append(
                (
                    (*path, key),
                    f"{key} ({question[key]}) must be less than the number of options ({len(options)}); "
                    "give more options, or ask a multi question",
                )
            )
    for o_path, option, _group in options:
        where = (*path, *o_path)
        if option.get("other"):
            found.append(((*where, "other"), "priorities questions cannot have an 'other' write-in option"))
        if option.get("show_if") is not None:
            found.append(((*where, "show_if"), "the options of a priorities question cannot have show_if"))
    for i, entry in enumerate(question.get("options") or []):
        if "group" in entry and entry.get("show_if") is not None:
            found.append(((*path, "options", i, "show_if"), "the options of a priorities question cannot have show_if"))
    return found
