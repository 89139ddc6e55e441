"""Issue 15's measure of what the results engine leaves out, on the demo, through the engine itself.

For every single-choice and scale question broken down by service group, sector, region, contract
and workplace (the tables the engine answers), count the people in the cells of shown groups
that are not shown (only answers that are themselves groups can be: sector by region, say), the
largest such cell, and the people in groups not shown; all against a plain recount of the
snapshot's columns.

    .venv/bin/python -m bench.withheld --database sqlite:////tmp/demo/demo.db
"""

from __future__ import annotations

import argparse

from sqlalchemy import select

from survey import create_app, results
from survey.config import Config
from survey.extensions import db
from survey.models import Survey
from survey.results.cache import snapshot_for
from survey.results.dimensions import NO_ANSWER

DIMENSIONS = ("A1", "A2", "A5", "A6", "A7")  # service group, sector, region, contract, workplace


def measure(survey) -> dict:
    """Return the people in withheld cells of shown groups, in groups not shown, and the largest withheld cell."""
    snapshot = snapshot_for(survey)
    questionnaire = survey.questionnaire
    counted = in_hidden_cells = in_hidden_groups = largest = tables = 0
    for question in (q for q in questionnaire.questions if q.type in ("single", "scale")):
        for by in DIMENSIONS:
            table = results.question_table(survey, question.id, by)
            if table.refused or question.id == by:
                continue
            tables += 1
            answers, groups = snapshot.categorical[question.id], snapshot.categorical[by]
            codes, group_codes = snapshot.codes(question.id), snapshot.codes(by)
            shown = {g.code for g in table.groups[1:] if not g.suppressed}
            for group in table.groups[1:]:
                index = -1 if group.code == NO_ANSWER else group_codes.index(group.code)
                members = (answers >= 0) & (groups == index)
                size = int(members.sum())
                counted += size
                if group.code not in shown:
                    in_hidden_groups += size
                    continue
                for cell in (c for c in table.cells if c.group == group.code and c.suppressed):
                    true = int((members & (answers == codes.index(cell.option))).sum())
                    in_hidden_cells += true
                    largest = max(largest, true)
    return {
        "tables": tables,
        "people counted": counted,
        "in withheld cells of shown groups": in_hidden_cells,
        "share in withheld cells": round(100 * in_hidden_cells / counted, 3),
        "largest withheld cell": largest,
        "in groups not shown": in_hidden_groups,
        "share in groups not shown": round(100 * in_hidden_groups / counted, 3),
    }


def main() -> None:
    """Measure the demo's results survey in a database and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="SQLAlchemy URL of a database made by `flask demo`")
    args = parser.parse_args()
    app = create_app(Config, {"SQLALCHEMY_DATABASE_URI": args.database})
    with app.app_context():
        survey = db.session.scalar(select(Survey).where(Survey.slug == app.config["DEMO_RESULTS_SLUG"]))
        for name, value in measure(survey).items():
            print(f"{name}: {value:,}" if isinstance(value, int) else f"{name}: {value}")


if __name__ == "__main__":
    main()
