"""Settings from the environment, with embedded defaults that run on a laptop."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIN_SECRET_LENGTH = 32


class ConfigError(RuntimeError):
    """The settings are unsafe or incomplete; the message says what to change."""


class Config:
    """Development and single-box defaults: SQLite in instance/, a secret kept there."""

    ENV_NAME = "development"
    TESTING = False
    QUESTIONNAIRE_DIR = str(ROOT / "questionnaires")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    # Over HTTPS Flask-WTF would also demand a Referer naming this site, and refuse every form
    # (for ever, with no way out) from a browser or privacy tool that drops the header. The
    # session-bound token is the check; survey/security.py adds Fetch Metadata and Origin instead.
    WTF_CSRF_SSL_STRICT = False
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)  # idle time; checked on the server when read
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "translations")
    LANGUAGES = ("en", "cy")
    DEMO_SURVEY_SLUG = "ai-at-work-demo"
    DEMO_RESULTS_SLUG = "ai-at-work-results-demo"  # published, filled by `flask demo --responses N`
    MAX_CONTENT_LENGTH = 1024 * 1024
    STAFF_IDLE_TIMEOUT = timedelta(minutes=30)  # a staff session unused this long is refused
    STAFF_LOCKOUT = timedelta(minutes=30)  # how long ten failed sign-ins lock an account
    UPLOAD_LIMIT = 10 * 1024 * 1024  # a members' list or questionnaire file
    TIME_ZONE = "Europe/London"  # organisers enter and read dates and times here
    # Results look for newly released batches at most this often (seconds): during a busy hour a
    # batch is released every few seconds, and each new batch means working the tables out again.
    RESULTS_REFRESH_SECONDS = 15
    # An open-link survey releases answers to results while open at most this often (seconds), and
    # only in large steps (responses/service.py release_batch); invitation surveys release at close.
    LIVE_RELEASE_SECONDS = 180
    # Rate limits per visitor address (see survey/limits.py): generous for an office of fifty.
    RATE_SIGN_IN = "10 per minute;50 per hour"
    RATE_INVITATION = "200 per minute"
    RATE_RESUME = "30 per minute;300 per hour"
    RATE_SUBMIT = "200 per minute"
    RATELIMIT_HEADERS_ENABLED = False
    # With REDIS_URL, counts live in Redis; if Redis stops answering, each process counts in its own
    # memory until it is back (limits stay on, members are never turned away for it), and a dead
    # Redis costs each request at most half a second to find out.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}

    @classmethod
    def settings(cls, instance_path: str) -> dict:
        """Return the settings read from the environment, with defaults filled in."""
        instance = Path(instance_path)
        instance.mkdir(parents=True, exist_ok=True)
        return {
            "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'survey.db'}",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or _kept_secret(instance / "secret_key"),
            "REDIS_URL": os.environ.get("REDIS_URL"),
            "PROXY_COUNT": int(os.environ.get("PROXY_COUNT") or 0),
            # Stored results snapshots, shared by this machine's processes as memory-mapped files
            # (survey/results/snapshot.py); an empty SNAPSHOT_DIR turns them off.
            "SNAPSHOT_DIR": os.environ.get("SNAPSHOT_DIR", str(instance / "snapshots")) or None,
        }

    @classmethod
    def check(cls, config: dict) -> None:
        """Refuse settings that are unsafe for this kind of deployment."""


class ProductionConfig(Config):
    """Production: PostgreSQL, a real secret from the environment, secure cookies."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"

    @classmethod
    def check(cls, config: dict) -> None:
        """Refuse weak production settings with a message that says what to change."""
        problems = []
        if len(os.environ.get("SECRET_KEY", "")) < MIN_SECRET_LENGTH:
            problems.append(
                f"SECRET_KEY must be set in the environment to at least {MIN_SECRET_LENGTH} random characters "
                '(python -c "import secrets; print(secrets.token_urlsafe(48))")'
            )
        if not str(config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
            problems.append("DATABASE_URL must point at PostgreSQL (postgresql+psycopg://user@host/dbname)")
        if config.get("DEBUG"):
            problems.append("debug mode must be off (unset FLASK_DEBUG)")
        if problems:
            raise ConfigError("Refusing to start in production:\n  - " + "\n  - ".join(problems))


class TestConfig(Config):
    """Tests: CSRF on (tests post real tokens), a throwaway secret."""

    ENV_NAME = "test"
    TESTING = True
    # The suite signs in and submits far faster than people do; tests of the limits set their own.
    RATE_SIGN_IN = RATE_INVITATION = RATE_RESUME = RATE_SUBMIT = "100000 per minute"
    RESULTS_REFRESH_SECONDS = 0  # a released batch shows on the next read; tests of the wait set it
    LIVE_RELEASE_SECONDS = 0  # a live release is due as soon as enough wait; tests of the pace set it

    @classmethod
    def settings(cls, instance_path: str) -> dict:
        """Use the test database, never the developer's own."""
        return {
            "SQLALCHEMY_DATABASE_URI": os.environ.get("TEST_DATABASE_URL") or "sqlite:///:memory:",
            "SECRET_KEY": "test-secret-key-that-is-long-enough-to-pass",
            "REDIS_URL": None,
            "SNAPSHOT_DIR": None,  # tests of the shared files give their own folder
        }


def config_from_env() -> type[Config]:
    """Pick the configuration class named by SURVEY_ENV (development or production)."""
    name = os.environ.get("SURVEY_ENV", "development")
    classes = {"development": Config, "production": ProductionConfig}
    if name not in classes:
        raise ConfigError(f"SURVEY_ENV is {name!r}; use development or production")
    return classes[name]


def _kept_secret(path: Path) -> str:
    """Return the secret kept in the instance folder, making one the first time."""
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
