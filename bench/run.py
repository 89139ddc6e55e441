"""Run the benchmark: `python -m bench.run [--responses N] [--database-url URL]` (make bench).

1. A fresh database (SQLite in a temporary folder, or BENCH_DATABASE_URL — never `test`), the
   real migrations, then `flask demo --responses N --seed 1`, timed.
2. The results path in this process, against numpy and DuckDB on the same rows.
3. The write path through gunicorn with gunicorn.conf.py (production settings on PostgreSQL):
   no-op capacity, journey capacity, submit-only capacity, open-loop latency at 25/50/90% of
   journey capacity; then page weights, dashboards over HTTP and each worker's peak memory;
   then the same capacities again with the server on core 1 and the generator on core 0.
4. A released batch's time to visible, and the streamed export if survey/exports exists.
Writes bench/results/<date>-<db>.md and .json.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


# --- the database ------------------------------------------------------------------------------


def reset_database(url: str) -> None:
    """Start from an empty database: drop and recreate PostgreSQL's public schema."""
    import sqlalchemy as sa

    if url.startswith("postgresql"):
        name = sa.engine.make_url(url).database
        if name in ("test", "postgres", None):
            raise SystemExit(f"refusing to benchmark in the database {name!r}: use your own (e.g. bench)")
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()


def flask(env: dict, *args: str) -> tuple[str, float]:
    started = time.perf_counter()
    done = subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "wsgi", *args], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout, time.perf_counter() - started


def fill(env: dict, url: str, n: int) -> dict:
    """Migrate, then fill the results demo with n responses through the real command."""
    reset_database(url)
    flask(env, "db", "upgrade")
    output, wall = flask(env, "demo", "--responses", str(n), "--seed", "1")
    took = re.search(r"in ([\d.]+) s", output)
    viewer = re.search(r"Demo viewer .*: (\S+) / (\S+)", output)
    return {
        "responses": n,
        "command_s": float(took.group(1)) if took else None,
        "wall_s": round(wall, 1),
        "rows_per_s": round(n / float(took.group(1))) if took else None,
        "viewer": (viewer.group(1), viewer.group(2)) if viewer else None,
    }


def database_size(url: str) -> int | None:
    import sqlalchemy as sa

    if url.startswith("sqlite"):
        path = Path(sa.engine.make_url(url).database)
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        size = connection.execute(sa.text("SELECT pg_total_relation_size('response')")).scalar()
    engine.dispose()
    return size


# --- the machine -------------------------------------------------------------------------------


def machine(url: str) -> dict:
    import gunicorn
    import numpy
    import sqlalchemy as sa

    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    info = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu": next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "?"),
        "cores": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "load_average_at_start": os.getloadavg(),
        "python": platform.python_version(),
        "flask": importlib.metadata.version("flask"),
        "sqlalchemy": sa.__version__,
        "numpy": numpy.__version__,
        "gunicorn": gunicorn.__version__,
    }
    try:
        import duckdb

        info["duckdb"] = duckdb.__version__
    except ImportError:
        info["duckdb"] = None
    import sqlite3

    info["sqlite"] = sqlite3.sqlite_version
    if url.startswith("postgresql"):
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.connect() as connection:
            info["postgresql"] = connection.execute(sa.text("SHOW server_version")).scalar()
            info["postgresql_settings"] = {
                name: connection.execute(sa.text(f"SHOW {name}")).scalar()
                for name in ("shared_buffers", "synchronous_commit", "max_connections", "work_mem", "jit")
            }
        engine.dispose()
    info["commit"] = _git("rev-parse", "--short", "HEAD")
    info["uncommitted_changes"] = bool(_git("status", "--porcelain"))
    return info


def _git(*args: str) -> str | None:
    """Read-only git queries: which commit was measured, and whether the tree had changes."""
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


