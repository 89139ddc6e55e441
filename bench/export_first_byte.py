"""The whole-survey exports' first byte, through the real views: `python -m bench.export_first_byte`.

A SQLite database (kept between runs in --folder) with one closed ai-at-work survey of N demo
responses (demo.add_responses, seed 1); an administrator signed in through the real
pages (password and one-time code); then each whole-survey download is read as a browser reads
it, chunk by chunk, timing the first byte, the longest wait between chunks and the last byte.
Cold: each download starts in a fresh process, so no results are cached from an earlier one.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

URLS = {
    "xlsx": "/organise/surveys/{id}/exports/survey.xlsx",
    "csv-results": "/organise/surveys/{id}/exports/results.csv",
    "csv-responses-by-group": "/organise/surveys/{id}/exports/responses-by-group.csv",
}


def _app(folder: Path):
    from flask_migrate import upgrade

    from survey import create_app
    from survey.config import TestConfig

    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}"})
    with app.app_context():
        upgrade()
    return app


def build(folder: Path, n: int) -> None:
    """Make the database once: the survey, its responses, an administrator with a second factor."""
    import demo
    from survey.extensions import db
    from survey.models import Role, Survey, SurveyStatus
    from tests.factories import make_survey, make_user

    app = _app(folder)
    survey = make_survey(
        app, "bench", app.extensions["questionnaires"]["ai-at-work"], status=SurveyStatus.CLOSED, threshold=10
    )
    with app.app_context():
        demo.add_responses(db.session.get(Survey, survey.id), n, 1)
    make_user(app, "ada@example.org", Role.ADMIN)
    (folder / "survey.json").write_text(json.dumps({"id": survey.id, "responses": n}))


def measure(folder: Path, kind: str) -> dict:
    """Download one file through the view and time its chunks."""
    from tests.staff import sign_in

    app = _app(folder)
    survey = json.loads((folder / "survey.json").read_text())
    client = app.test_client()
    assert sign_in(client, app, "ada@example.org").status_code == 302
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    response = client.get(URLS[kind].format(id=survey["id"]), buffered=False)
    chunks = iter(response.response)
    first = None
    gaps, size, last = [], 0, started
    for chunk in chunks:
        now = time.perf_counter()
        if first is None and chunk:
            first = now - started
        gaps.append(now - last)
        last = now
        size += len(chunk)
    response.close()
    after = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "file": kind,
        "responses": survey["responses"],
        "status": response.status_code,
        "first_byte_s": round(first or 0, 3),
        "longest_gap_s": round(max(gaps[1:] or [0]), 1),
        "last_byte_s": round(last - started, 1),
        "cpu_s": round(after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime, 1),
        "chunks": len(gaps),
        "bytes": size,
        "load_average": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/export-first-byte"))
    parser.add_argument("--file", choices=sorted(URLS), action="append")
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    if not (args.folder / "survey.json").exists():
        started = time.perf_counter()
        build(args.folder, args.responses)
        print(f"built {args.responses} responses in {time.perf_counter() - started:.0f} s", flush=True)
    for kind in args.file or sorted(URLS):
        if len(args.file or URLS) == 1:
            print(json.dumps(measure(args.folder, kind)), flush=True)
        else:  # a fresh process each: nothing cached from the previous download
            command = [sys.executable, "-m", "bench.export_first_byte", *sys.argv[1:], "--file", kind]
            os.spawnv(os.P_WAIT, sys.executable, command)


if __name__ == "__main__":
    main()
