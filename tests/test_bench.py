"""The benchmark harness still works, and its counts match its references (never its timings).

`python -m bench.run --tiny` runs every phase of `make bench` on 2,000 demo responses in a
temporary SQLite database: the demo fill, the results path against numpy (and DuckDB when
installed), gunicorn with gunicorn.conf.py under closed and open loops, page weights, a batch
release and the export. This test reads what it wrote and checks counts only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from survey.core.submissions import LIVE_STEP_MINIMUM  # S for the demo survey (k = 10)

from .helpers import ROOT


def test_tiny_bench_runs_and_its_counts_match_the_references(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SURVEY_ENV", "BENCH_DATABASE_URL")}
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--tiny", "--out", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (report_path,) = tmp_path.glob("*-sqlite-2k.json")
    assert report_path.with_suffix(".md").exists()
    report = json.loads(report_path.read_text())
    assert "viewer" not in report["data"]  # the demo viewer's password is never written down

    # The results engine's published counts equal a plain recount in numpy, and numpy DuckDB's.
    results = report["results"]
    assert results["n"] == 2000
    checks = results["checks"]
    assert checks["compared"] > 20 and checks["mismatches"] == 0 and checks["total_matches"] is True
    if report["machine"]["duckdb"]:
        assert checks["duckdb_mismatches"] == 0
    assert results["dashboard"]["questions"] == 3

    # The write path ran through gunicorn: journeys completed, every prepared submit stored once,
    # one response row per response, no server errors.
    write = report["write"]
    assert write["journeys"]["completed"] > 0 and write["journeys"]["server_errors"] == 0
    assert write["journeys"]["requests_per_journey"] > 30  # every page: GET and POST each
    assert write["submit_alone"]["completed"] == 20 and write["submit_alone"]["failed"] == 0
    assert all(p["completed"] >= 3 and p["failed"] == 0 and p["server_errors"] == 0 for p in write["open_loop"])
    assert write["rows_per_response"] == 1.0
    # Submissions wait, then enter `response` in a live release once 2S wait (ADR 0020): with 2S
    # sent, a release must have happened; a busy machine may send fewer in the smoke run's seconds.
    released = write["net_rows_added_per_response_by_table"].get("response", 0)
    assert released > 0 or write["submits"] < 2 * LIVE_STEP_MINIMUM, write["submits"]
    assert write["noop"]["completed"] > 0

    # Page weights: member pages send no script; the chart's bundle comes only with the chart.
    pages = {p["page"].split(" (")[0]: p for p in report["page_weight"]}
    assert pages["member first page"]["script_tags"] == 0 and pages["thank you"]["script_tags"] == 0
    assert any(a["path"].endswith(".css") for a in pages["member first page"]["assets"])
    assert any("plotly" in a["path"] for p in report["page_weight"] for a in p["assets"])

    assert report["batch_to_visible"]["visible"] is True
    export = report["export"]
    if export["status"] == "measured":
        assert export["rows"] == export["released"] == 2010  # 2,000 + the batch of 10 released above
