"""Meaning checks on what refers to what: the index of everything a rule can name, and the checks
that rules, derived variables, breakdowns (dimensions) and the audience name something that
exists, of the right kind, earlier in the file.

Like every check, each returns problems as (path, message) pairs (see checks.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .model import ITEM_TYPES, STATEMENT_CODES
from .rules import references

Path = tuple[Any, ...]
Found = list[tuple[Path, str]]

LANGUAGE = "language"
LANGUAGE_CODES = ("en", "cy")
SINGLE_VALUED = frozenset({"single", "scale"})

# Rule operator -> description of its arguments, checked by check_rule_shape.
RULE_SHAPES = {
    "equals": "a list of [question, value]",
    "in": "a list of [question, [values]]",
    "answered": "a question id",
    "is": "a derived variable id",
    "all": "a list of rules",
    "any": "a list of rules",
    "not": "a rule",
}


@dataclass
class Ref:
    """Something a rule can refer to, with where it sits and the codes it can take."""

    position: float
    codes: set[str] | None  # None: free values (numbers, text)
    kind: str
    yes_no: bool = False
    page: int = -1


@dataclass
class Index:
    """What the checks need to know about the file as a whole."""

    languages: list[str]
    refs: dict[str, Ref] = field(default_factory=dict)
    scales: dict[str, dict] = field(default_factory=dict)


def duplicates(entries: list, key: str, path: Path, what: str) -> Found:
    """Report every entry whose `key` repeats an earlier entry's."""
    seen: set = set()
    found: Found = []
    for i, entry in enumerate(entries):
        value = entry.get(key) if isinstance(entry, dict) else None
        if value is None:
            continue
        if value in seen:
            found.append(((*path, i, key), f"duplicate {what} '{value}'"))
        seen.add(value)
    return found


def options_of(question: dict) -> Iterator[tuple[Path, dict, dict | None]]:
    """Yield (path inside the question, option, group) for every option, groups flattened."""
    for i, entry in enumerate(question.get("options") or []):
        if "group" in entry:
            for j, option in enumerate(entry["options"]):
                yield ("options", i, "options", j), option, entry
        else:
            yield ("options", i), entry, None


def question_codes(question: dict, scales: dict[str, dict]) -> set[str] | None:
    """Return the codes a question's answer can take (None for numbers and text)."""
    if question.get("type") in ("single", "multi", "priorities"):
        return {str(o["code"]) for _, o, _ in options_of(question)}
    if question.get("type") == "statements":
        return set(STATEMENT_CODES)
    if question.get("type") in ("scale", "grid"):
        scale = scales.get(question.get("scale", ""))
        if scale is None:
            return set()
        offered = question.get("off_scale")
        off = {o["code"] for o in scale.get("off_scale", []) if offered is None or o["code"] in offered}
        return {str(p["code"]) for p in scale["points"]} | off
    return None


def register_questions(tree: dict, index: Index) -> Found:
    """Index every question first, so that a forward reference is reported as such."""
    sections = tree["sections"]
    found = duplicates(sections, "id", ("sections",), "section id") + _question_id_duplicates(sections)
    position = 0
    for s_index, section in enumerate(sections):
        for question in section["questions"]:
            position += 1
            codes = question_codes(question, index.scales)
            index.refs.setdefault(question["id"], Ref(position, codes, question["type"], page=s_index))
            for item in question.get("items", []) if question["type"] in ITEM_TYPES else []:
                index.refs.setdefault(
                    f"{question['id']}.{item['code']}", Ref(position, codes, f"{question['type']} item", page=s_index)
                )
    return found


def _question_id_duplicates(sections: list) -> Found:
    seen: set[str] = set()
    found: Found = []
    for s_index, section in enumerate(sections):
        for q_index, question in enumerate(section["questions"]):
            if question["id"] in seen:
                path = ("sections", s_index, "questions", q_index, "id")
                found.append((path, f"duplicate question id '{question['id']}'"))
            seen.add(question["id"])
    return found


def check_rule(rule: Any, path: Path, index: Index, position: float, page: int, target: str) -> Found:
    """Check a rule's shape, its references, and that it only looks backwards."""
    if rule is None:
        return []
    found = check_rule_shape(rule, path)
    if found:
        return found
    for ref_id, values in references(rule):
        ref = index.refs.get(ref_id)
        if ref_id == LANGUAGE:
            bad = [v for v in values if v not in LANGUAGE_CODES]
            if bad:
                found.append((path, f"rule compares language with {bad[0]!r}; use en or cy"))
            continue
        if ref is None:
            found.append((path, f"rule refers to unknown question or variable '{ref_id}'"))
            continue
        if "is" in rule and ref_id == rule["is"] and not ref.yes_no:
            found.append((path, f"'is: {ref_id}' needs a derived variable with values yes and no"))
        if ref.position >= position:
            found.append((path, f"rule refers forward to '{ref_id}', which comes later; rules may only look back"))
        elif target in ("option", "section") and ref.page == page:
            found.append(
                (path, f"option lists and pages may only depend on earlier pages, but '{ref_id}' is on the same page")
            )
        if ref.codes is not None:
            for value in values:
                if value not in ref.codes:
                    found.append((path, f"'{value}' is not a code of '{ref_id}'"))
    return found