# --- the server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn -c gunicorn.conf.py bench.wsgi:app, optionally pinned to some cores."""

    def __init__(self, env: dict, workdir: Path, cores: str | None = None):
        self.port = free_port()
        self.log_path = workdir / f"gunicorn-{self.port}.log"
        command = [str(VENV_BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "bench.wsgi:app"]
        if cores is not None and shutil.which("taskset"):
            command = ["taskset", "-c", cores, *command]
        self.log_file = open(self.log_path, "w")  # noqa: SIM115  (closed by stop())
        self.process = subprocess.Popen(
            command,
            env={**env, "BIND": f"127.0.0.1:{self.port}"},
            cwd=ROOT,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
            if self.process.poll() is not None:
                break
        self.stop()
        raise SystemExit(f"gunicorn did not start:\n{self.log_path.read_text()[-3000:]}")

    def workers(self) -> list[int]:
        found = []
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            children = (task / "children").read_text().split()
            found += [int(c) for c in children]
        return found  # taskset execs gunicorn in its own process: the pid is the master's

    def worker_memory_mb(self) -> list[dict]:
        """Return each worker's resident memory now, its peak (VmHWM), and its proportional share (PSS).

        RSS and the peak count every page a worker maps, the pages it shares with the master and
        the other workers (the preloaded app) included; PSS divides each shared page among the
        processes sharing it, so the workers' PSS add up to what they take from the machine.
        """
        out = []
        for pid in self.workers():
            fields = {}
            try:
                status = Path(f"/proc/{pid}/status").read_text()
                rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            except OSError:
                continue
            for line in (status + rollup).splitlines():
                name, _, value = line.partition(":")
                fields.setdefault(name, value)
            out.append(
                {
                    "pid": pid,
                    "rss_mb": round(int(fields["VmRSS"].split()[0]) / 1024, 1),
                    "peak_mb": round(int(fields["VmHWM"].split()[0]) / 1024, 1),
                    "pss_mb": round(int(fields["Pss"].split()[0]) / 1024, 1) if "Pss" in fields else None,
                }
            )
        return out

    def stop(self) -> str:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log_file.close()
        return self.log_path.read_text()


# --- the write path ----------------------------------------------------------------------------


def page_sets(questionnaire, count: int) -> list[dict[str, list[tuple[str, str]]]]:
    """Form fields per page for `count` realistic members (the demo's generator, English only)."""
    import demo
    from survey.questionnaire.answers import page_values

    sets = []
    for answers, language in demo.answer_sets(questionnaire, count, seed=7):
        if language != "en":
            continue
        sets.append(
            {
                section.id: [(k, v) for k, values in page_values(section, answers).items() for v in values]
                for section in questionnaire.sections
            }
        )
    return sets


def prepare_submits(app, slug: str, sets: list, count: int, host: str, port: int) -> list:
    """Make `count` members with a complete draft, each holding the check-answers form, ready to send.

    Drafts are written in this process with the app's own service (start_draft, save_answers);
    each member's session cookie is signed with the server's secret, then one untimed GET of
    Check your answers gives the CSRF token and submit key. Only the POST is timed.
    """
    from sqlalchemy import select

    from survey.core import codes, drafts
    from survey.extensions import db
    from survey.models import Survey

    from .client import SUBMIT_KEY, csrf
    from .load import new_client

    serializer = app.session_interface.get_signing_serializer(app)
    prepared = []
    with app.app_context():
        survey = db.session.scalar(select(Survey).where(Survey.slug == slug))
        questionnaire = survey.member_questionnaire
        first = questionnaire.sections[0]
        import demo

        answer_sets = [a for a, language in demo.answer_sets(questionnaire, count * 2, seed=11) if language == "en"]
        for answers in answer_sets[:count]:
            secret = codes.new_resume_code()
            drafts.start_draft(survey, secret, "en")
            drafts.save_answers(survey, secret, first, answers, "en")
            client = new_client(host, port)
            client.cookies["session"] = serializer.dumps(
                {"drafts": {slug: {"secret": secret, "invited": False}}, "_permanent": True}
            )
            html = client.get("check_get", f"/s/{slug}/check-answers")
            key = SUBMIT_KEY.search(html)
            client.form = [("csrf_token", csrf(html)), ("submit_key", key.group(1) if key else "")]
            client.samples.clear()
            prepared.append(client)
    return prepared


def write_path(app, env: dict, workdir: Path, args, report: dict) -> None:
    from sqlalchemy import func, select

    from survey.extensions import db
    from survey.models import PendingSubmission, Response, Survey

    from . import load, weights
    from .client import SUBMITTED, journey

    slug = app.config["DEMO_SURVEY_SLUG"]
    questionnaire = app.extensions["questionnaires"]["ai-at-work"]
    sets = page_sets(questionnaire, 600 if args.tiny else 3000)

    def stored() -> int:
        with app.app_context():
            survey_id = db.session.scalar(select(Survey.id).where(Survey.slug == slug))
            count = db.session.scalar(select(func.count()).select_from(Response).where(Response.survey_id == survey_id))
            waiting = db.session.scalar(
                select(func.count()).select_from(PendingSubmission).where(PendingSubmission.survey_id == survey_id)
            )
            db.session.remove()
            return count + waiting

    def all_rows() -> dict[str, int]:
        import sqlalchemy as sa

        with app.app_context():
            names = sa.inspect(db.engine).get_table_names()
            found = {n: db.session.execute(sa.text(f'SELECT count(*) FROM "{n}"')).scalar() for n in names}
            db.session.remove()
            return found

    rows_before = stored()
    write: dict = {"concurrency": args.concurrency, "seconds": args.seconds}
    report["write"] = write
    submits_before = SUBMITTED.value
    tables_before = all_rows()

    server = Server(env, workdir)
    host, port = "127.0.0.1", server.port
    try:
        # warm every worker: each loads templates and questionnaires on its first requests
        warm = warm_up(host, port, slug, sets, min(6, 2 * args.seconds))
        log(f"server up on :{port}, {len(server.workers())} workers; warm-up {warm} journeys")
        pages_per = []

        def one_journey(client) -> int:
            pages_per.append(journey(client, slug, sets[len(pages_per) % len(sets)]))
            return 1

        def capacities(host: str, port: int) -> tuple:
            """The no-op, then complete journeys, each in a closed loop against one server."""
            pages_per.clear()

            def new_client():
                return load.new_client(host, port)

            noop = load.closed_loop("noop", lambda c: _noop(c), new_client, args.concurrency, args.seconds / 2, 1)
            journeys = load.closed_loop(
                "journeys", one_journey, new_client, args.concurrency, args.seconds, 2, fresh=True
            )
            return noop, journeys

        noop, capacity = capacities(host, port)
        write["noop"] = noop.summary()
        log(f"no-op: {noop.rate:,.0f} req/s (generator CPU {noop.generator_cpu:.2f})")
        write["journeys"] = capacity.summary()
        write["journeys"]["requests_per_journey"] = round(len(capacity.samples) / max(capacity.done, 1), 1)
        write["journeys"]["pages_per_journey"] = round(sum(pages_per) / max(len(pages_per), 1), 1)
        write["journeys"]["latency_by_kind_ms"] = {
            kind: capacity.latency([kind])
            for kind in ("start", "begin", "page_get", "page_post", "check_get", "submit", "thank_you")
        }
        log(f"journeys: {capacity.rate:.1f}/s, {len(capacity.samples) / capacity.seconds:.0f} req/s")

        prepared = prepare_submits(app, slug, sets, args.submits, host, port)

        def send(client):
            location = client.post("submit", f"/s/{slug}/check-answers", client.form)
            if not location.endswith("/thank-you"):
                raise load.Failed(f"submit led to {location}")
            SUBMITTED.add()
            client.close()
            return client

        alone = load.drain("submit", prepared, send, args.concurrency)
        write["submit_alone"] = alone.summary()
        write["submit_alone"]["ratio_to_noop"] = round(alone.rate / noop.rate, 3) if noop.rate else None
        log(f"submit alone: {alone.rate:.0f}/s = {alone.rate / noop.rate:.2f} of the no-op")

        write["open_loop"] = []
        for share in (0.25, 0.5, 0.9):
            rate = max(capacity.rate * share, 0.2)
            phase = load.open_loop(f"open {share:.0%}", host, port, slug, sets, rate, args.seconds)
            summary = phase.summary()
            summary.update({"share_of_capacity": share, "arrivals_per_second": round(rate, 2)})
            summary["latency_by_kind_ms"] = {k: phase.latency([k]) for k in ("page_get", "page_post", "submit")}
            write["open_loop"].append(summary)
            log(f"open loop {share:.0%} ({rate:.1f}/s): {summary['latency_ms']}, errors {summary['server_errors']}")

        client = load.new_client(host, port)
        report["page_weight"] = weights.member_pages(client, slug, sets[0])
        results_id = report["results"]["survey_id"]
        viewer = report["data"]["viewer"]
        staff = load.new_client(host, port)
        staff.timeout = 30
        if viewer:
            weights.sign_in(staff, *viewer)
            try:
                report["page_weight"] += weights.dashboard_pages(staff, results_id, "C1", args.weight_by)
            except (load.Failed, OSError) as error:
                report["page_weight_dashboard_error"] = f"{type(error).__name__}: {error}"
                log(f"dashboard page weights failed: {error}")
            staff.close()
            report["dashboards_http"] = dashboards_http(staff, results_id, server, args.by)
        write["worker_memory"] = server.worker_memory_mb()
    finally:
        server_log = server.stop()
    write["database_is_locked"] = server_log.count("database is locked")
    write["server_log_errors"] = len(re.findall(r"\[ERROR\]|Traceback", server_log))
    write["server_log_error_lines"] = [
        line[:300] for line in server_log.splitlines() if "[ERROR]" in line or "Error" in line
    ][:10]
    rows_after = stored()
    submits_ok = SUBMITTED.value - submits_before
    tables_after = all_rows()
    write["rows_per_response"] = round((rows_after - rows_before) / submits_ok, 3) if submits_ok else None
    write["submits"] = submits_ok
    write["net_rows_added_per_response_by_table"] = {
        name: round((tables_after[name] - tables_before.get(name, 0)) / submits_ok, 3)
        for name in tables_after
        if submits_ok and tables_after[name] != tables_before.get(name, 0)
    }

    if not args.no_pinned and (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, {0})  # this thread, and the generator threads it starts: core 0
        pinned = Server(env, workdir, cores="1")
        host, port = "127.0.0.1", pinned.port
        try:
            warm_up(host, port, slug, sets, min(6, 2 * args.seconds))
            noop, capacity = capacities(host, port)
            write["pinned"] = {
                "how": "gunicorn (master and workers) on core 1 by taskset; load generator on core 0; "
                "the database server unpinned",
                "noop": noop.summary(),
                "journeys": capacity.summary(),
            }
            log(f"pinned: no-op {noop.rate:,.0f} req/s, journeys {capacity.rate:.1f}/s")
        finally:
            pinned_log = pinned.stop()
            os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
        write["database_is_locked"] += pinned_log.count("database is locked")


def warm_up(host: str, port: int, slug: str, sets: list, seconds: float = 6) -> int:
    """Journeys until each worker has served the survey a few times.

    A worker's first member page parses the survey's pinned questionnaire (about a second on this
    box) and compiles the templates: measured apart, never inside a capacity window.
    """
    from . import load
    from .client import journey

    def one(client) -> int:
        journey(client, slug, sets[0])
        return 1

    done = 0
    for _ in range(8):  # until 8 journeys end inside one window (each worker warm), or 8 windows
        phase = load.closed_loop("warm", one, lambda: load.new_client(host, port), 8, seconds, 0, fresh=True)
        done += phase.done
        if phase.done >= 8:
            break
    load.closed_loop("warm", _noop, lambda: load.new_client(host, port), 8, 1, 0)
    return done


def _noop(client) -> int:
    client.get("noop", "/_bench/noop")
    return 1


def dashboards_http(staff, survey_id: int, server: Server, by: str) -> dict:
    """Warm dashboard pages through gunicorn (each worker builds its own snapshot first)."""
    import statistics

    base = f"/organise/surveys/{survey_id}/results"
    paths = {
        "overview": f"{base}/",
        "question_by_sector": f"{base}/q/C1?by={by}",
        "question_by_age_one_filter": f"{base}/q/C1?by=L1&filter=A5:north_west",
        "chart_json": f"{base}/q/C1/chart.json?by={by}",
    }
    out = {}
    first = []
    for _ in range(len(server.workers()) * 3):  # reach every worker (and thread) at least once
        started = time.perf_counter()
        try:
            staff.get("dash", paths["overview"])
        except Exception as error:
            out.setdefault("first_view_errors", []).append(f"{type(error).__name__}: {error}")
        first.append((time.perf_counter() - started) * 1000)
        staff.close()  # a new connection may land on another worker
    out["first_views_ms"] = [round(x, 1) for x in first[: len(server.workers())]]
    for name, path in paths.items():
        times = []
        try:
            for _ in range(10):
                started = time.perf_counter()
                staff.get("dash", path)
                times.append((time.perf_counter() - started) * 1000)
        except Exception as error:  # a worker killed by gunicorn's timeout, say: record it, go on
            out[name] = {"error": f"{type(error).__name__}: {error}", "after_ms": round(time.perf_counter() - started)}
            staff.close()
            continue
        out[name] = {"median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1)}
    return out


# --- export ------------------------------------------------------------------------------------


def export(app, survey_id: int) -> dict:
    """Measure a streamed export of every response, if survey/exports exists."""
    if not (ROOT / "survey" / "exports").exists():
        return {"status": "not built"}
    try:
        from . import export_bench

        return export_bench.measure(app, survey_id)
    except Exception as error:  # an export module in progress: report, do not fail the run
        return {"status": f"present but not measured: {type(error).__name__}: {error}"}


# --- main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--seconds", type=float, default=20, help="length of each load phase")
    parser.add_argument("--concurrency", type=int, default=16, help="simulated members in the closed loops")
    parser.add_argument("--submits", type=int, default=1500, help="prepared drafts for the submit-alone phase")
    parser.add_argument("--repeat", type=int, default=20, help="repeats of each warm results figure")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--tiny", action="store_true", help="a smoke run for the test suite")
    parser.add_argument("--by", default="A2", help="the breakdown of the crosstab and full dashboard (sector)")
    parser.add_argument("--filter", default="A5:north_west", help="the one filter, dimension:code")
    parser.add_argument("--weight-by", default="A6", help="breakdown of the dashboard page weighed (few groups)")
    parser.add_argument("--budget", type=float, default=120, help="seconds a results figure's first call may take")
    parser.add_argument("--dashboard-limit", type=int, help="only the first N questions in the full dashboard")
    parser.add_argument("--no-pinned", action="store_true", help="skip the pinned (per-core) pass")
    parser.add_argument("--no-write", action="store_true", help="skip the write path (no server)")
    args = parser.parse_args(argv)
    if args.tiny:  # the test's smoke run: small, short, and with breakdowns that stay quick when small
        args.responses, args.seconds, args.submits, args.concurrency = 2000, 2, 20, 4
        args.by, args.filter, args.dashboard_limit, args.no_pinned = "A6", "B1:use_me", 3, True
        args.weight_by = "A6"

    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    kind = "postgresql" if url.startswith("postgresql") else "sqlite"
    secret = secrets.token_urlsafe(48)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": secret,
        "PROXY_COUNT": "1",
        "FLASK_APP": "wsgi",
        "PYTHONPATH": str(ROOT),
        "SNAPSHOT_DIR": str(workdir / "snapshots"),  # the shared snapshot files of this run only
    }
    env.pop("SURVEY_ENV", None)
    os.environ.update({"DATABASE_URL": url, "SECRET_KEY": secret, "SNAPSHOT_DIR": env["SNAPSHOT_DIR"]})
    report: dict = {"database": kind, "machine": machine(url), "args": {k: str(v) for k, v in vars(args).items()}}
    log(f"{kind}: {args.responses:,} responses; work in {workdir}")

    report["data"] = fill(env, url, args.responses)
    report["data"]["database_bytes"] = database_size(url)
    log(f"demo fill: {report['data']['command_s']} s ({report['data']['rows_per_s']:,} rows/s)")

    from sqlalchemy import select

    from survey import create_app
    from survey.config import Config
    from survey.extensions import db
    from survey.models import Survey

    from . import results_path

    results_path.BUDGET[0] = args.budget
    app = create_app(Config, {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        survey = db.session.scalar(select(Survey).where(Survey.slug == app.config["DEMO_RESULTS_SLUG"]))
        dimension, _, code = args.filter.partition(":")
        report["results"] = results_path.measure(
            survey, 1 if args.tiny else args.repeat, log, args.by, {dimension: code}, args.dashboard_limit
        )
        report["results"]["survey_id"] = survey.id
        report["results"]["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        db.session.remove()

    server_env = dict(env)
    if kind == "postgresql":
        server_env["SURVEY_ENV"] = "production"  # production settings: refused on SQLite
    if not args.no_write:
        write_path(app, server_env, workdir, args, report)

    with app.app_context():
        survey = db.session.scalar(select(Survey).where(Survey.slug == app.config["DEMO_RESULTS_SLUG"]))
        report["batch_to_visible"] = results_path.batch_to_visible(survey, survey.threshold, seed=99)
        report["export"] = export(app, survey.id)
        db.session.remove()
        db.engine.dispose()
    report["machine"]["load_average_at_end"] = os.getloadavg()

    from . import report as reporting

    paths = reporting.write(report, args.out)
    log(f"wrote {', '.join(str(p) for p in paths)}")
    shutil.rmtree(workdir, ignore_errors=True)
    return report


if __name__ == "__main__":
    main()
