"""Synthetic demo responses: seeded, realistic, correlated, with planted equality differences.

`flask --app wsgi demo --responses N --seed S` adds N released responses to the demo survey, so
that a newcomer's dashboards, breakdowns and equality flags have something to show and the
benchmarks have a union-sized survey (issues 5 and 7). The same seed and count give the same
answers; response ids are always fresh and random.

A tool beside the app, not part of it: the app never imports this package while serving (only
the `flask demo` command does, when asked for responses), and it needs numpy.

- `demo.planted`: the differences planted for the equality flags to find, and a plain check.
- `demo.tables`: the answer model's weights (who answers, and how) and free text.
- `demo.draws`: vectorised draws and the recording of each kind of question.
- `demo.answers`: the questionnaire, section by section, and the generator.
- `demo.membership`: the demo's membership profile (demo/membership.csv), for who answered
  against the membership.
- `demo.waves`: the results demo's earlier wave ("2025"), with planted changes to compare.
- `demo.database`: writing the rows (executemany on SQLite, COPY on PostgreSQL), the daily
  counts and the stored results snapshot.

Fast: answers are drawn column by column with numpy; each answer set's JSON is glued from
pre-rendered fragments with one str.join, and rows go in a transaction per chunk.

Valid: every draw follows the questionnaire's routing, and tests/test_demo.py puts generated
answer sets through clean_answers() and the member's own page reader.
"""

from .answers import CHUNK, answer_sets, generate
from .database import BASE_COLUMNS, DAYS, Added, add_responses, count_days
from .membership import add_membership_profile
from .planted import PLANTED, Planted, planted_shares
from .waves import PLANTED_CHANGES, REWORDED, PlantedChange, add_earlier_wave

__all__ = [
    "BASE_COLUMNS",
    "CHUNK",
    "DAYS",
    "PLANTED",
    "PLANTED_CHANGES",
    "REWORDED",
    "Added",
    "Planted",
    "PlantedChange",
    "add_earlier_wave",
    "add_membership_profile",
    "add_responses",
    "answer_sets",
    "count_days",
    "generate",
    "planted_shares",
]
