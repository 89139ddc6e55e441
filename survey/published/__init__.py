"""Published results for delegates, negotiators and the public: no sign-in, only what an organiser
chose to publish, and every number through the results engine's one protection.

/r/<slug> the results page, /r/<slug>/q/<question> one question by group, /r/<slug>/screen the
conference screen, /r/<slug>/briefing the negotiators' printable briefing.
"""

from flask import Blueprint
from markupsafe import Markup

bp = Blueprint("published", __name__, url_prefix="/r")


@bp.app_template_global("english")
def english(text: str, **values) -> Markup:
    """Format an English string like the templates' newstyle gettext does, for staff-only pages."""
    return Markup(text) % values  # like newstyle gettext: always a format string, so "%%" is "%"


from . import views  # noqa: E402,F401  (views register routes on bp)
