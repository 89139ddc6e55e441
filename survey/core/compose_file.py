"""Write a composed survey as an ordinary questionnaire file (docs/questionnaire-format.md).

Bank questions are copied from their files unchanged; each run of questions from one bank page
becomes a page with that page's title, introduction and rule, and each run of the organiser's own
questions a page "More questions". The scales, derived variables, breakdowns and audience the
chosen questions need come with them from their own questionnaire. What the file would lack (a
question a rule depends on, placed later or left out) is refused here, named by question, before
the checker runs. No HTTP here.
"""

from __future__ import annotations

import io
import re
from contextlib import suppress
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ruamel.yaml import YAML

from ..questionnaire import timing
from ..questionnaire.build import build
from ..questionnaire.loader import Problem, load_text
from ..questionnaire.model import Questionnaire, Text
from .own_questions import own_tree, scale_choices
from .question_bank import Bank, BankQuestion, BankSource, rule_refs

OWN_PAGE_ID = "more_questions"
OWN_PAGE_TITLE = {"en": "More questions", "cy": "Rhagor o gwestiynau"}
QUESTION_IN_MESSAGE = re.compile(r"\bquestion ([A-Za-z][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Entry:
    """One question of a draft, as the compose page lists it."""

    index: int
    id: str
    text: Text
    type: str
    bank: BankQuestion | None = None  # None: the organiser's own question
    own: dict | None = None
    missing: str = ""  # a bank question no longer in the bank (its file changed)

    @property
    def label(self) -> str:
        """Return how messages name it: its place, id and English words."""
        words = self.text.get("en", "")
        words = words if len(words) <= 60 else words[:59] + "…"
        return f"Question {self.index + 1} ({self.id}, “{words}”)"


def entries_of(content: dict[str, Any], bank: Bank) -> list[Entry]:
    """Return a draft's entries, looked up in the bank."""
    found = []
    for index, entry in enumerate(content.get("entries") or []):
        if "own" in entry:
            own = entry["own"]
            found.append(Entry(index, own["id"], own["text"], own["type"], own=own))
            continue
        question = bank.question(entry["bank"])
        if question is None:
            key = str(entry["bank"])
            found.append(Entry(index, key.partition(":")[2], {"en": key}, "", missing=key))
        else:
            found.append(Entry(index, question.id, question.text, question.type, bank=question))
    return found


@dataclass
class Composition:
    """A composed questionnaire file's text, or the problems that stop it, named by question."""

    text: str = ""
    problems: list[str] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)

    def explain(self, problems: list[Problem]) -> list[str]:
        """Word the checker's problems for the compose page: by question, never by file line."""
        by_id = {e.id: e for e in self.entries}
        worded = []
        for problem in problems:
            found = QUESTION_IN_MESSAGE.search(problem.message)
            entry = by_id.get(found.group(1)) if found else None
            if entry is None or found is None:
                worded.append(problem.message)
                continue
            rest = problem.message[found.end() :]  # what follows "section …, question own_1"
            worded.append(f"{entry.label}: {rest[2:] if rest.startswith((': ', ', ')) else rest}")
        return worded


def compose_text(content: dict[str, Any], bank: Bank, slug: str, version: int) -> Composition:
    """Return the questionnaire file for a draft, or every problem that stops it."""
    entries = entries_of(content, bank)
    composition = Composition(entries=entries)
    composition.problems = _problems(content, entries, bank)
    if composition.problems:
        return composition
    tree = _tree(content, entries, bank, slug, version)
    # The start page's estimate, worked out as for any questionnaire (timing.py); a file the
    # checker will refuse keeps 1, and the checker gives its reasons when it is stored.
    with suppress(KeyError, TypeError, ValueError, AttributeError, IndexError, StopIteration):
        tree["estimated_minutes"] = max(1, timing.minutes(build(tree, "")))
    composition.text = _dump(tree)
    return composition


@lru_cache(maxsize=16)
def read_composed(text: str, name: str) -> Questionnaire:
    """Return a composed file's questionnaire, checked as any file is; the last few are kept
    (a preview reads the same text on every page). Raises QuestionnaireError."""
    return load_text(text, name)


def _problems(content: dict[str, Any], entries: list[Entry], bank: Bank) -> list[str]:
    problems = []
    title, intro = content.get("title") or {}, content.get("intro") or {}
    if not all(title.get(lang) for lang in ("en", "cy")) or not all(intro.get(lang) for lang in ("en", "cy")):
        problems.append("Give the survey a title and an introduction in English and in Welsh.")
    if not entries:
        problems.append("Add at least one question.")
    seen: dict[str, Entry] = {}
    for entry in entries:
        if entry.missing:
            problems.append(f"{entry.label}: it is no longer in the question bank; remove it.")
        elif entry.id in seen:
            problems.append(f"{entry.label}: {seen[entry.id].label} has the same id; remove one of them.")
        seen.setdefault(entry.id, entry)
        if entry.bank is not None:
            problems += _needs(entry, entries, bank)
    problems += _scale_problems(entries, bank)
    problems += _equality_last(entries)
    return problems


def _equality_last(entries: list[Entry]) -> list[str]:
    """Equality questions come last, as members are promised (DESIGN.md §5)."""
    first = next((e for e in entries if e.bank is not None and e.bank.equality), None)
    if first is None:
        return []
    return [
        f"{e.label}: equality questions come last, as members are promised; move it above {first.label}."
        for e in entries[first.index + 1 :]
        if e.bank is None or not e.bank.equality
    ]


