"""Pieces every web face shares: staff access (roles, guard, survey_or_404, the login manager),
Jinja filters, error pages, security headers, rate limits and log redaction. No rules here: those
are in survey.core."""
