"""The demo's membership profile: a plausible union of 1.3 million members, counted by service
group, region, age and sex (demo/membership.csv), so that the results demo can compare who
answered with the membership. Against the demo's answers, London and the young are a little
under-represented, and local government a little under-represented against health."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from survey.core import membership
from survey.models import MembershipProfile

PROFILE = Path(__file__).with_name("membership.csv")
NAME = "Demo membership (synthetic)"
AS_OF = date(2026, 10, 31)


def add_membership_profile() -> MembershipProfile | None:
    """Store the demo profile unless a profile is already stored; return it (None: one was there)."""
    if membership.latest_profile() is not None:
        return None
    return membership.store_profile("command line", NAME, AS_OF, PROFILE.read_bytes(), PROFILE.name)
