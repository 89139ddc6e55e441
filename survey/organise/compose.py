"""Organisers' "Compose a survey" pages: a survey made from the question bank and their own
questions, in English and Welsh, without a file; submitted for an administrator's approval.

Every page works without JavaScript: each change is a form post, and the draft is kept in the
database between requests (survey/core/compose.py).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..core import compose as drafts
from ..core.compose_file import compose_text
from ..core.own_questions import OWN_TYPES, blank_own, fields_of, read_own, scale_choices
from ..core.question_bank import current_bank
from ..models import ComposedDraft
from ..web.access import MANAGERS, roles
from . import bp


def _draft_or_404(draft_id: int) -> ComposedDraft:
    draft = drafts.draft_of(current_user, draft_id)
    if draft is None:
        abort(404)
    return draft


@bp.get("/compose")
@roles(*MANAGERS)
def compose_list():
    """The account's drafts, and a button to start one."""
    return render_template("organise/compose_list.html", drafts=drafts.drafts_of(current_user))


@bp.post("/compose/new")
@roles(*MANAGERS)
def compose_new():
    """Start an empty draft."""
    draft = drafts.new_draft(current_user)
    return redirect(url_for("organise.compose", draft_id=draft.id))


def _page(draft: ComposedDraft, *, fields=None, problems=None, submit_problems=(), status: int = 200):
    bank = current_bank()
    content = draft.content or {}
    fields = fields or {
        f"{part}_{lang}": (content.get(part) or {}).get(lang, "")
        for part in ("title", "intro")
        for lang in ("en", "cy")
    }
    return render_template(
        "organise/compose.html",
        draft=draft,
        fields=fields,
        problems=problems or {},
        submit_problems=list(submit_problems),
        entries=drafts.entries(draft, bank),
        submitted=drafts.submitted_version(draft),
    ), status


@bp.get("/compose/<int:draft_id>")
@roles(*MANAGERS)
def compose(draft_id: int):
    """The draft: its title and introduction, its questions in order, and what to do next."""
    return _page(_draft_or_404(draft_id))


@bp.post("/compose/<int:draft_id>/heading")
@roles(*MANAGERS)
def compose_heading(draft_id: int):
    """Save the title and introduction; with a problem, show everything typed again."""
    draft = _draft_or_404(draft_id)
    fields = {f"{p}_{lang}": request.form.get(f"{p}_{lang}", "") for p in ("title", "intro") for lang in ("en", "cy")}
    problems = drafts.save_heading(
        draft,
        {lang: fields[f"title_{lang}"] for lang in ("en", "cy")},
        {lang: fields[f"intro_{lang}"] for lang in ("en", "cy")},
    )
    if problems:
        return _page(draft, fields=fields, problems=problems, status=400)
    flash("Title and introduction saved.")
    return redirect(url_for("organise.compose", draft_id=draft.id))


@bp.post("/compose/<int:draft_id>/order")
@roles(*MANAGERS)
def compose_order(draft_id: int):
    """Move a question up or down, or remove it (one button per change: no JavaScript needed)."""
    draft = _draft_or_404(draft_id)
    action, _, place = request.form.get("change", "").partition(":")
    if not place.isdigit() or action not in ("up", "down", "remove"):
        abort(400)
    index = int(place)
    if action == "remove":
        drafts.remove(draft, index)
        anchor = "questions"
    else:
        drafts.move(draft, index, -1 if action == "up" else 1)
        anchor = f"entry-{max(0, index + (-1 if action == 'up' else 1))}"
    return redirect(url_for("organise.compose", draft_id=draft.id, _anchor=anchor))


