"""The question bank: every question of the shipped questionnaires (questionnaires/), read from
their files exactly as written, with the section it sits in and what it needs from other questions.

An organiser composes a survey from it (compose.py); a bank question is copied unchanged, so it
keeps its id, wording in every language and answer codes, and waves stay comparable. No HTTP here.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any

from flask import current_app
from ruamel.yaml import YAML

from ..questionnaire.equality_checks import equality_questions
from ..questionnaire.model import Questionnaire, Text
from ..questionnaire.rules import LANGUAGE, references


@dataclass(frozen=True)
class BankQuestion:
    """One question of a shipped questionnaire, as its file writes it."""

    source: str  # the questionnaire's id
    id: str
    section_id: str
    type: str
    text: Text
    tree: dict  # the question's mapping in the file (plain dicts and lists)
    equality: bool  # an equality question (checks.equality_questions): only ever used unchanged
    needs: tuple[str, ...]  # the questions (same source) its rules, or its page's, depend on

    @property
    def key(self) -> str:
        """Return how a draft names it: "<questionnaire id>:<question id>"."""
        return f"{self.source}:{self.id}"


@dataclass(frozen=True)
class BankSection:
    """One page of a shipped questionnaire and its questions."""

    source: str
    id: str
    title: Text
    tree: dict  # the section's mapping without its questions
    questions: tuple[BankQuestion, ...]

    @property
    def key(self) -> str:
        """Return how a draft names it: "<questionnaire id>:<section id>"."""
        return f"{self.source}:{self.id}"


@dataclass(frozen=True)
class BankSource:
    """One shipped questionnaire: its sections, scales, derived variables, breakdowns and audience."""

    id: str
    version: int
    title: Text
    sections: tuple[BankSection, ...]
    scales: dict[str, Any] = field(default_factory=dict)
    derived: tuple[dict, ...] = ()
    dimensions: tuple[dict, ...] = ()
    audience: dict[str, str] = field(default_factory=dict)

    def derived_sources(self, ref: str, seen: frozenset[str] = frozenset()) -> set[str]:
        """Return the question ids a reference depends on (through derived variables)."""
        base = ref.split(".")[0]
        variables = {str(d["id"]): d for d in self.derived}
        if base == LANGUAGE or base in seen:
            return set()
        variable = variables.get(base)
        if variable is None:
            return {base}
        refs = (
            [str(variable["from"])]
            if "from" in variable
            else [r for c in variable["cases"] for r in rule_refs(c["when"])]
        )
        return set().union(*(self.derived_sources(r, seen | {base}) for r in refs))


@dataclass(frozen=True)
class Bank:
    """Every shipped questionnaire's questions, in file order."""

    sources: tuple[BankSource, ...]

    def question(self, key: str) -> BankQuestion | None:
        """Return the bank question named "<questionnaire id>:<question id>", if there is one."""
        return self._questions.get(key)

    def section(self, key: str) -> BankSection | None:
        """Return the bank section named "<questionnaire id>:<section id>", if there is one."""
        return next((s for source in self.sources for s in source.sections if s.key == key), None)

    def source(self, source_id: str) -> BankSource:
        """Return a shipped questionnaire of the bank."""
        return next(s for s in self.sources if s.id == source_id)

    @property
    def questions(self) -> tuple[BankQuestion, ...]:
        """Return every bank question in order."""
        return tuple(q for source in self.sources for s in source.sections for q in s.questions)

    @cached_property
    def _questions(self) -> dict[str, BankQuestion]:
        return {q.key: q for q in self.questions}

    def search(self, words: str) -> list[BankSection]:
        """Return the sections (with only their matching questions) whose text holds every word."""
        wanted = words.lower().split()
        found = []
        for source in self.sources:
            for section in source.sections:
                heading = " ".join([*section.title.values(), section.id]).lower()
                matching = tuple(q for q in section.questions if all(w in heading or w in _said(q) for w in wanted))
                if matching:
                    found.append(BankSection(section.source, section.id, section.title, section.tree, matching))
        return found


def _said(question: BankQuestion) -> str:
    return " ".join([question.id, *question.text.values()]).lower()


def rule_refs(rule: Any) -> list[str]:
    """Return every reference a rule makes."""
    return [ref for ref, _ in references(rule)] if rule else []


def question_rules(question: Mapping) -> Iterable[Any]:
    """Yield every rule inside one question: its own, its options', groups', labels' and items'."""
    yield question.get("show_if")
    for entry in question.get("options") or []:
        yield entry.get("show_if")
        for alternative in entry.get("alt_labels") or []:
            yield alternative.get("when")
        for option in entry.get("options") or []:  # a group's options
            yield option.get("show_if")
            for alternative in option.get("alt_labels") or []:
                yield alternative.get("when")
    for item in question.get("items") or []:
        yield item.get("show_if")


def current_bank() -> Bank:
    """Return the bank made from the questionnaires this app loaded from questionnaires/."""
    files: dict[str, Questionnaire] = current_app.extensions["questionnaires"]
    return _bank(tuple((q.id, q.checksum, q.source) for q in files.values()))


@cache
def _bank(files: tuple[tuple[str, str, str], ...]) -> Bank:
    return Bank(tuple(_source(source) for _, _, source in files))


def _plain(node: Any) -> Any:
    """Return a YAML tree as plain dicts and lists (no comments or line marks)."""
    if isinstance(node, Mapping):
        return {str(key): _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(value) for value in node]
    return node


def _source(text: str) -> BankSource:
    tree = _plain(YAML(typ="safe", pure=True).load(text))
    equality = equality_questions(tree)
    partial = BankSource(
        id=str(tree["id"]),
        version=int(tree["version"]),
        title=tree["title"],
        sections=(),
        scales=tree.get("scales") or {},
        derived=tuple(tree.get("derived") or ()),
        dimensions=tuple(tree.get("dimensions") or ()),
        audience=dict(tree.get("audience") or {}),
    )
    sections = []
    for section in tree["sections"]:
        page = {key: value for key, value in section.items() if key != "questions"}
        questions = tuple(_question(partial, section, q, equality) for q in section["questions"])
        sections.append(BankSection(partial.id, str(section["id"]), section["title"], page, questions))
    return BankSource(**{**partial.__dict__, "sections": tuple(sections)})


def _question(source: BankSource, section: dict, question: dict, equality: dict[str, bool]) -> BankQuestion:
    refs = [r for rule in (section.get("show_if"), *question_rules(question)) for r in rule_refs(rule)]
    needs = set().union(*(source.derived_sources(r) for r in refs)) - {str(question["id"])}
    return BankQuestion(
        source=source.id,
        id=str(question["id"]),
        section_id=str(section["id"]),
        type=str(question["type"]),
        text=question["text"],
        tree=copy.deepcopy(question),
        equality=str(question["id"]) in equality,
        needs=tuple(sorted(needs)),
    )
