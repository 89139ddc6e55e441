"""Meaning checks for the equality standard: equality questions are optional, with "Prefer not to
say" always offered (DESIGN.md §5; the start page says so).

checks.check runs these only for files not yet pinned to a survey (promises=True).
"""

from __future__ import annotations

from .model import TEXT_TYPES
from .reference_checks import LANGUAGE, Found, Index, Path, options_of
from .rules import references

PREFER_NOT_CODES = frozenset({"pnts", "prefer_not", "prefer_not_to_say"})
PREFER_NOT_LABEL = "prefer not to say"
PREFER_NOT_EXAMPLE = "{code: pnts, label: {en: Prefer not to say, cy: Mae'n well gen i beidio â dweud}}"


def equality_questions(tree: dict) -> dict[str, bool]:
    """Return the equality questions, each with whether a protected dimension is made from it.

    A question is one when a protected breakdown is worked out from it (directly, or through
    derived variables), or when it shares a page with such a question: that page's introduction
    tells members every question on it is optional.
    """
    derived = {str(d.get("id")): d for d in tree.get("derived") or [] if isinstance(d, dict)}

    def sources(ref: str, seen: frozenset[str]) -> set[str]:
        if ref in seen or ref == LANGUAGE:
            return set()
        variable = derived.get(ref)
        if variable is None:
            return {ref.split(".")[0]}
        if "from" in variable:
            refs = [str(variable["from"])]
        else:
            refs = [r for case in variable.get("cases") or [] for r, _ in references(case.get("when"))]
        return set().union(*(sources(r, seen | {ref}) for r in refs))

    protected = [str(d.get("id")) for d in tree.get("dimensions") or [] if d.get("protected")]
    feeding = set().union(*(sources(ref, frozenset()) for ref in protected))
    found: dict[str, bool] = {}
    for section in tree.get("sections") or []:
        ids = [str(q.get("id")) for q in section.get("questions") or []]
        if feeding & set(ids):
            found |= {question_id: question_id in feeding for question_id in ids}
    return found


def check_equality(tree: dict, index: Index) -> Found:
    """Every equality question is optional and offers "Prefer not to say", always."""
    equality = equality_questions(tree)
    found: Found = []
    for s_index, section in enumerate(tree["sections"]):
        for q_index, question in enumerate(section["questions"]):
            if question["id"] not in equality:
                continue
            path = ("sections", s_index, "questions", q_index)
            why = "" if equality[question["id"]] else " (it is on a page of equality questions)"
            if question.get("required"):
                found.append(
                    (
                        (*path, "required"),
                        f"equality questions must be optional, as the start page promises{why}: "
                        "remove 'required: true'",
                    )
                )
            found += _check_prefer_not(question, path, index, why)
    return found


def _is_prefer_not(option: dict) -> bool:
    label = option.get("label") or {}
    english = str(label.get("en", "")) if isinstance(label, dict) else ""
    return str(option.get("code")) in PREFER_NOT_CODES or english.strip().lower() == PREFER_NOT_LABEL


def _check_prefer_not(question: dict, path: Path, index: Index, why: str) -> Found:
    qtype = question["type"]
    if qtype in TEXT_TYPES:
        return []  # a box left empty says nothing: there is no answer to decline
    if qtype in ("single", "multi"):
        return _check_prefer_not_option(question, path, why)
    if qtype in ("scale", "grid"):
        scale = index.scales.get(str(question.get("scale")))
        off = [o for o in (scale or {}).get("off_scale") or [] if isinstance(o, dict)]
        chosen = question.get("off_scale")
        off = [o for o in off if chosen is None or o.get("code") in chosen]
        if scale is not None and not any(_is_prefer_not(o) for o in off):
            return [
                (
                    path,
                    'equality questions must offer "Prefer not to say", as the start page promises'
                    f"{why}: give the scale an off-scale answer {PREFER_NOT_EXAMPLE}",
                )
            ]
        return []
    return [
        (
            (*path, "type"),
            f'equality questions must offer "Prefer not to say", as the start page promises{why}; '
            f"a {qtype} question cannot: ask it as a single-choice question with a pnts option",
        )
    ]


def _check_prefer_not_option(question: dict, path: Path, why: str) -> Found:
    """A choice question offers "Prefer not to say" always, and alone in a multi question."""
    offered = [(o_path, o, group) for o_path, o, group in options_of(question) if _is_prefer_not(o)]
    if not offered:
        return [
            (
                (*path, "options"),
                'equality questions must offer "Prefer not to say", as the start page promises'
                f"{why}: add the option {PREFER_NOT_EXAMPLE}",
            )
        ]
    found: Found = []
    for o_path, option, group in offered:
        if option.get("show_if") is not None or (group is not None and group.get("show_if") is not None):
            found.append(((*path, *o_path), '"Prefer not to say" must always be offered: remove its show_if'))
        if question["type"] == "multi" and not option.get("exclusive"):
            found.append(((*path, *o_path), "\"Prefer not to say\" must be exclusive: add 'exclusive: true'"))
    return found
