"""Command-line tools: flask --app wsgi questionnaire check | invitations create | demo."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from .extensions import db
from .models import AccessMode, QuestionnaireVersion, Survey, SurveyStatus
from .questionnaire.loader import check_file, load_file, questionnaire_files
from .responses.service import create_invitations

questionnaire_cli = AppGroup("questionnaire", help="Check questionnaire files.")


@questionnaire_cli.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def check_command(paths: tuple[Path, ...]) -> None:
    """Validate questionnaire files (default: every file in questionnaires/)."""
    files = list(paths) or questionnaire_files(current_app.config["QUESTIONNAIRE_DIR"])
    if not files:
        raise click.ClickException("no questionnaire files found")
    failed = False
    for path in files:
        problems = check_file(path)
        if problems:
            failed = True
            for problem in problems:
                click.echo(str(problem))
            continue
        q = load_file(path)
        click.echo(
            f"{path}: ok – {q.id} v{q.version}, {len(q.sections)} pages, {len(q.questions)} questions, "
            f"{len(q.derived)} derived variables, {len(q.dimensions)} dimensions, languages {', '.join(q.languages)}"
        )
    if failed:
        raise SystemExit(1)


invitations_cli = AppGroup("invitations", help="Single-use invitations.")


@invitations_cli.command("create")
@click.argument("slug")
@click.argument("count", type=click.IntRange(1, 100_000))
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True, help="Address members will use.")
def create_invitations_command(slug: str, count: int, base_url: str) -> None:
    """Print COUNT personal links for survey SLUG; only hashes of them are stored."""
    survey = db.session.scalar(select(Survey).where(Survey.slug == slug))
    if survey is None:
        raise click.ClickException(f"no survey called {slug!r}")
    for token in create_invitations(survey, count):
        click.echo(f"{base_url.rstrip('/')}/i/{token}")


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Create or refresh the open-link demo survey of ai-at-work, and print its address."""
    survey = make_demo_survey()
    click.echo(f"Demo survey ready: http://127.0.0.1:5000/s/{survey.slug}")


def make_demo_survey() -> Survey:
    """Create or refresh the demo survey from the current ai-at-work questionnaire."""
    questionnaire = current_app.extensions["questionnaires"]["ai-at-work"]
    version = QuestionnaireVersion.pin(questionnaire)
    slug = current_app.config["DEMO_SURVEY_SLUG"]
    survey = db.session.scalar(select(Survey).where(Survey.slug == slug))
    if survey is None:
        survey = Survey(slug=slug)
        db.session.add(survey)
    survey.questionnaire_version = version
    survey.status = SurveyStatus.OPEN
    survey.access = AccessMode.OPEN_LINK
    survey.opens_at = survey.closes_at = None
    db.session.commit()
    return survey


def init_app(app: Flask) -> None:
    """Register the commands."""
    app.cli.add_command(questionnaire_cli)
    app.cli.add_command(invitations_cli)
    app.cli.add_command(demo_command)
