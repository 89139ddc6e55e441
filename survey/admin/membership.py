"""Administrators: the membership profile (counts of members by breakdown, dated; never a member list)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from ..core import membership
from ..core.accounts import audience_questionnaire
from ..extensions import db
from ..models import MembershipProfile, Role
from ..web.access import roles
from . import bp
from .forms import ProfileForm


@bp.route("/membership", methods=["GET", "POST"])
@roles(Role.ADMIN)
def membership_profiles():
    """Upload a membership profile, and list those stored (the newest as-of date is used)."""
    form = ProfileForm()
    problems: membership.ProfileError | None = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            profile = membership.store_profile(
                current_user.email, form.name.data or "", form.as_of.data, upload.read(), upload.filename
            )
        except membership.ProfileError as error:
            problems = error
        else:
            counted = f"{profile.as_of:%-d %B %Y}"
            flash(f"Stored the membership profile “{profile.name}” counted on {counted}: {len(profile.counts)} counts.")
            return redirect(url_for("admin.membership_profiles"))
    status = 400 if form.errors or problems else 200
    questionnaire = audience_questionnaire()
    return render_template(
        "admin/membership.html",
        form=form,
        problems=problems,
        profiles=membership.profiles(),
        dimensions=questionnaire.dimensions,
    ), status


@bp.post("/membership/<int:profile_id>/delete")
@roles(Role.ADMIN)
def delete_membership_profile(profile_id: int):
    """Delete a stored profile (its counts go with it); results use the newest one left."""
    profile = db.session.get(MembershipProfile, profile_id)
    if profile is None:
        abort(404)
    described = f"“{profile.name}” counted on {profile.as_of:%-d %B %Y}"
    membership.delete_profile(profile)
    flash(f"Deleted the membership profile {described}.")
    return redirect(url_for("admin.membership_profiles"))
