"""Preview a composed questionnaire before it is submitted, page by page as a member would see it,
in either language, storing nothing: the organisers' survey preview (preview.py), for a draft.

The draft's questionnaire file is written and read exactly as on submitting (nothing is stored);
the preview's routing answers live only in the signed session cookie, as in preview.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from flask import abort, flash, g, redirect, render_template, request, session, url_for

from ..config import Config
from ..core import compose as drafts
from ..core.compose_file import compose_text, read_composed
from ..core.question_bank import current_bank
from ..core.surveys import MIN_THRESHOLD
from ..questionnaire import timing
from ..questionnaire.answers import page_values, read_page
from ..questionnaire.loader import QuestionnaireError
from ..questionnaire.model import Questionnaire
from ..web import member_pages
from ..web.access import MANAGERS, roles
from . import bp
from .compose import _draft_or_404
from .preview import _answers, _keep


@dataclass(frozen=True)
class DraftPreview:
    """What the members' templates read of a survey, for a draft that is not a survey yet."""

    id: int
    questionnaire: Questionnaire
    slug: str = "preview"
    access: str = "open_link"
    threshold: int = MIN_THRESHOLD

    @property
    def key(self) -> str:
        """Return the preview's key in the session (never a survey's id)."""
        return f"draft-{self.id}"

    def title(self, language: str) -> str:
        """Return the title in a language."""
        return self.questionnaire.title[language]


def _previewed(draft_id: int) -> DraftPreview | None:
    draft = _draft_or_404(draft_id)
    content = {**drafts.empty_content(), **(draft.content or {})}
    questionnaire, problems = _composed(drafts.slug_of(draft), json.dumps(content, sort_keys=True))
    if questionnaire is not None:
        return DraftPreview(draft.id, questionnaire)
    flash("It cannot be previewed yet: " + " ".join(problems))
    return None


@lru_cache(maxsize=16)
def _composed(slug: str, content: str) -> tuple[Questionnaire | None, tuple[str, ...]]:
    """Write and read a draft's file once for all the pages of a preview (the bank is fixed per process)."""
    said = json.loads(content)
    composed = compose_text(said, current_bank(), slug, int(said["submissions"]) + 1)
    if composed.problems:
        return None, tuple(composed.problems)
    try:
        return read_composed(composed.text, f"{slug}.yaml"), ()
    except QuestionnaireError as error:
        return None, tuple(composed.explain(error.problems))


def _language(language: str) -> str:
    if language not in Config.LANGUAGES:
        abort(404)
    g.preview_language = language
    return language


@bp.get("/compose/<int:draft_id>/preview/<language>")
@roles(*MANAGERS)
def compose_preview(draft_id: int, language: str):
    """The start page, as members first see it."""
    language = _language(language)
    switch = request.args.get("lang")
    if switch in Config.LANGUAGES and switch != language:
        return redirect(url_for("organise.compose_preview", draft_id=draft_id, language=switch))
    found = _previewed(draft_id)
    if found is None:
        return redirect(url_for("organise.compose", draft_id=draft_id))
    session.pop("preview", None)
    return render_template(
        "organise/compose_preview_start.html",
        survey=found,
        draft_id=draft_id,
        questionnaire=found.questionnaire,
        minutes=timing.minutes(found.questionnaire, language),
        started=False,
        invited_only=False,
        start_action=url_for("organise.compose_preview_begin", draft_id=draft_id, language=language),
    )


@bp.post("/compose/<int:draft_id>/preview/<language>")
@roles(*MANAGERS)
def compose_preview_begin(draft_id: int, language: str):
    """Start now: the first page, with nothing stored."""
    language = _language(language)
    found = _previewed(draft_id)
    if found is None:
        return redirect(url_for("organise.compose", draft_id=draft_id))
    session.pop("preview", None)
    first = member_pages.visible_sections(found.questionnaire, {}, language)[0]
    return redirect(url_for("organise.compose_preview_page", draft_id=draft_id, language=language, section_id=first.id))


@bp.route("/compose/<int:draft_id>/preview/<language>/page/<section_id>", methods=["GET", "POST"])
@roles(*MANAGERS)
def compose_preview_page(draft_id: int, language: str, section_id: str):
    """One page, checked exactly as for members; Continue goes where a member would go."""
    language = _language(language)
    found = _previewed(draft_id)
    if found is None:
        return redirect(url_for("organise.compose", draft_id=draft_id))
    questionnaire = found.questionnaire
    section = next((s for s in questionnaire.sections if s.id == section_id), None)
    if section is None:
        abort(404)
    answers = _answers(found.key)
    if request.method == "GET":
        return _render(found, section, answers, page_values(section, answers), [], language)
    if request.form.get("language") in Config.LANGUAGES:
        return redirect(
            url_for(
                "organise.compose_preview_page",
                draft_id=draft_id,
                language=request.form["language"],
                section_id=section.id,
            )
        )
    result = read_page(questionnaire, section, request.form, answers, language)
    if request.form.get("action") == "save":
        flash("In a preview nothing is saved. A member would now be given a code to carry on later.")
    elif not result.ok:
        return _render(found, section, answers, request.form.to_dict(flat=False), result.problems, language), 400
    answers = _keep(found.key, questionnaire, {**answers, **result.answers}, language)
    following = member_pages.next_section(questionnaire, section, answers, language)
    if following is None:
        return redirect(url_for("organise.compose_preview_end", draft_id=draft_id, language=language))
    return redirect(
        url_for("organise.compose_preview_page", draft_id=draft_id, language=language, section_id=following.id)
    )


@bp.get("/compose/<int:draft_id>/preview/<language>/check-answers")
@roles(*MANAGERS)
def compose_preview_end(draft_id: int, language: str):
    """The check-your-answers page, without the button that sends."""
    language = _language(language)
    found = _previewed(draft_id)
    if found is None:
        return redirect(url_for("organise.compose", draft_id=draft_id))
    return render_template(
        "organise/compose_preview_end.html",
        survey=found,
        draft_id=draft_id,
        summary=member_pages.summary(found.questionnaire, _answers(found.key), language),
        change_endpoint="organise.compose_preview_page",
        change_args={"draft_id": draft_id, "language": language},
    )


def _render(found: DraftPreview, section, answers, form, problems, language):
    shown, previous = member_pages.page_view(found.questionnaire, section, answers, form, problems, language)
    back = (
        url_for("organise.compose_preview_page", draft_id=found.id, language=language, section_id=previous.id)
        if previous
        else url_for("organise.compose_preview", draft_id=found.id, language=language)
    )
    return render_template(
        "organise/compose_preview_page.html",
        survey=found,
        draft_id=found.id,
        back=back,
        unsaved=False,
        expired=False,
        **shown,
    )
