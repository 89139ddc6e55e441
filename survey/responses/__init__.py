"""The member journey blueprint: start, pages, check answers, submit, thank you, resume."""

from flask import Blueprint

bp = Blueprint("responses", __name__)

from . import views  # noqa: E402,F401  (views register routes on bp)
