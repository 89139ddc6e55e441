"""The member survey and consultation platform: the application factory."""

from __future__ import annotations

import sys

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import cli, queue
from .admin import bp as admin_bp
from .api import bp as api_bp
from .config import ROOT, Config, config_from_env
from .dashboards import bp as dashboards_bp
from .exports import bp as exports_bp
from .extensions import babel, csrf, db, migrate
from .home import bp as home_bp
from .i18n import current_language
from .organise import bp as organise_bp
from .published import bp as published_bp
from .questionnaire.loader import QuestionnaireError, load_directory
from .responses import bp as responses_bp
from .responses.views import page_after_expired_form
from .staff import bp as staff_bp
from .web import errors, filters, limits, logs, security
from .web.access import login_manager


def create_app(config: type[Config] | None = None, overrides: dict | None = None) -> Flask:
    """Build the app: settings, extensions, questionnaires, blueprints, CLI and error pages."""
    config = config or config_from_env()
    app = Flask(__name__, template_folder="../templates", static_folder="../static", instance_relative_config=True)
    app.config.from_object(config)
    app.config.update(config.settings(app.instance_path))
    app.config.update(overrides or {})
    config.check(app.config)
    app.url_map.converters["int"] = security.DatabaseInt  # ids too large for a column are 404s
    if app.config.get("PROXY_COUNT"):  # trust this many proxies' X-Forwarded-For and -Proto
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_COUNT"], x_proto=app.config["PROXY_COUNT"])

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=current_language)

    app.extensions["questionnaires"] = _load_questionnaires(app)

    login_manager.init_app(app)
    blueprints = (home_bp, responses_bp, staff_bp, organise_bp, admin_bp, dashboards_bp, exports_bp, api_bp)
    for blueprint in (*blueprints, published_bp):
        app.register_blueprint(blueprint)
    cli.init_app(app)
    queue.init_app(app)
    errors.init_app(app, form_pages={"responses.page": page_after_expired_form})
    filters.init_app(app)
    logs.init_app(app)
    security.init_app(app)
    limits.init_app(app)
    return app


def _load_questionnaires(app: Flask) -> dict:
    """Load and validate every questionnaire; an invalid one stops the app from starting."""
    try:
        return load_directory(app.config["QUESTIONNAIRE_DIR"])
    except QuestionnaireError as error:
        # `flask questionnaire check` must still run, to report the problems in full.
        if "questionnaire" in sys.argv[1:]:
            return {}
        error.add_note("Refusing to start: fix the questionnaire files above.")
        raise
