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
    # session-bound token is the check; survey/web/security.py adds Fetch Metadata and Origin instead.
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
    # only in large steps (core/submissions.py release_batch); invitation surveys release at close.
    LIVE_RELEASE_SECONDS = 180
    # Rate limits per visitor address (see survey/web/limits.py): generous for an office of fifty.
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
    # Email invitations and reminders (survey/mail.py; docs/decisions/0023-email-invitations.md):
    # unset SMTP_HOST or MAIL_FROM means the app sends none, and organisers download CSV files.
    SMTP_HOST: str | None = None
    SMTP_PORT: int | None = None  # default: 465 with SMTP_SSL, else 587 with STARTTLS, else 25
    SMTP_USERNAME: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_STARTTLS = True
    SMTP_SSL = False
    MAIL_FROM: str | None = None
    MAIL_PER_MINUTE = 60  # what the mail server accepts from us; shared by every worker (Redis)
    MAIL_JOB_SECONDS = 60  # one job sends this long, then queues the next: other jobs get a turn

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
            # (survey/results/stored.py); an empty SNAPSHOT_DIR turns them off.
            "SNAPSHOT_DIR": os.environ.get("SNAPSHOT_DIR", str(instance / "snapshots")) or None,
            **_mail_settings(),
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
        clear = not (config.get("SMTP_SSL") or config.get("SMTP_STARTTLS"))
        if config.get("SMTP_HOST") and clear and config["SMTP_HOST"] not in ("localhost", "127.0.0.1", "::1"):
            problems.append("SMTP_STARTTLS or SMTP_SSL must be on: personal links must not cross networks in clear")
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


def _flag(name: str, default: bool) -> bool:
    """Return an on/off variable: 1, true, yes or on is on; 0, false, no or off is off."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
        raise ConfigError(f"{name} is {value!r}; use true or false")
    return value in ("1", "true", "yes", "on")


def _mail_settings() -> dict:
    """Return the SMTP settings from the environment (survey/mail.py reads them)."""
    use_ssl = _flag("SMTP_SSL", False)
    starttls = _flag("SMTP_STARTTLS", not use_ssl)
    if use_ssl and starttls:
        raise ConfigError("SMTP_SSL and SMTP_STARTTLS are both on: use SMTP_SSL (port 465) or STARTTLS (587)")
    try:
        per_minute = int(os.environ.get("MAIL_PER_MINUTE") or Config.MAIL_PER_MINUTE)
        port = int(os.environ["SMTP_PORT"]) if os.environ.get("SMTP_PORT") else None
    except ValueError as error:
        raise ConfigError(f"MAIL_PER_MINUTE and SMTP_PORT must be whole numbers ({error})") from None
    if per_minute < 1:
        raise ConfigError("MAIL_PER_MINUTE must be at least 1")
    return {
        "SMTP_HOST": os.environ.get("SMTP_HOST") or None,
        "SMTP_PORT": port,
        "SMTP_USERNAME": os.environ.get("SMTP_USERNAME") or None,
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD") or None,
        "SMTP_STARTTLS": starttls,
        "SMTP_SSL": use_ssl,
        "MAIL_FROM": os.environ.get("MAIL_FROM") or None,
        "MAIL_PER_MINUTE": per_minute,
    }


def _kept_secret(path: Path) -> str:
    """Return the secret kept in the instance folder, making one the first time."""
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
