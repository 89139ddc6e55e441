"""Command-line tools: flask --app wsgi questionnaire check | invitations create | users | demo."""

from __future__ import annotations

import secrets
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select

from . import queue
from .core import accounts
from .core.invitations import create_invitations
from .core.surveys import close_due_surveys, run_retention
from .extensions import db
from .models import AccessMode, QuestionnaireVersion, Response, Survey, SurveyStatus
from .questionnaire.loader import check_file, load_file, questionnaire_files, warnings_in_file

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
        for warning in warnings_in_file(path):
            click.echo(str(warning))
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


users_cli = AppGroup("users", help="Staff accounts: the first administrator, and a way back in.")


@users_cli.command("create-admin")
@click.option("--email", prompt="Email address", help="The administrator's email address.")
@click.option("--name", prompt="Name", help="The administrator's name.")
def create_admin_command(email: str, name: str) -> None:
    """Add an administrator with a password typed twice; they set up two-factor sign-in at first sign-in."""
    problem = accounts.email_problem(email)
    if problem:
        raise click.ClickException(problem)
    password = click.prompt("Password (at least 12 characters)", hide_input=True, confirmation_prompt=True)
    try:
        user = accounts.create_admin(email, name, password)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Administrator {user.email} added. At first sign-in they must set up two-factor sign-in.")


@users_cli.command("reset-password")
@click.argument("email")
@click.option("--two-factor", is_flag=True, help="Also forget their authenticator app (a lost phone).")
def reset_password_command(email: str, two_factor: bool) -> None:
    """Print a new temporary password for EMAIL, unlock the account and sign it out everywhere."""
    user = accounts.find_user(email)
    if user is None:
        raise click.ClickException(f"no account with the email address {email!r}")
    if two_factor:
        accounts.reset_two_factor(user)
    password = accounts.reset_password(user)
    click.echo(f"Temporary password for {user.email}: {password}")
    click.echo("It must be changed at the next sign-in." + (" Two-factor sign-in must be set up again." * two_factor))


@click.command("demo")
@click.option(
    "--responses",
    type=click.IntRange(0, 10_000_000),
    default=0,
    help="Add this many synthetic responses (realistic, with planted equality gaps) to the published results demo.",
)
@click.option("--seed", type=int, help="Seed: the same seed and count give the same answers. Default: random.")
@click.option("--if-empty", is_flag=True, help="Add responses only if the results demo has none yet.")
@click.option(
    "--earlier-wave",
    is_flag=True,
    help="Also store an earlier wave (2025) of the results demo, with planted changes to compare (once).",
)
@with_appcontext
def demo_command(responses: int, seed: int | None, if_empty: bool, earlier_wave: bool) -> None:
    """Create or refresh the open-link demo survey; with --responses, fill a published results demo too.

    In development it also (re)sets a demo viewer account and prints its one-time password, so
    that a newcomer can open the dashboards at once.
    """
    survey = make_demo_survey()
    click.echo(f"Demo survey ready: http://127.0.0.1:5000/s/{survey.slug}")
    if responses:
        import demo  # an optional tool beside the app (numpy): loaded only when responses are asked for

        results = make_demo_survey(current_app.config["DEMO_RESULTS_SLUG"], SurveyStatus.PUBLISHED)
        has = db.session.scalar(select(func.count()).select_from(Response).where(Response.survey_id == results.id))
        if if_empty and has:
            click.echo(f"Results demo already has {has:,} responses: /organise/surveys/{results.id}/results/")
        else:
            seed = secrets.randbelow(2**31) if seed is None else seed
            added = demo.add_responses(results, responses, seed)
            click.echo(
                f"Added {added.count:,} synthetic responses to {results.slug} (seed {added.seed}) "
                f"in {added.seconds:.1f} s, {added.count / added.seconds:,.0f} a second; "
                f"results snapshot stored in {added.primed_seconds:.1f} s."
            )
            if queue.enqueue_prepare(results.id) is not None:  # the worker finds the comment themes
                click.echo("Queued the job worker to find the comments' themes (flask jobs worker).")
        if earlier_wave and demo.add_earlier_wave(results) is not None:
            click.echo(f"Stored an earlier wave of {results.slug} (2025), with planted changes to compare.")
        if demo.add_membership_profile() is not None:
            click.echo("Stored the demo membership profile: /admin/membership")
    if current_app.config["ENV_NAME"] != "production":
        password = accounts.demo_viewer(DEMO_VIEWER)
        click.echo(f"Demo viewer (sees every survey, changes nothing): {DEMO_VIEWER} / {password}")
        click.echo("Sign in at http://127.0.0.1:5000/staff/sign-in")


DEMO_VIEWER = "demo-viewer@example.org"


def make_demo_survey(slug: str | None = None, status: SurveyStatus = SurveyStatus.OPEN) -> Survey:
    """Create or refresh a demo survey of the current ai-at-work questionnaire.

    A demo survey follows the file (a real survey never does): when the file has changed, the
    survey is put back to draft for a moment so that its pinned version may change.
    """
    questionnaire = current_app.extensions["questionnaires"]["ai-at-work"]
    version = QuestionnaireVersion.pin(questionnaire)
    slug = slug or current_app.config["DEMO_SURVEY_SLUG"]
    survey = db.session.scalar(select(Survey).where(Survey.slug == slug))
    if survey is None:
        survey = Survey(slug=slug, name=f"Demo: {questionnaire.title['en']}", questionnaire_version=version)
        db.session.add(survey)
    elif survey.questionnaire_version_id != version.id or survey.opens_at or survey.closes_at:
        db.session.flush()
        survey.status = SurveyStatus.DRAFT
        db.session.commit()
        survey.questionnaire_version = version
        survey.opens_at = survey.closes_at = None
    survey.status = status
    survey.access = AccessMode.OPEN_LINK
    db.session.commit()
    return survey


surveys_cli = AppGroup("surveys", help="Survey life cycle.")


@surveys_cli.command("close-due")
def close_due_command() -> None:
    """Close every open survey whose closing time has passed (run every minute from cron)."""
    click.echo(f"closed {close_due_surveys()} survey(s)")


retention_cli = AppGroup("retention", help="Delete what members' privacy says must not be kept.")


@retention_cli.command("run")
def retention_run_command() -> None:
    """Close surveys that are due; delete member lists, links, drafts and receipts of finished ones."""
    totals = run_retention()
    click.echo(", ".join(f"{key}: {value}" for key, value in totals.items()))


def init_app(app: Flask) -> None:
    """Register the commands."""
    app.cli.add_command(questionnaire_cli)
    app.cli.add_command(surveys_cli)
    app.cli.add_command(retention_cli)
    app.cli.add_command(invitations_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_command)
