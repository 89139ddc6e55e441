"""Meaning checks for a questionnaire whose shape already passed the JSON Schema.

Each check returns problems as (path, message) pairs; the loader turns a path into a line
number. Every check runs, so one pass reports every problem in a file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .model import ITEM_TYPES, STATEMENT_CODES, Questionnaire, Section
from .rules import references

Path = tuple[Any, ...]
Found = list[tuple[Path, str]]

TEXT_KEYS = frozenset({"title", "description", "intro", "text", "hint", "label", "group", "unit", "error", "short"})
LANGUAGE = "language"
LANGUAGE_CODES = ("en", "cy")

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
SINGLE_VALUED = frozenset({"single", "scale"})

# Rule operator -> description of its arguments, checked by _check_rule_shape.
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
    found += _register_questions(tree, index)
    found += _check_derived(tree, index)
    found += _check_sections(tree, index)
    found += _check_dimensions(tree, index)
    found += _check_audience(tree, index)
    if promises:
        found += _check_equality(tree, index)
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


# --- equality questions: optional, with "Prefer not to say" (DESIGN.md §5; the start page says so)

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


def _is_prefer_not(option: dict) -> bool:
    label = option.get("label") or {}
    english = str(label.get("en", "")) if isinstance(label, dict) else ""
    return str(option.get("code")) in PREFER_NOT_CODES or english.strip().lower() == PREFER_NOT_LABEL


def _check_equality(tree: dict, index: Index) -> Found:
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


def _check_prefer_not(question: dict, path: Path, index: Index, why: str) -> Found:
    qtype = question["type"]
    if qtype in ("text", "long_text"):
        return []  # a box left empty says nothing: there is no answer to decline
    if qtype in ("single", "multi"):
        offered = [(o_path, o, group) for o_path, o, group in _options(question) if _is_prefer_not(o)]
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
            if qtype == "multi" and not option.get("exclusive"):
                found.append(((*path, *o_path), "\"Prefer not to say\" must be exclusive: add 'exclusive: true'"))
        return found
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


def _duplicates(entries: list, key: str, path: Path, what: str) -> Found:
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


def _check_scales(tree: dict, index: Index) -> Found:
    found: Found = []
    for name, scale in (tree.get("scales") or {}).items():
        path = ("scales", name)
        index.scales[name] = scale
        found += _duplicates(scale["points"], "code", (*path, "points"), "scale point code")
        found += _duplicates(scale.get("off_scale", []), "code", (*path, "off_scale"), "off-scale code")
        points = {p["code"] for p in scale["points"]}
        for key in ("positive", "negative"):
            for i, code in enumerate(scale.get(key, [])):
                if code not in points:
                    found.append(((*path, key, i), f"scale {name}: {key} names {code}, which is not a point"))
    return found


def _options(question: dict) -> Iterator[tuple[Path, dict, dict | None]]:
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
        return {str(o["code"]) for _, o, _ in _options(question)}
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


def _register_questions(tree: dict, index: Index) -> Found:
    """Index every question first, so that a forward reference is reported as such."""
    sections = tree["sections"]
    found = _duplicates(sections, "id", ("sections",), "section id") + _question_id_duplicates(sections)
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


def _check_sections(tree: dict, index: Index) -> Found:
    found: Found = []
    sections = tree["sections"]
    for s_index, section in enumerate(sections):
        s_path = ("sections", s_index)
        first = min(index.refs[q["id"]].position for q in section["questions"])
        found += _check_rule(section.get("show_if"), (*s_path, "show_if"), index, first, s_index, "section")
        for q_index, question in enumerate(section["questions"]):
            found += _check_question(question, (*s_path, "questions", q_index), index, s_index)
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
    found += _check_rule(question.get("show_if"), (*path, "show_if"), index, position, page, "question")
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
        found += _duplicates(question.get("items", []), "code", (*path, "items"), "item code")
        for i, item in enumerate(question.get("items", [])):
            found += _check_rule(item.get("show_if"), (*path, "items", i, "show_if"), index, position, page, "item")
    if qtype == "number" and "min" in question and "max" in question and question["min"] > question["max"]:
        found.append(((*path, "min"), f"min ({question['min']}) is above max ({question['max']})"))
    return found


def _check_options(question: dict, path: Path, index: Index, position: int, page: int) -> Found:
    found: Found = []
    options = list(_options(question))
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
        found += _check_rule(option.get("show_if"), (*where, "show_if"), index, position, page, "option")
        for i, alt in enumerate(option.get("alt_labels", [])):
            found += _check_rule(alt["when"], (*where, "alt_labels", i, "when"), index, position, page, "option")
    for i, entry in enumerate(question.get("options") or []):
        if "group" in entry:
            found += _check_rule(
                entry.get("show_if"), (*path, "options", i, "show_if"), index, position, page, "option"
            )
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
    options = list(_options(question))
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


def _check_rule(rule: Any, path: Path, index: Index, position: float, page: int, target: str) -> Found:
    """Check a rule's shape, its references, and that it only looks backwards."""
    if rule is None:
        return []
    found = _check_rule_shape(rule, path)
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


def _check_rule_shape(rule: Any, path: Path) -> Found:
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
        return [f for i, sub in enumerate(args) for f in _check_rule_shape(sub, (*path, operator, i))]
    if operator == "not":
        return _check_rule_shape(args, (*path, "not"))
    return []


def _check_derived(tree: dict, index: Index) -> Found:
    found: Found = []
    entries = tree.get("derived") or []
    found += _duplicates(entries, "id", ("derived",), "derived variable id")
    for i, variable in enumerate(entries):
        path = ("derived", i)
        name = variable["id"]
        if name in index.refs or name == LANGUAGE:
            found.append(((*path, "id"), f"derived variable '{name}' has the same id as a question"))
        found += _duplicates(variable["values"], "code", (*path, "values"), "value code")
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
                found += _check_rule(case["when"], case_path, index, float("inf"), -1, "derived")
                if not _check_rule_shape(case["when"], case_path):
                    depends += [index.refs[r] for r, _ in references(case["when"]) if r in index.refs]
            produced = [((*path, "cases", j, "value"), c["value"]) for j, c in enumerate(variable["cases"])]
        for where, value in produced:
            if value not in declared:
                found.append((where, f"'{value}' is not one of the values of '{name}'"))
        last = max(depends, key=lambda ref: ref.position)
        yes_no = {"yes", "no"} <= declared
        index.refs.setdefault(name, Ref(last.position + 0.5, declared, "derived", yes_no=yes_no, page=last.page))
    return found


def _check_dimensions(tree: dict, index: Index) -> Found:
    found: Found = []
    entries = tree.get("dimensions") or []
    found += _duplicates(entries, "id", ("dimensions",), "dimension")
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


def _check_audience(tree: dict, index: Index) -> Found:
    found: Found = []
    for key, question_id in (tree.get("audience") or {}).items():
        ref = index.refs.get(question_id)
        if ref is None or ref.kind != "single":
            found.append(
                (("audience", key), f"audience '{key}' must name a single-choice question, not '{question_id}'")
            )
    return found
