"""Questionnaire uploads: an administrator's file, checked as the command line checks it, stored
waiting for approval, then approved (organisers may make surveys from it) or discarded. No HTTP here.

Every change is recorded in the audit log in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..models import QuestionnaireVersion, Survey
from ..questionnaire.loader import MAX_FILE_BYTES, Problem, QuestionnaireError, load_text
from ..questionnaire.model import Questionnaire
from . import audit

UPLOAD_SUFFIXES = (".yaml", ".yml")


class UploadError(ValueError):
    """An administrator's request about an upload that cannot be carried out; the message says why, plainly."""


@dataclass
class Upload:
    """A stored upload and whether this request stored it (False: the same text was already there)."""

    version: QuestionnaireVersion | None
    new: bool
    message: str = ""


def upload_name(filename: str) -> str:
    """Return the bare file name a browser sent (some send a whole Windows path)."""
    return PurePath(filename.replace("\\", "/")).name or "upload"


def read_upload(filename: str, data: bytes) -> Questionnaire:
    """Validate an uploaded file exactly as `flask questionnaire check` does, or raise QuestionnaireError."""
    name = upload_name(filename)
    if not name.lower().endswith(UPLOAD_SUFFIXES):
        raise QuestionnaireError([Problem(name, 1, "choose a questionnaire file ending .yaml or .yml")])
    if len(data) > MAX_FILE_BYTES:
        raise QuestionnaireError([Problem(name, 1, f"file is larger than {MAX_FILE_BYTES} bytes")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise QuestionnaireError(
            [Problem(name, 1, f"file is not UTF-8 text ({error.reason} at byte {error.start})")]
        ) from None
    return load_text(text, name)


def store_upload(filename: str, data: bytes) -> Upload:
    """Store a valid upload, waiting for approval; the same text twice is stored once. Commits.

    Raises QuestionnaireError with every problem when the file is not valid.
    """
    questionnaire = read_upload(filename, data)
    found = db.session.scalar(
        select(QuestionnaireVersion).where(
            QuestionnaireVersion.slug == questionnaire.id, QuestionnaireVersion.checksum == questionnaire.checksum
        )
    )
    if found is not None and found.origin == "upload":
        return Upload(found, False, "This exact file was uploaded before: here it is.")
    if found is not None:
        return Upload(None, False, "This exact questionnaire is already stored, from the questionnaires/ folder.")
    version = QuestionnaireVersion(
        slug=questionnaire.id,
        version=questionnaire.version,
        checksum=questionnaire.checksum,
        source=questionnaire.source,
        origin="upload",
        approved=False,
    )
    db.session.add(version)
    db.session.flush()
    audit.record(
        "uploaded questionnaire",
        upload=version.id,
        questionnaire=version.slug,
        version=version.version,
        file=upload_name(filename),
        checksum=version.checksum,
    )
    db.session.commit()
    return Upload(version, True)


def surveys_using(version: QuestionnaireVersion) -> int:
    """Return how many surveys were made from a stored questionnaire."""
    return db.session.scalar(select(func.count()).where(Survey.questionnaire_version_id == version.id)) or 0


def approve_upload(version: QuestionnaireVersion) -> None:
    """Let organisers make surveys from an upload. Commits."""
    if version.approved:
        raise UploadError("This questionnaire is already approved.")
    version.approved = True
    audit.record("approved questionnaire", upload=version.id, questionnaire=version.slug, version=version.version)
    db.session.commit()


def discard_upload(version: QuestionnaireVersion) -> None:
    """Delete an upload that no survey uses. Commits."""
    used = surveys_using(version)
    if used:
        raise UploadError(f"This questionnaire cannot be discarded: {used} survey(s) were made from it.")
    audit.record("discarded questionnaire", upload=version.id, questionnaire=version.slug, version=version.version)
    db.session.delete(version)
    db.session.commit()


def uploads() -> list[tuple[QuestionnaireVersion, int]]:
    """Return every upload, newest first, with how many surveys use each."""
    counts = (
        select(Survey.questionnaire_version_id, func.count().label("n"))
        .group_by(Survey.questionnaire_version_id)
        .subquery()
    )
    rows = db.session.execute(
        select(QuestionnaireVersion, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.questionnaire_version_id == QuestionnaireVersion.id)
        .where(QuestionnaireVersion.origin == "upload")
        .order_by(QuestionnaireVersion.id.desc())
    )
    return [(version, n) for version, n in rows]


def same_id_file(questionnaire: Questionnaire) -> Questionnaire | None:
    """Return the questionnaires/ file with the same id as an upload, if there is one."""
    files: dict[str, Questionnaire] = current_app.extensions["questionnaires"]
    return files.get(questionnaire.id)
