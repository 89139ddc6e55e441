"""Command-line tools: questionnaire check and demo."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from survey.extensions import db
from survey.models import QuestionnaireVersion, Survey

from .helpers import FIXTURES, ROOT


def test_check_passes_on_the_shipped_files(app):
    result = app.test_cli_runner().invoke(args=["questionnaire", "check"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == len(list((ROOT / "questionnaires").glob("*.yaml")))
    assert all(": ok – " in line for line in lines)


def test_check_reports_every_problem_and_exits_1(app, tmp_path: Path):
    text = (FIXTURES / "tiny.yaml").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("cy: Eich gwaith}", "cy: ''}").replace("{code: email,", "{code: cctv,"))
    syntax = tmp_path / "syntax.yaml"
    syntax.write_text("format: 1\nid: [x\n")
    result = app.test_cli_runner().invoke(
        args=["questionnaire", "check", str(bad), str(FIXTURES / "tiny.yaml"), str(syntax)]
    )
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == [str(bad), str(bad), str(FIXTURES / "tiny.yaml"), str(syntax)]
    assert "has no Welsh (cy) text" in lines[0] and "duplicate option code 'cctv'" in lines[1]
    assert "YAML syntax error" in lines[3]


def test_demo_creates_then_refreshes_one_open_survey(app):
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["demo"])
        assert result.exit_code == 0, result.output
        assert "http://127.0.0.1:5000/s/ai-at-work-demo" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Survey)) == 1
        assert db.session.scalar(select(func.count()).select_from(QuestionnaireVersion)) == 1
        survey = db.session.scalar(select(Survey))
        assert survey.status == "open" and survey.access == "open_link"
        assert survey.questionnaire.id == "ai-at-work"


def test_invitations_create_prints_links_and_stores_only_hashes(app):
    from survey.core.codes import sha256
    from survey.models import Invitation

    runner = app.test_cli_runner()
    runner.invoke(args=["demo"])
    result = runner.invoke(
        args=["invitations", "create", "ai-at-work-demo", "3", "--base-url", "https://survey.example"]
    )
    assert result.exit_code == 0, result.output
    links = result.output.split()
    assert len(links) == 3 and all(link.startswith("https://survey.example/i/") for link in links)
    with app.app_context():
        stored = set(db.session.scalars(select(Invitation.token_hash)))
    assert stored == {sha256(link.rsplit("/", 1)[1]) for link in links}
    assert runner.invoke(args=["invitations", "create", "nope", "1"]).exit_code != 0
