"""Compose a survey from the question bank: an organiser's draft, kept in the database between
requests, edited step by step, then submitted for approval as an ordinary questionnaire upload.

A draft holds bank questions by name only ("ai-at-work:L5"), so a bank question (an equality
question above all) can never be changed; the organiser's own questions hold their texts in both
languages (own_questions.py checks them). compose_file.py writes the questionnaire file; submit
stores it through questionnaires.store_upload, the administrators' upload path and its checker.
No HTTP here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import ComposedDraft, QuestionnaireVersion, User, utcnow
from ..questionnaire.loader import QuestionnaireError
from . import audit
from .compose_file import Entry, compose_text, entries_of
from .question_bank import Bank
from .questionnaires import store_upload

LANGUAGES = ("en", "cy")
MAX_ENTRIES = 200
TITLE_LIMIT = 200
INTRO_LIMIT = 3000


class ComposeError(ValueError):
    """A change to a draft that cannot be made; the message says why, plainly."""


@dataclass
class Submitted:
    """What submitting a draft did: the stored upload, or the problems to put right."""

    version: QuestionnaireVersion | None = None
    problems: list[str] = field(default_factory=list)
    message: str = ""


def empty_content() -> dict[str, Any]:
    """Return a new draft's content."""
    return {
        "title": dict.fromkeys(LANGUAGES, ""),
        "intro": dict.fromkeys(LANGUAGES, ""),
        "entries": [],
        "next_own": 1,
        "submissions": 0,
    }


def new_draft(user: User) -> ComposedDraft:
    """Start an empty draft owned by this account. Commits."""
    draft = ComposedDraft(owner_id=user.id, content=empty_content())
    db.session.add(draft)
    db.session.flush()
    audit.record("started composing a survey", draft=draft.id)
    db.session.commit()
    return draft


def drafts_of(user: User) -> list[ComposedDraft]:
    """Return this account's drafts, the latest changed first."""
    return list(
        db.session.scalars(
            select(ComposedDraft)
            .where(ComposedDraft.owner_id == user.id)
            .order_by(ComposedDraft.updated_at.desc(), ComposedDraft.id.desc())
        )
    )


def draft_of(user: User, draft_id: int) -> ComposedDraft | None:
    """Return a draft if this account owns it (nobody else sees or changes it)."""
    draft = db.session.get(ComposedDraft, draft_id)
    return draft if draft is not None and draft.owner_id == user.id else None


def _save(draft: ComposedDraft, content: dict[str, Any]) -> None:
    draft.content = content  # a new dict, so the JSON column sees the change
    draft.updated_at = utcnow()
    db.session.commit()


def _content(draft: ComposedDraft) -> dict[str, Any]:
    return {**empty_content(), **dict(draft.content or {})}


def heading_problems(title: dict[str, str], intro: dict[str, str]) -> dict[str, str]:
    """Return what is wrong with a title and introduction, by field ("title_cy": "Enter ...")."""
    names = {"en": "English", "cy": "Welsh"}
    problems = {}
    for language in LANGUAGES:
        if not title.get(language, "").strip():
            problems[f"title_{language}"] = f"Enter the title in {names[language]}"
        elif len(title[language]) > TITLE_LIMIT:
            problems[f"title_{language}"] = f"Use {TITLE_LIMIT} characters or fewer for the title"
        if not intro.get(language, "").strip():
            problems[f"intro_{language}"] = f"Enter the introduction in {names[language]}"
        elif len(intro[language]) > INTRO_LIMIT:
            problems[f"intro_{language}"] = f"Use {INTRO_LIMIT} characters or fewer for the introduction"
    return problems


def save_heading(draft: ComposedDraft, title: dict[str, str], intro: dict[str, str]) -> dict[str, str]:
    """Keep a draft's title and introduction; return the problems (nothing saved when there are any)."""
    problems = heading_problems(title, intro)
    if not problems:
        content = _content(draft)
        content["title"] = {language: title[language].strip() for language in LANGUAGES}
        content["intro"] = {language: intro[language].strip().replace("\r\n", "\n") for language in LANGUAGES}
        _save(draft, content)
    return problems


def add_bank_questions(draft: ComposedDraft, bank: Bank, keys: list[str]) -> list[str]:
    """Add bank questions at the end, in bank order; return what was not added, and why. Commits."""
    content = _content(draft)
    entries = list(content["entries"])
    taken = {e["bank"] for e in entries if "bank" in e}
    ids = {e.id for e in entries_of(content, bank)}
    refused = []
    wanted = set(keys)
    for question in (q for q in bank.questions if q.key in wanted):
        if question.key in taken:
            continue
        if question.id in ids:
            refused.append(
                f"{question.id} from {question.source} was not added: your survey already has a question {question.id}"
                " (each question keeps its bank id, so two with one id cannot sit in one survey)."
            )
            continue
        entries.append({"bank": question.key})
        taken.add(question.key)
        ids.add(question.id)
    unknown = wanted - {q.key for q in bank.questions}
    refused += [f"{key} is not in the question bank." for key in sorted(unknown)]
    if len(entries) > MAX_ENTRIES:
        raise ComposeError(f"A composed survey can have at most {MAX_ENTRIES} questions.")
    content["entries"] = entries
    _save(draft, content)
    return refused