def check_rule_shape(rule: Any, path: Path) -> Found:
    """Check that a rule is one known operator with the arguments it takes, all the way down."""
    if not isinstance(rule, dict) or len(rule) != 1:
        return [(path, "a rule is a mapping with exactly one operator")]
    ((operator, args),) = rule.items()
    if operator not in RULE_SHAPES:
        return [(path, f"unknown rule operator '{operator}'; use one of {', '.join(RULE_SHAPES)}")]
    ok = {
        "equals": isinstance(args, list) and len(args) == 2 and not isinstance(args[1], (list, dict)),
        "in": isinstance(args, list) and len(args) == 2 and isinstance(args[1], list),
        "answered": isinstance(args, str),
        "is": isinstance(args, str),
        "all": isinstance(args, list) and len(args) > 0,
        "any": isinstance(args, list) and len(args) > 0,
        "not": isinstance(args, dict),
    }[operator]
    if not ok:
        return [(path, f"'{operator}' takes {RULE_SHAPES[operator]}")]
    if operator in ("all", "any"):
        return [f for i, sub in enumerate(args) for f in check_rule_shape(sub, (*path, operator, i))]
    if operator == "not":
        return check_rule_shape(args, (*path, "not"))
    return []


def check_derived(tree: dict, index: Index) -> Found:
    """Check each derived variable and index it, placed just after the last answer it reads."""
    found: Found = []
    entries = tree.get("derived") or []
    found += duplicates(entries, "id", ("derived",), "derived variable id")
    for i, variable in enumerate(entries):
        path = ("derived", i)
        name = variable["id"]
        if name in index.refs or name == LANGUAGE:
            found.append(((*path, "id"), f"derived variable '{name}' has the same id as a question"))
        found += duplicates(variable["values"], "code", (*path, "values"), "value code")
        declared = {v["code"] for v in variable["values"]}
        has_map, has_cases = "map" in variable, "cases" in variable
        produced: list[tuple[Path, str]] = []
        depends: list[Ref] = [Ref(0, None, "start")]
        if has_map == has_cases:
            found.append((path, f"derived variable '{name}' needs exactly one of 'map' or 'cases'"))
        elif has_map:
            source = index.refs.get(variable.get("from", ""))
            if "from" not in variable:
                found.append((path, f"derived variable '{name}' uses 'map' but has no 'from'"))
            elif source is None or source.kind not in SINGLE_VALUED:
                found.append(
                    ((*path, "from"), f"'from' must name a single-choice or scale question, not '{variable['from']}'")
                )
            else:
                depends.append(source)
                for key in variable["map"]:
                    if str(key) not in (source.codes or set()):
                        found.append(((*path, "map", key), f"'{key}' is not a code of '{variable['from']}'"))
            produced = [((*path, "map", k), v) for k, v in variable["map"].items()]
        else:
            if "from" in variable:
                found.append(((*path, "from"), "'from' is only used with 'map'"))
            for j, case in enumerate(variable["cases"]):
                case_path = (*path, "cases", j, "when")
                found += check_rule(case["when"], case_path, index, float("inf"), -1, "derived")
                if not check_rule_shape(case["when"], case_path):
                    depends += [index.refs[r] for r, _ in references(case["when"]) if r in index.refs]
            produced = [((*path, "cases", j, "value"), c["value"]) for j, c in enumerate(variable["cases"])]
        for where, value in produced:
            if value not in declared:
                found.append((where, f"'{value}' is not one of the values of '{name}'"))
        last = max(depends, key=lambda ref: ref.position)
        yes_no = {"yes", "no"} <= declared
        index.refs.setdefault(name, Ref(last.position + 0.5, declared, "derived", yes_no=yes_no, page=last.page))
    return found


def check_dimensions(tree: dict, index: Index) -> Found:
    """Each breakdown names a single-choice question or a derived variable."""
    found: Found = []
    entries = tree.get("dimensions") or []
    found += duplicates(entries, "id", ("dimensions",), "dimension")
    for i, dimension in enumerate(entries):
        ref = index.refs.get(dimension["id"])
        if ref is None or (ref.kind not in SINGLE_VALUED and ref.kind != "derived"):
            found.append(
                (
                    ("dimensions", i, "id"),
                    f"dimension '{dimension['id']}' must be a single-choice question or derived variable",
                )
            )
    return found


def check_audience(tree: dict, index: Index) -> Found:
    """Each audience key names a single-choice question."""
    found: Found = []
    for key, question_id in (tree.get("audience") or {}).items():
        ref = index.refs.get(question_id)
        if ref is None or ref.kind != "single":
            found.append(
                (("audience", key), f"audience '{key}' must name a single-choice question, not '{question_id}'")
            )
    return found
