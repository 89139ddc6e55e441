"""Settings: embedded defaults on a laptop, refusal of weak production settings."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from survey import create_app
from survey.config import ConfigError, ProductionConfig, TestConfig
from survey.questionnaire.loader import QuestionnaireError

from .helpers import FIXTURES


def test_development_defaults_use_sqlite_in_wal_mode_and_keep_a_secret(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("SURVEY_ENV", "development")
    from survey import config

    settings = config.Config.settings(str(tmp_path))
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'survey.db'}"
    assert len(settings["SECRET_KEY"]) >= 32
    assert config.Config.settings(str(tmp_path))["SECRET_KEY"] == settings["SECRET_KEY"]  # kept, not remade
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    engine = sa.create_engine(settings["SQLALCHEMY_DATABASE_URI"])
    with engine.connect() as connection:
        assert connection.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_database_url_selects_postgresql(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://someone@db.example/survey")
    from survey.config import Config

    assert Config.settings(str(tmp_path))["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"SECRET_KEY": "short", "DATABASE_URL": "postgresql+psycopg://u@h/db"}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "x" * 40, "DATABASE_URL": "sqlite:///survey.db"}, "DATABASE_URL must point at PostgreSQL"),
        ({"DATABASE_URL": "postgresql+psycopg://u@h/db"}, "SECRET_KEY must be set"),
    ],
)
def test_production_refuses_weak_settings(tmp_path, monkeypatch, env, complaint):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError, match=complaint):
        ProductionConfig.check(ProductionConfig.settings(str(tmp_path)))


def test_production_accepts_strong_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@h/db")
    ProductionConfig.check(ProductionConfig.settings(str(tmp_path)))


def test_unknown_environment_name_is_refused(monkeypatch):
    monkeypatch.setenv("SURVEY_ENV", "staging")
    with pytest.raises(ConfigError, match="SURVEY_ENV"):
        create_app()


def test_app_refuses_to_start_with_an_invalid_questionnaire(tmp_path):
    text = (FIXTURES / "tiny.yaml").read_text().replace("cy: Eich gwaith}", "cy: ''}")
    (tmp_path / "tiny.yaml").write_text(text)
    with pytest.raises(QuestionnaireError, match=r"tiny\.yaml:\d+: section work: 'title' has no Welsh"):
        create_app(TestConfig, {"QUESTIONNAIRE_DIR": str(tmp_path)})