def add_bank_section(draft: ComposedDraft, bank: Bank, section_key: str) -> list[str]:
    """Add every question of a bank page that is not in the draft yet. Commits."""
    section = bank.section(section_key)
    if section is None:
        return [f"{section_key} is not a page of the question bank."]
    return add_bank_questions(draft, bank, [q.key for q in section.questions])


def move(draft: ComposedDraft, index: int, step: int) -> None:
    """Move one entry up (step -1) or down (step 1); at either end nothing moves. Commits."""
    content = _content(draft)
    entries = list(content["entries"])
    other = index + step
    if 0 <= index < len(entries) and 0 <= other < len(entries):
        entries[index], entries[other] = entries[other], entries[index]
        content["entries"] = entries
        _save(draft, content)


def remove(draft: ComposedDraft, index: int) -> None:
    """Take one entry out of the draft. Commits."""
    content = _content(draft)
    entries = list(content["entries"])
    if 0 <= index < len(entries):
        del entries[index]
        content["entries"] = entries
        _save(draft, content)


def own_question(draft: ComposedDraft, own_id: str) -> dict[str, Any] | None:
    """Return one of the organiser's own questions in a draft (never a bank question)."""
    return next((e["own"] for e in _content(draft)["entries"] if "own" in e and e["own"]["id"] == own_id), None)


def save_own(draft: ComposedDraft, bank: Bank, own: dict[str, Any], own_id: str | None = None) -> str:
    """Add an own question at the end, or replace the one with own_id; return its id. Commits.

    A new question gets the next id "own_N" that no bank question or derived variable uses, so
    the organiser's questions can never be mistaken for (or compared with) a bank question.
    """
    content = _content(draft)
    entries = list(content["entries"])
    if own_id is not None:
        place = next((i for i, e in enumerate(entries) if "own" in e and e["own"]["id"] == own_id), None)
        if place is None:
            raise ComposeError("That question is not one of your own questions in this draft.")
        entries[place] = {"own": {**own, "id": own_id}}
    else:
        if len(entries) >= MAX_ENTRIES:
            raise ComposeError(f"A composed survey can have at most {MAX_ENTRIES} questions.")
        used = {q.id for q in bank.questions} | {str(d["id"]) for s in bank.sources for d in s.derived}
        used |= {e["own"]["id"] for e in entries if "own" in e}
        number = int(content["next_own"])
        while f"own_{number}" in used:
            number += 1
        own_id = f"own_{number}"
        entries.append({"own": {**own, "id": own_id}})
        content["next_own"] = number + 1
    content["entries"] = entries
    _save(draft, content)
    return own_id


def delete_draft(draft: ComposedDraft) -> None:
    """Delete a draft; what it was submitted as stays with the administrators. Commits."""
    audit.record("deleted composed survey", draft=draft.id, upload=draft.submitted_version_id)
    db.session.delete(draft)
    db.session.commit()


def slug_of(draft: ComposedDraft) -> str:
    """Return the questionnaire id a draft is submitted under: "composed-<draft number>"."""
    return f"composed-{draft.id}"


def submitted_version(draft: ComposedDraft) -> QuestionnaireVersion | None:
    """Return the questionnaire version this draft last became, unless it was discarded."""
    if draft.submitted_version_id is None:
        return None
    return db.session.get(QuestionnaireVersion, draft.submitted_version_id)


def entries(draft: ComposedDraft, bank: Bank) -> list[Entry]:
    """Return a draft's entries, each with what the compose page shows of it."""
    return entries_of(_content(draft), bank)


def submit(draft: ComposedDraft, bank: Bank) -> Submitted:
    """Write the questionnaire file and store it as an upload waiting for approval. Commits.

    The file goes through questionnaires.store_upload, exactly as an administrator's upload: the
    same checker, the same approval. Nothing in the draft changes when there are problems.
    """
    content = _content(draft)
    digest = _digest(content)
    before = submitted_version(draft)
    if before is not None and content.get("submitted_digest") == digest:
        return Submitted(version=before, message="Nothing has changed since it was submitted: here it is.")
    version = int(content["submissions"]) + 1
    composed = compose_text(content, bank, slug_of(draft), version)
    if composed.problems:
        return Submitted(problems=composed.problems)
    try:
        stored = store_upload(f"{slug_of(draft)}.yaml", composed.text.encode("utf-8"))
    except QuestionnaireError as error:
        return Submitted(problems=composed.explain(error.problems))
    if stored.version is None:
        return Submitted(message=stored.message)
    if stored.new:
        content["submissions"] = version
        content["submitted_digest"] = digest
        draft.submitted_version_id = stored.version.id
        audit.record("submitted composed survey", draft=draft.id, upload=stored.version.id, version=version)
        _save(draft, content)
    return Submitted(version=stored.version, message=stored.message)


def _digest(content: dict[str, Any]) -> str:
    """Return a fingerprint of what a draft says (title, introduction, questions)."""
    said = {key: content.get(key) for key in ("title", "intro", "entries")}
    return hashlib.sha256(json.dumps(said, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
