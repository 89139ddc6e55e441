"""Staff sign-in (/staff): a password and a one-time code, sign out, change password."""

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

from . import views  # noqa: E402,F401  (views register routes on bp)
