"""Build the questionnaire model (model.py) from a YAML tree that passed every check.

The loader validates first (schema, then checks.py), so nothing here reports problems: a key the
checks require is read directly.
"""

from __future__ import annotations

import hashlib
from typing import Any

from .model import (
    STATEMENT_CODES,
    Case,
    Derived,
    Dimension,
    GridItem,
    Option,
    OptionGroup,
    Question,
    Questionnaire,
    Scale,
    Section,
)

# What members answer to each draft statement unless the file says otherwise ("labels").
STATEMENT_LABELS: dict[str, dict[str, str]] = {
    "support": {"en": "Support", "cy": "Cefnogi"},
    "oppose": {"en": "Oppose", "cy": "Gwrthwynebu"},
    "unsure": {"en": "Not sure", "cy": "Ddim yn siŵr"},
}


def build(tree: dict, text: str) -> Questionnaire:
    """Return the questionnaire a checked tree describes; `text` is its source, kept with a checksum."""
    scales = {str(name): _scale(str(name), node) for name, node in (tree.get("scales") or {}).items()}
    sections = _sections(tree, scales)
    derived = tuple(_derived(d) for d in tree.get("derived") or [])
    return Questionnaire(
        id=str(tree["id"]),
        version=int(tree["version"]),
        languages=tuple(tree["languages"]),
        title=_text(tree["title"]) or {},
        description=_text(tree["description"]) or {},
        estimated_minutes=int(tree["estimated_minutes"]),
        sections=sections,
        scales=scales,
        derived=derived,
        dimensions=_dimensions(tree, sections, derived),
        metadata=_plain(tree.get("metadata") or {}),
        audience={str(k): str(v) for k, v in (tree.get("audience") or {}).items()},
        source=text,
        checksum=hashlib.sha256(text.encode()).hexdigest(),
    )


def _sections(tree: dict, scales: dict[str, Scale]) -> tuple[Section, ...]:
    """The pages in order, their questions numbered through the whole questionnaire from 1."""
    languages = list(tree["languages"])
    sections, position = [], 0
    for s in tree["sections"]:
        questions = []
        for q in s["questions"]:
            position += 1
            questions.append(_question(q, str(s["id"]), position, _question_scale(q, scales, languages)))
        sections.append(
            Section(
                id=str(s["id"]),
                title=_text(s["title"]) or {},
                questions=tuple(questions),
                intro=_text(s.get("intro")),
                show_if=_plain(s.get("show_if")),
            )
        )
    return tuple(sections)


def _question(q: dict, section_id: str, position: int, scale: Scale | None) -> Question:
    return Question(
        id=str(q["id"]),
        type=str(q["type"]),
        text=_text(q["text"]) or {},
        section_id=section_id,
        position=position,
        hint=_text(q.get("hint")),
        error=_text(q.get("error")),
        required=bool(q.get("required", False)),
        show_if=_plain(q.get("show_if")),
        options=_options(q.get("options") or []),
        max_choices=q.get("max_choices"),
        choose=q.get("choose"),
        rank=q.get("rank"),
        scale=scale,
        off_scale=tuple(q["off_scale"]) if "off_scale" in q else None,
        items=tuple(
            GridItem(str(i["code"]), _text(i["text"]) or {}, _plain(i.get("show_if")), _text(i.get("short")))
            for i in q.get("items", [])
        ),
        min=q.get("min"),
        max=q.get("max"),
        unit=_text(q.get("unit")),
        max_length=q.get("max_length"),
        other_max_length=q.get("other_max_length", 200),
    )


def _derived(d: dict) -> Derived:
    return Derived(
        id=str(d["id"]),
        label=_text(d["label"]) or {},
        values=tuple(_option(v) for v in d["values"]),
        source=d.get("from"),
        mapping={str(k): str(v) for k, v in d["map"].items()} if "map" in d else None,
        cases=tuple(Case(_plain(c["when"]), str(c["value"])) for c in d.get("cases", [])),
    )


def _dimensions(tree: dict, sections: tuple[Section, ...], derived: tuple[Derived, ...]) -> tuple[Dimension, ...]:
    """The breakdowns, each a single-choice question or a derived variable, with its groups."""
    by_derived = {d.id: d for d in derived}
    by_question = {q.id: q for s in sections for q in s.questions}
    dimensions = []
    for node in tree.get("dimensions") or []:
        ref = str(node["id"])
        if ref in by_derived:
            label, values = by_derived[ref].label, by_derived[ref].values
        else:
            question = by_question[ref]
            label, values = question.text, question.choices
        if node.get("label"):  # a short name: "Region", not the question
            label = _text(node["label"]) or label
        dimensions.append(Dimension(ref, label, values, bool(node.get("protected", False))))
    return tuple(dimensions)


def _text(node: Any) -> dict[str, str] | None:
    return {str(k): str(v) for k, v in node.items()} if node is not None else None


def _plain(node: Any) -> Any:
    """Turn ruamel's round-trip containers into plain dicts and lists (for rules)."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _option(node: dict, group: OptionGroup | None = None) -> Option:
    return Option(
        code=str(node["code"]),
        label=_text(node["label"]) or {},
        exclusive=bool(node.get("exclusive", False)),
        other=bool(node.get("other", False)),
        show_if=_plain(node.get("show_if")),
        alt_labels=tuple((_plain(a["when"]), _text(a["label"]) or {}) for a in node.get("alt_labels", [])),
        group=group,
    )


def _options(entries: list) -> tuple[Option, ...]:
    options: list[Option] = []
    for entry in entries:
        if "group" in entry:
            group = OptionGroup(label=_text(entry["group"]) or {}, show_if=_plain(entry.get("show_if")))
            options += [_option(o, group) for o in entry["options"]]
        else:
            options.append(_option(entry))
    return tuple(options)


def _scale(name: str, node: dict) -> Scale:
    return Scale(
        id=name,
        points=tuple(_option(p) for p in node["points"]),
        off_scale=tuple(_option(o) for o in node.get("off_scale", [])),
        positive=frozenset(str(c) for c in node.get("positive", [])),
        negative=frozenset(str(c) for c in node.get("negative", [])),
    )


def _statements_scale(question_id: str, node: dict, languages: list) -> Scale:
    """Return the Support / Oppose / Not sure scale of a statements question, with its labels."""
    given = node.get("labels") or {}
    labels = {
        code: _text(given[code]) if code in given else {lang: STATEMENT_LABELS[code][lang] for lang in languages}
        for code in STATEMENT_CODES
    }
    support, oppose, unsure = (Option(code, labels[code] or {}) for code in STATEMENT_CODES)
    return Scale(
        id=f"statements:{question_id}",
        points=(support, oppose),
        off_scale=(unsure,),
        positive=frozenset({"support"}),
        negative=frozenset({"oppose"}),
    )


def _question_scale(q: dict, scales: dict[str, Scale], languages: list) -> Scale | None:
    if q["type"] == "statements":
        return _statements_scale(str(q["id"]), q, languages)
    return scales.get(q["scale"]) if "scale" in q else None
