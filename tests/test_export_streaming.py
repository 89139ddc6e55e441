"""The response-level export written fast (issue 7): CSV lines joined without the csv module when
no cell needs quoting, the database read a partition ahead on a second thread. The file must be
the csv module's, byte for byte, whatever the answers hold; a cancelled download or a read error
must leave no reader behind and the connection usable."""

from __future__ import annotations

import csv
import io
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from survey.exports import responses as response_export
from survey.extensions import db
from survey.models import Response, Role, Survey
from survey.spreadsheets import csv_chunks

from .factories import TINY, insert_responses, make_survey, make_user, random_records
from .journey import csrf_token
from .staff import sign_in

# Cells the fast path must pass to the writer, or write as the writer would.
AWKWARD = st.sampled_from(["", " ", ",", '"', "\r", "\n", "a,b", 'say "hi"', "x\r\ny", "=1+1", "-3", "ünï ✓", "a;b"])
CELLS = AWKWARD | st.text() | st.none() | st.integers() | st.floats(allow_nan=False) | st.booleans()


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.lists(CELLS, max_size=6), max_size=30), chunk=st.integers(1, 8))
def test_prepared_rows_make_the_csv_modules_file(rows, chunk):
    """Any rows, any widths (none, one cell, several), any mix of text, numbers and None."""
    expected = io.StringIO()
    writer = csv.writer(expected)
    writer.writerow(["h", "'=h"])
    writer.writerows(rows)
    assert "".join(csv_chunks(("h", "=h"), iter(rows), chunk, prepared=True)) == "\ufeff" + expected.getvalue()


def _released(app, survey_id: int) -> list[Response]:
    with app.app_context():
        return db.session.scalars(
            select(Response).where(Response.survey_id == survey_id, ~Response.withdrawing).order_by(Response.id)
        ).all()


def _plain_file(survey: Survey, stored: list[Response]) -> str:
    """The response-level CSV made the plain way: each stored response's answers looked up by key,
    lists joined, every text cell made inert by csv_chunks itself, in the order of the ids' hex."""
    keys = response_export.answer_columns(survey)
    version = f"{survey.questionnaire_version.slug} v{survey.questionnaire_version.version}"
    rows = [
        [r.language, version, *(";".join(v) if isinstance(v, list) else v for v in map(r.answers.get, keys))]
        for r in sorted(stored, key=lambda r: r.id.hex)
    ]
    return "".join(csv_chunks((*response_export.FIXED_COLUMNS, *keys), rows))


ODD_ANSWERS = [
    {"ai_detail": 'Monitoring, rotas, and "productivity" scores\r\nsecond line', "team": "=HYPERLINK(1)"},
    {"years": 0, "team": "", "monitoring": []},
    {"years": 2.5, "monitoring": ["cctv", "keystrokes"], "team": "-3"},
    {"years": 12, "ai_detail": "-1+1, said the manager", "team": "@SUM(1)"},
    {"team": "line\nbreak only", "ai_detail": "tab\tinside"},
    {"monitoring": None, "team": None, "years": None, "group": None},  # stored as null
    {},
]


@pytest.mark.parametrize("read_chunk", [1, 3, 1000])
def test_the_download_is_the_plain_files_bytes_on_awkward_answers(app, client, monkeypatch, read_chunk):
    """Through the view: awkward answers (commas, quotes and line breaks in text, formulas,
    numbers stored as numbers and as text, an empty list, nothing at all), among random ones,
    read in partitions of 1, 3 and 1000 rows; the file is the plain way's, byte for byte."""
    monkeypatch.setattr(response_export, "READ_CHUNK", read_chunk)
    survey = make_survey(app, threshold=5)
    records = random_records(TINY, 60, 8)
    insert_responses(app, survey, [(answers, language) for answers, language, _ in records], batch=1)
    insert_responses(app, survey, [(answers, "cy") for answers in ODD_ANSWERS * 3], batch=2)
    make_user(app, "ada@example.org", Role.ADMIN)
    sign_in(client, app, "ada@example.org")
    url = f"/organise/surveys/{survey.id}/exports/responses"
    download = client.post(url, data={"csrf_token": csrf_token(client.get(url).text)})
    assert download.status_code == 200
    body = download.get_data(as_text=True)
    with app.app_context():
        expected = _plain_file(db.session.get(Survey, survey.id), _released(app, survey.id))
    assert body == expected
    assert body.count('"') > 0 and ",," in body  # quoted cells and missing answers were met
    assert len(list(csv.reader(io.StringIO(body, newline="")))) == 1 + 60 + 3 * len(ODD_ANSWERS)


def _readers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "response-export-reader" and t.is_alive()]


def test_a_stopped_export_leaves_no_reader_and_its_cursor_closed(app):
    """Stopped after a few rows (a cancelled download), the export's reader thread has ended and
    its cursor is closed: the same transaction can run the export again (on PostgreSQL a named
    cursor left open would make the second one fail), and in full."""
    survey = make_survey(app, threshold=5)
    insert_responses(app, survey, [({"team": f"team {i}"}, "en") for i in range(50)], batch=1)
    teams = [r.answers["team"] for r in sorted(_released(app, survey.id), key=lambda r: r.id.hex)]
    with app.app_context():
        survey = db.session.get(Survey, survey.id)
        keys = response_export.answer_columns(survey)
        column = len(response_export.FIXED_COLUMNS) + keys.index("team")
        rows = response_export.response_rows(survey, keys, 1)
        first = [next(rows) for _ in range(3)]
        assert _readers()
        rows.close()
        assert not _readers()
        again = list(response_export.response_rows(survey, keys, 1))
        assert again[:3] == first and [row[column] for row in again] == teams
    assert not _readers()


def test_a_read_error_reaches_the_consumer(app, monkeypatch):
    """An error on the reader's side is raised where the rows are consumed, after the rows read
    before it, and the reader has ended."""
    survey = make_survey(app, threshold=5)
    insert_responses(app, survey, [({"team": "x"}, "en")], batch=1)

    def failing(*_args):
        yield [("en", None, '{"team": "before the error"}')]
        raise RuntimeError("the database went away")

    monkeypatch.setattr(response_export, "_driver_partitions", failing)
    with app.app_context():
        survey = db.session.get(Survey, survey.id)
        keys = response_export.answer_columns(survey)
        rows = response_export.response_rows(survey, keys, 1)
        assert next(rows)[len(response_export.FIXED_COLUMNS) + keys.index("team")] == "before the error"
        with pytest.raises(RuntimeError, match="went away"):
            next(rows)
    assert not _readers()


@pytest.mark.postgres
def test_the_export_reads_in_id_order_without_sorting(app):
    """PostgreSQL's export cursor walks ix_response_survey_id_id (migration 0008): rows come in id
    order as they are read, with no sort of every response's answers before the first row, as
    the named cursor plans it, for its first rows. (SQLite sorts: measured faster there.)"""
    survey = make_survey(app, threshold=5)
    insert_responses(app, survey, [({"team": f"team {i}"}, "en") for i in range(20)], batch=1)
    with app.app_context():
        raw = db.session.connection().connection.driver_connection
        values = {"survey": survey.id, "upto": 1}
        with raw.cursor() as cursor:
            cursor.execute("EXPLAIN DECLARE plan_only CURSOR FOR " + response_export.POSTGRESQL_QUERY, values)
            plan = [row[0] for row in cursor]
        db.session.rollback()
    assert any("ix_response_survey_id_id" in line for line in plan), plan
    assert not any("Sort" in line for line in plan), plan