def _needs(entry: Entry, entries: list[Entry], bank: Bank) -> list[str]:
    """A bank question's rules (or its page's) need the questions they refer to, earlier, from its file."""
    assert entry.bank is not None
    before = {e.bank.key for e in entries[: entry.index] if e.bank is not None}
    problems = []
    for needed in entry.bank.needs:
        key = f"{entry.bank.source}:{needed}"
        if key in before:
            continue
        later = next((e for e in entries[entry.index + 1 :] if e.bank is not None and e.bank.key == key), None)
        if later is not None:
            problems.append(f"{entry.label}: it depends on the answer to {later.label}; move that question above it.")
        else:
            other = bank.question(key)
            said = f" (“{other.text.get('en', '')}”)" if other is not None else ""
            problems.append(
                f"{entry.label}: it depends on the answer to {needed}{said} from the same bank questionnaire "
                f"({entry.bank.source}); add {needed} above it, or remove this question."
            )
    return problems


def _scale_problems(entries: list[Entry], bank: Bank) -> list[str]:
    used: dict[str, Any] = {}
    problems = []
    for entry in entries:
        name, scale = _scale_of(entry, bank)
        if name is None:
            continue
        if name in used and used[name] != scale:
            problems.append(f"{entry.label}: its answer scale '{name}' differs from another question's; remove one.")
        used.setdefault(name, scale)
    return problems


def _scale_of(entry: Entry, bank: Bank) -> tuple[str | None, Any]:
    if entry.bank is not None and "scale" in entry.bank.tree:
        name = str(entry.bank.tree["scale"])
        return name, bank.source(entry.bank.source).scales[name]
    if entry.own is not None and entry.own["type"] == "scale":
        name = entry.own["scale"]
        if name not in scale_choices(bank):
            return None, None
        return name, next(s.scales[name] for s in bank.sources if name in s.scales)
    return None, None


def _tree(content: dict[str, Any], entries: list[Entry], bank: Bank, slug: str, version: int) -> dict[str, Any]:
    sources = list(dict.fromkeys(e.bank.source for e in entries if e.bank is not None))
    taken = {e.bank.key for e in entries if e.bank is not None}
    scales = dict(_scale_of(e, bank) for e in entries if _scale_of(e, bank)[0] is not None)
    derived: list[dict] = []
    dimensions: list[dict] = []
    audience: dict[str, str] = {}
    for source in (bank.source(s) for s in sources):
        own_derived = _derived_from(source, taken)
        derived += [d for d in own_derived if d["id"] not in {x["id"] for x in derived}]
        present = {k.partition(":")[2] for k in taken if k.startswith(f"{source.id}:")} | {d["id"] for d in own_derived}
        dimensions += [d for d in source.dimensions if d["id"] in present and d not in dimensions]
        for key, question_id in source.audience.items():
            if f"{source.id}:{question_id}" in taken:
                audience.setdefault(key, question_id)
    tree: dict[str, Any] = {
        "format": 1,
        "id": slug,
        "version": version,
        "languages": ["en", "cy"],
        "title": dict(content["title"]),
        "description": dict(content["intro"]),
        "estimated_minutes": 1,
        "metadata": {
            "composed": "Composed from the question bank on the organisers' compose pages",
            "bank": [f"{s} version {bank.source(s).version}" for s in sources],
        },
    }
    if scales:
        tree["scales"] = scales
    tree["sections"] = _sections(entries, bank)
    for key, value in (("derived", derived), ("dimensions", dimensions), ("audience", audience)):
        if value:
            tree[key] = value
    return tree


def _derived_from(source: BankSource, taken: set[str]) -> list[dict]:
    """Return the source's derived variables whose every question is in the survey, in file order."""
    present = {k.partition(":")[2] for k in taken if k.startswith(f"{source.id}:")}
    return [d for d in source.derived if source.derived_sources(str(d["id"])) <= present]


def _sections(entries: list[Entry], bank: Bank) -> list[dict[str, Any]]:
    """Group the entries into pages: a run from one bank page, or a run of own questions."""
    pages: list[dict[str, Any]] = []
    used: set[str] = set()
    current = None
    for entry in entries:
        page = entry.bank.source + ":" + entry.bank.section_id if entry.bank is not None else OWN_PAGE_ID
        if page != current:
            current = page
            if entry.bank is not None:
                section = bank.section(page)
                assert section is not None
                head = {k: v for k, v in section.tree.items() if k != "id"}
                base = section.id
            else:
                head, base = {"title": dict(OWN_PAGE_TITLE)}, OWN_PAGE_ID
            page_id, number = base, 2
            while page_id in used:
                page_id, number = f"{base}_{number}", number + 1
            used.add(page_id)
            pages.append({"id": page_id, **head, "questions": []})
        pages[-1]["questions"].append(dict(entry.bank.tree) if entry.bank is not None else own_tree(entry.own or {}))
    return pages


def _dump(tree: dict[str, Any]) -> str:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.allow_unicode = True
    yaml.width = 4096
    yaml.representer.sort_base_mapping_type_on_output = False  # keep each mapping in file order
    out = io.StringIO()
    yaml.dump(tree, out)
    return "# Composed from the question bank (survey/core/compose.py); checked like any upload.\n" + out.getvalue()


__all__ = ["Composition", "Entry", "compose_text", "entries_of", "rule_refs"]