@bp.route("/compose/<int:draft_id>/bank", methods=["GET", "POST"])
@roles(*MANAGERS)
def compose_bank(draft_id: int):
    """Pick questions, or whole pages, from the bank; a search narrows the list."""
    draft = _draft_or_404(draft_id)
    bank = current_bank()
    if request.method == "POST":
        section = request.form.get("section")
        try:
            if section:
                refused = drafts.add_bank_section(draft, bank, section)
            else:
                refused = drafts.add_bank_questions(draft, bank, request.form.getlist("pick"))
        except drafts.ComposeError as error:
            refused = [str(error)]
        for text in refused:
            flash(text)
        if not refused:
            flash("Added to your survey.")
        return redirect(url_for("organise.compose_bank", draft_id=draft.id, q=request.args.get("q", "")))
    words = request.args.get("q", "").strip()[:100]
    sections = bank.search(words) if words else [s for source in bank.sources for s in source.sections]
    taken = {e.bank.key for e in drafts.entries(draft, bank) if e.bank is not None}
    return render_template(
        "organise/compose_bank.html",
        draft=draft,
        bank=bank,
        sections=sections,
        words=words,
        taken=taken,
        count=len(taken),
    )


@bp.route("/compose/<int:draft_id>/own", methods=["GET", "POST"], defaults={"own_id": None})
@bp.route("/compose/<int:draft_id>/own/<own_id>", methods=["GET", "POST"])
@roles(*MANAGERS)
def compose_own(draft_id: int, own_id: str | None):
    """Write a question of your own, or change one, in English and Welsh."""
    draft = _draft_or_404(draft_id)
    bank = current_bank()
    stored = drafts.own_question(draft, own_id) if own_id else None
    if own_id and stored is None:
        abort(404)
    problems: dict[str, str] = {}
    fields = fields_of(stored) if stored else blank_own()
    if request.method == "POST":
        fields, own, problems = read_own(request.form, bank)
        if not problems:
            try:
                saved = drafts.save_own(draft, bank, own, own_id)
            except drafts.ComposeError as error:
                problems = {"text_en": str(error)}
            else:
                flash("Your question is saved." if own_id else "Your question is added at the end.")
                return redirect(url_for("organise.compose", draft_id=draft.id, _anchor=f"own-{saved}"))
    return render_template(
        "organise/compose_own.html",
        draft=draft,
        own_id=own_id,
        fields=fields,
        problems=problems,
        types=OWN_TYPES,
        scales=scale_choices(bank),
    ), (400 if problems else 200)


@bp.post("/compose/<int:draft_id>/submit")
@roles(*MANAGERS)
def compose_submit(draft_id: int):
    """Submit for approval: the file is written and stored as an upload, checked like any upload."""
    draft = _draft_or_404(draft_id)
    result = drafts.submit(draft, current_bank())
    if result.problems:
        return _page(draft, submit_problems=result.problems, status=400)
    if result.version is None:
        return _page(draft, submit_problems=[result.message], status=409)
    flash(result.message or "Submitted for approval. An administrator will check it, then approve it.")
    return redirect(url_for("organise.compose", draft_id=draft.id))


@bp.post("/compose/<int:draft_id>/delete")
@roles(*MANAGERS)
def compose_delete(draft_id: int):
    """Delete the draft (a questionnaire it was submitted as stays with the administrators)."""
    draft = _draft_or_404(draft_id)
    if request.form.get("confirm") != "yes":
        flash("Nothing was deleted: tick “Yes, delete this questionnaire” first.")
        return redirect(url_for("organise.compose", draft_id=draft.id))
    drafts.delete_draft(draft)
    flash("Deleted.")
    return redirect(url_for("organise.compose_list"))


@bp.get("/compose/<int:draft_id>/file")
@roles(*MANAGERS)
def compose_file(draft_id: int):
    """The questionnaire file the draft would be submitted as (for those who want to read it)."""
    draft = _draft_or_404(draft_id)
    content = {**drafts.empty_content(), **(draft.content or {})}
    composition = compose_text(content, current_bank(), drafts.slug_of(draft), int(content["submissions"]) + 1)
    text = composition.text or "\n".join(composition.problems)
    return text, 200, {"Content-Type": "text/plain; charset=utf-8"}
