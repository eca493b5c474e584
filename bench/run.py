"""``make bench``: a bounded load benchmark of the pupil survey against its floor, plus page
weight and Lighthouse, written to bench/RESULTS.md (raw JSON per run in bench/out/).

Steps: a dedicated PostgreSQL database (``upstream_bench``, dropped and created), migrated
with production-like settings (bench/settings.py); the project's demo plus N open survey
windows with participant cards (bench/setup_data.py); gunicorn with 2 sync workers on a
free 127.0.0.1 port; then, per run, the floor and the pupil flow for ``--duration`` seconds
each with ``--concurrency`` simulated users (order alternates between runs); the database
is checked against what the clients were told (lost and duplicated responses); page weight
with headless Chromium; Lighthouse if it is installed or installable. Every step has a time
limit and gunicorn is stopped in ``finally``; a watchdog ends the whole run after
``--budget`` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from statistics import median

import httpx
import psycopg

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
sys.path.insert(0, str(ROOT))

from bench import loadgen, report, wrkload  # noqa: E402
from bench.cpu import CpuProbe  # noqa: E402

PYTHON = sys.executable
# The server runs from a snapshot (bench/out/src): by default the committed HEAD plus the
# current bench/ files, so half-written work in the shared tree cannot break a run.
SRC = OUT / "src"
STATIC_ROOT = OUT / "staticfiles"
DB_NAME = os.environ.get("BENCH_DB_NAME", "upstream_bench")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


class Budget(Exception):
    pass


def log(message: str) -> None:
    print(f"[bench {datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def snapshot(source: str) -> str:
    """Make SRC: ``head`` = git archive of HEAD, ``tree`` = the working tree as it is now.
    bench/ always comes from the working tree. Returns a description for the report."""
    if SRC.exists():
        shutil.rmtree(SRC)
    SRC.mkdir(parents=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    if source != "tree":
        revision = "HEAD" if source == "head" else source
        archive = subprocess.run(["git", "archive", revision], cwd=ROOT, capture_output=True, check=True, timeout=60)
        subprocess.run(["tar", "-x", "-C", str(SRC)], input=archive.stdout, check=True, timeout=60)
        if source == "head":
            described = f"committed HEAD {commit.stdout.strip()}"
        else:
            short = subprocess.run(["git", "rev-parse", "--short", revision], cwd=ROOT, capture_output=True, text=True)
            described = f"commit {short.stdout.strip()}"
    else:
        ignore = shutil.ignore_patterns(".git", ".venv", "node_modules", "__pycache__", "out", "*.sqlite3*", "media")
        for entry in ROOT.iterdir():
            if entry.name in {".git", ".venv", "node_modules", "media", "staticfiles"} or entry.suffix == ".sqlite3":
                continue
            if entry.is_dir():
                shutil.copytree(entry, SRC / entry.name, ignore=ignore)
            else:
                shutil.copy2(entry, SRC / entry.name)
        described = f"working tree on top of {commit.stdout.strip()}"
    if (SRC / "bench").exists():
        shutil.rmtree(SRC / "bench")
    (SRC / "bench").mkdir()
    for path in BENCH.glob("*.py"):
        shutil.copy2(path, SRC / "bench" / path.name)
    return described


def django_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_proxy") and not k.endswith("_PROXY")}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        BENCH_DATABASE_URL=f"{PG}/{DB_NAME}",
        PYTHONPATH=str(SRC),
        BENCH_STATIC_ROOT=str(STATIC_ROOT),
        PYTHONDONTWRITEBYTECODE="1",
    )
    # Production settings refuse to start without a broker URL; the bench sends no task,
    # so the machine's local Redis (a database number of its own) is enough.
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
    return env


def manage(*args: str, timeout: int = 180) -> None:
    subprocess.run([PYTHON, str(SRC / "manage.py"), *args], cwd=SRC, env=django_env(), check=True, timeout=timeout)


# --- Database -------------------------------------------------------------------------


def drop_database() -> None:
    if not DB_NAME.startswith("upstream_bench"):
        raise SystemExit(f"Refusing to drop {DB_NAME!r}: the bench only uses databases named upstream_bench*.")
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [DB_NAME],
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}"')


def migrations_fingerprint() -> str:
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(SRC.glob("*/migrations/*.py")) + [SRC / "bench" / "settings.py"]:
        digest.update(str(path.relative_to(SRC)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def migrated_database() -> str:
    """Create the bench database, migrated. A migrated copy is kept as a template
    (``upstream_bench_tpl_<hash of the migrations>``) so the next run with the same
    migrations clones it in a second instead of migrating for a minute."""
    template = f"{DB_NAME}_tpl_{migrations_fingerprint()}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template]).fetchone()
    if exists:
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{DB_NAME}" TEMPLATE "{template}"')
        return f"cloned from {template}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    manage("migrate", "--no-input", "-v0", timeout=300)
    manage("createcachetable", "-v0")
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        old = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [f"{DB_NAME}_tpl_%"]).fetchall()
        for (name,) in old:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{template}" TEMPLATE "{DB_NAME}"')
    return f"migrated (and kept as {template})"


def collect_static() -> None:
    """collectstatic (with WhiteNoise's compression it takes a while), skipped when the
    static sources and the installed packages are what they were last time."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted((SRC / "static").rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(SRC)).encode())
            digest.update(path.read_bytes())
    freeze = subprocess.run([PYTHON, "-m", "pip", "freeze"], capture_output=True, text=True, timeout=60).stdout
    digest.update(freeze.encode())
    stamp = STATIC_ROOT / ".bench-fingerprint"
    if stamp.exists() and stamp.read_text() == digest.hexdigest():
        return
    manage("collectstatic", "--no-input", "-v0", "--clear", timeout=300)
    stamp.write_text(digest.hexdigest())


def bench_db():
    return psycopg.connect(f"{PG}/{DB_NAME}", autocommit=True)


def create_floor_table() -> None:
    with bench_db() as conn:
        conn.execute(
            "CREATE TABLE bench_floor_response (id bigserial PRIMARY KEY, answers smallint[] NOT NULL,"
            " created_on date NOT NULL)"
        )


def check_floor(acknowledged: list[int], before_max: int) -> dict:
    with bench_db() as conn:
        stored = {row[0] for row in conn.execute("SELECT id FROM bench_floor_response WHERE id > %s", [before_max])}
        bad = conn.execute(
            "SELECT count(*) FROM bench_floor_response WHERE id > %s AND cardinality(answers) <> 34", [before_max]
        ).fetchone()[0]
    acked = set(acknowledged)
    return {
        "db_stored": len(stored),
        "client_acknowledged": len(acknowledged),
        "lost": len(acked - stored),
        "duplicated": len(acknowledged) - len(acked),
        "stored_not_acknowledged": len(stored - acked),
        "incomplete_rows": bad,
    }


def floor_max_id() -> int:
    with bench_db() as conn:
        return conn.execute("SELECT coalesce(max(id), 0) FROM bench_floor_response").fetchone()[0]


def check_pupils(acknowledged: list[str], attempted: list[str], expected_answers: int | None) -> dict:
    """acknowledged: code hashes of the cards whose final submit the server confirmed;
    attempted: every card used in this run (each card is used by one simulated pupil)."""
    with bench_db() as conn:
        rows = conn.execute(
            "SELECT p.code_hash, r.status, r.id, (SELECT count(*) FROM surveys_answer a WHERE a.response_id = r.id)"
            " FROM surveys_response r JOIN surveys_participant p ON p.id = r.participant_id"
            " WHERE p.code_hash = ANY(%s)",
            [attempted],
        ).fetchall()
    completed: dict[str, int] = {}
    conflicts = 0
    per_participant: dict[str, int] = {}
    short = 0
    answer_counts = []
    for code_hash, status, _response_id, answers in rows:
        per_participant[code_hash] = per_participant.get(code_hash, 0) + 1
        if status == "conflict":
            conflicts += 1
        if status == "completed":
            completed[code_hash] = completed.get(code_hash, 0) + 1
            answer_counts.append(answers)
            if expected_answers and answers < expected_answers:
                short += 1
    acked = set(acknowledged)
    return {
        "db_completed": sum(completed.values()),
        "client_acknowledged": len(acknowledged),
        "lost": len(acked - set(completed)),
        "duplicated": sum(n - 1 for n in per_participant.values() if n > 1) + (len(acknowledged) - len(acked)),
        "conflict_rows": conflicts,
        "completed_not_acknowledged": len(set(completed) - acked),
        "responses_with_missing_answers": short,
        "answers_per_completed_response": sorted(set(answer_counts)),
        "in_progress_rows": sum(1 for row in rows if row[1] == "in_progress"),
        "pupils_started": len(attempted),
    }


# --- gunicorn -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int, workers: int) -> subprocess.Popen:
    logfile = open(OUT / "gunicorn.log", "w")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [
            str(Path(PYTHON).parent / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--backlog",
            "2048",
            "--timeout",
            "60",
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
        ],
        cwd=SRC,
        env=django_env(),
        stdout=logfile,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: see {OUT / 'gunicorn.log'}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/bench/floor/", timeout=2, trust_env=False).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer within 45 s")


def stop_gunicorn(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        try:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass


# --- Machine --------------------------------------------------------------------------


def machine() -> dict:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    with psycopg.connect(f"{PG}/postgres") as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
    import django
    import gunicorn

    try:
        import wagtail

        wagtail_version = wagtail.__version__
    except Exception:  # noqa: BLE001
        wagtail_version = "?"
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgresql": pg,
        "django": django.get_version(),
        "wagtail": wagtail_version,
        "gunicorn": gunicorn.__version__,
        "httpx": httpx.__version__,
        "wrk": wrkload.version() if wrkload.available() is None else "not installed",
        "git_commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip(),
    }


# --- Main -----------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per target per run")
    parser.add_argument("--warmup", type=float, default=4.0)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--windows", type=int, default=80)
    parser.add_argument("--cards", type=int, default=150, help="cards per window")
    parser.add_argument("--targets", default="floor,pupil")
    parser.add_argument(
        "--client",
        choices=["wrk", "httpx"],
        default="wrk",
        help="closed-loop load client: wrk (default; Debian's wrk package) or the asyncio + httpx one",
    )
    parser.add_argument(
        "--pupil-mode", choices=["json", "form"], default="json", help="page saves as pupil.js or forms"
    )
    parser.add_argument(
        "--source",
        default="head",
        help="serve the committed HEAD (head), the working tree (tree) or any commit (a git revision);"
        " bench/ always comes from the working tree",
    )
    parser.add_argument(
        "--before",
        metavar="JSON",
        action="append",
        default=[],
        help="a saved bench/out/*-all.json to show beside this run (e.g. before a change); may be repeated",
    )
    parser.add_argument("--paced-duration", type=float, default=30.0, help="one run of pupils who think; 0 skips it")
    parser.add_argument(
        "--paced-pupils",
        default="50,250",
        help="pupil counts for the paced runs: the target's 50, and a whole year group answering at once",
    )
    parser.add_argument("--think", default="2,5", help="think time range in seconds before each pupil POST")
    parser.add_argument("--no-pageweight", action="store_true")
    parser.add_argument(
        "--stub-static", action="append", default=[], help="development only: an empty file for a missing static path"
    )
    parser.add_argument("--no-lighthouse", action="store_true")
    parser.add_argument("--budget", type=int, default=720, help="hard limit for the whole run, seconds")
    parser.add_argument("--results", default=str(BENCH / "RESULTS.md"))
    parser.add_argument("--render", metavar="JSON", help="only re-render RESULTS.md from a saved bench/out/*-all.json")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if args.render:
        # Re-render RESULTS.md from a saved run (e.g. after editing bench/notes.md).
        saved = json.loads(Path(args.render).read_text())
        before = [json.loads(Path(path).read_text()) for path in args.before]
        Path(args.results).write_text(report.render(saved, before=before))
        log(f"wrote {args.results} from {args.render}")
        return 0
    OUT.mkdir(exist_ok=True)
    started = datetime.now(UTC)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")

    def on_alarm(signum, frame):
        raise Budget(f"time budget of {args.budget} s exhausted")

    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(args.budget)
    budget_end = time.monotonic() + args.budget

    def time_left() -> float:
        return budget_end - time.monotonic()

    server = None
    result: dict = {
        "started": started.isoformat(timespec="seconds"),
        "settings": {k: v for k, v in vars(args).items() if k != "results"},
        "machine": machine(),
        "runs": [],
        "notes": [],
    }
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    if args.client == "wrk" and wrkload.available() is not None:
        raise SystemExit(f"{wrkload.available()}; or run with --client httpx (its ratios are capped by the client)")
    try:
        result["source"] = snapshot(args.source)
        if args.source == "head":
            check = subprocess.run(
                [PYTHON, str(SRC / "manage.py"), "check"], cwd=SRC, env=django_env(), capture_output=True, text=True
            )
            if check.returncode != 0:
                # Someone committed half a change: measure the working tree instead, and say so.
                reason = (check.stderr.strip().splitlines() or ["?"])[-1][:200]
                result["notes"].append(f"HEAD did not pass `manage.py check` ({reason}); measured the working tree")
                result["source"] = snapshot("tree")
        for name in args.stub_static:
            target = SRC / "static" / name
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text("/* empty stand-in written by bench/run.py --stub-static */\n")
                result["notes"].append(f"static/{name} was missing and replaced by an empty file (--stub-static)")
        log(f"serving {result['source']} from {SRC}")
        log(f"database {DB_NAME}: drop, create, migrate")
        drop_database()
        result["database"] = migrated_database()
        log(f"database {DB_NAME}: {result['database']}")
        collect_static()
        create_floor_table()
        log("seeding the demo and survey windows")
        setup_file = OUT / "setup.json"
        subprocess.run(
            [PYTHON, str(SRC / "bench" / "setup_data.py"), str(setup_file), "--windows", str(args.windows)]
            + ["--cards", str(args.cards)],
            cwd=SRC,
            env=django_env(),
            check=True,
            timeout=180,
            stdout=subprocess.DEVNULL,
        )
        setup = json.loads(setup_file.read_text())
        result["instrument"] = setup.get("instrument")

        port = free_port()
        log(f"gunicorn: {args.workers} sync workers on 127.0.0.1:{port}")
        server = start_gunicorn(port, args.workers)
        base_url = f"http://127.0.0.1:{port}"

        from bench import pupil

        flow = None
        if "pupil" in targets:
            flow, reason = pupil.prepare(base_url, setup, args.pupil_mode)
            if flow is None:
                result["notes"].append(f"Pupil flow not measured: {reason}")
                log(f"pupil flow not measured: {reason}")
        result["pupil_flow"] = flow.describe() if flow else None

        def backend_pids() -> list[int]:
            with bench_db() as conn:
                rows = conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [DB_NAME]
                )
                return [row[0] for row in rows]

        probe = CpuProbe(server.pid, backend_pids)

        def run_target(
            name: str, seconds: float, grace: float = 30.0, concurrency: int | None = None, client: str | None = None
        ) -> dict:
            client = client or args.client
            before_cpu = probe.snapshot()
            summary = _run_target(name, seconds, grace, concurrency or args.concurrency, client)
            summary["cpu"] = CpuProbe.delta(
                before_cpu,
                probe.snapshot(),
                summary["wall_seconds"],
                external_client_seconds=summary["client_cpu_seconds"] if client == "wrk" else 0.0,
            )
            return summary

        def _run_wrk(name: str, seconds: float, concurrency: int) -> dict:
            if name == "floor":
                before = floor_max_id()
                summary = wrkload.drive(base_url, "floor", concurrency=concurrency, duration=seconds, work_dir=OUT)
                acknowledged = summary.pop("acknowledged")
                summary["acknowledged"] = len(acknowledged)
                summary["integrity"] = check_floor([int(x) for x in acknowledged], before)
                return summary
            # Enough cards for 100 completions a second (about three times what is reached),
            # every one of them counted as attempted for the database check.
            wanted = min(len(flow.pool), int(seconds * 100) + concurrency * 2)
            taken = [flow.take_card() for _ in range(wanted)]
            hashes = {card: code_hash for _join, card, code_hash in taken}
            summary = wrkload.drive(
                base_url,
                "pupil",
                concurrency=concurrency,
                duration=seconds,
                work_dir=OUT,
                cards=[(join, card) for join, card, _hash in taken],
            )
            acknowledged = [hashes[card] for card in summary.pop("acknowledged")]
            summary["acknowledged"] = len(acknowledged)
            summary["integrity"] = check_pupils(acknowledged, flow.take_attempted(), flow.expected_answers)
            return summary

        def _run_target(name: str, seconds: float, grace: float, concurrency: int, client: str) -> dict:
            if client == "wrk":
                return _run_wrk(name, seconds, concurrency)
            if name == "floor":
                before = floor_max_id()
                rec, meta = asyncio.run(
                    loadgen.drive(
                        base_url,
                        loadgen.floor_scenario,
                        concurrency=concurrency,
                        duration=seconds,
                        grace=grace,
                        session_per_scenario=False,
                    )
                )
                summary = loadgen.summarise(rec, meta)
                summary["integrity"] = check_floor(rec.acknowledged, before)
            else:
                rec, meta = asyncio.run(
                    loadgen.drive(base_url, flow.scenario, concurrency=concurrency, duration=seconds, grace=grace)
                )
                summary = loadgen.summarise(rec, meta)
                summary["integrity"] = check_pupils(rec.acknowledged, flow.take_attempted(), flow.expected_answers)
            return summary

        active = [t for t in targets if t == "floor" or (t == "pupil" and flow is not None)]
        for name in active:
            log(f"warm-up: {name} {args.warmup:.0f} s")
            run_target(name, args.warmup, grace=8.0)
        for number in range(args.runs):
            order = active if number % 2 == 0 else list(reversed(active))
            run = {"run": number + 1}
            for name in order:
                log(f"run {number + 1}/{args.runs}: {name} for {args.duration:.0f} s x {args.concurrency} users")
                run[name] = run_target(name, args.duration)
                summary = run[name]
                log(
                    f"  {name}: {summary['requests_per_second']} req/s, "
                    f"{summary['completions_per_second']} completions/s, errors {summary['error_count']}, "
                    f"integrity {summary['integrity']}, cpu {summary['cpu']}"
                )
            result["runs"].append(run)
            (OUT / f"{stamp}-run{number + 1}.json").write_text(json.dumps(run, indent=1))

        if flow is not None and args.paced_duration > 0:
            low, high = (float(x) for x in args.think.split(","))
            result["paced"] = []
            for pupils in (int(n) for n in args.paced_pupils.split(",")):
                if time_left() < args.paced_duration + 150:
                    result["notes"].append(f"Paced run of {pupils} pupils skipped: time budget nearly used")
                    continue
                flow.think = (low, high)
                log(
                    f"paced: {pupils} pupils thinking {low:g}-{high:g} s before each answer, {args.paced_duration:.0f} s"
                )
                paced = run_target("pupil", args.paced_duration, grace=5.0, concurrency=pupils, client="httpx")
                flow.think = None
                paced["think_seconds"] = [low, high]
                paced["pupils"] = pupils
                result["paced"].append(paced)
                log(f"  paced: {paced['requests_per_second']} req/s, integrity {paced['integrity']}")
        if flow is not None:
            log("diagnostics: queries and server time per request, in process")
            try:
                diag = OUT / "queries.json"
                subprocess.run(
                    [PYTHON, str(SRC / "bench" / "queries.py"), str(setup_file), str(diag)],
                    cwd=SRC,
                    env=django_env(),
                    check=True,
                    timeout=120,
                    capture_output=True,
                )
                result["diagnostics"] = json.loads(diag.read_text())
            except (subprocess.SubprocessError, OSError, ValueError) as exc:
                result["notes"].append(f"Diagnostics failed: {type(exc).__name__}: {str(exc)[:300]}")
            if (SRC / "surveys" / "pupil" / "sql.py").exists():
                log("the hand-written statements against their ORM equivalents, in process")
                try:
                    gain = OUT / "sql_gain.json"
                    subprocess.run(
                        [PYTHON, str(SRC / "bench" / "sql_gain.py"), str(gain)],
                        cwd=SRC,
                        env=django_env(),
                        check=True,
                        timeout=300,
                        capture_output=True,
                    )
                    result["sql_gain"] = json.loads(gain.read_text())
                except (subprocess.SubprocessError, OSError, ValueError) as exc:
                    result["notes"].append(f"SQL gain measurement failed: {type(exc).__name__}: {str(exc)[:300]}")
        if not args.no_pageweight and flow is not None and time_left() < 60:
            result["notes"].append(f"Page weight skipped: only {time_left():.0f} s of the time budget left")
        elif not args.no_pageweight and flow is not None:
            from bench import pageweight

            log("page weight with headless Chromium")
            try:
                result["pageweight"] = pageweight.measure(base_url, flow)
            except Exception as exc:  # noqa: BLE001 - reported, never fatal
                result["notes"].append(f"Page weight failed: {type(exc).__name__}: {exc}")
                log(f"page weight failed: {exc}")
        if not args.no_lighthouse and flow is not None and time_left() < 150:
            result["notes"].append(f"Lighthouse skipped: only {time_left():.0f} s of the time budget left")
        elif not args.no_lighthouse and flow is not None:
            from bench import lighthouse

            log("Lighthouse (mobile)")
            try:
                result["lighthouse"] = lighthouse.measure(base_url, flow, OUT)
            except Exception as exc:  # noqa: BLE001
                result["notes"].append(f"Lighthouse failed: {type(exc).__name__}: {exc}")
                log(f"lighthouse failed: {exc}")
    except Budget as exc:
        result["notes"].append(f"Stopped early: {exc}")
        log(str(exc))
    finally:
        signal.alarm(0)
        stop_gunicorn(server)
    result["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    result["aggregate"] = aggregate(result["runs"])
    (OUT / f"{stamp}-all.json").write_text(json.dumps(result, indent=1))
    shutil.copyfile(OUT / f"{stamp}-all.json", OUT / "latest.json")
    before = [json.loads(Path(path).read_text()) for path in args.before]
    Path(args.results).write_text(report.render(result, before=before))
    log(f"wrote {args.results} and {OUT / f'{stamp}-all.json'}")
    return 0


STATS = ("per_second", "p50_ms", "p95_ms", "p99_ms", "max_ms", "server_p50_ms", "server_p95_ms", "server_cpu_ms")


def aggregate(runs: list[dict]) -> dict:
    """Median over runs of every number the report shows."""
    out: dict = {}
    for name in ("floor", "pupil"):
        per_run = [run[name] for run in runs if name in run]
        if not per_run:
            continue
        kinds = sorted({kind for run in per_run for kind in run["kinds"]})
        out[name] = {
            "runs": len(per_run),
            "requests_per_second": median(r["requests_per_second"] for r in per_run),
            "completions_per_second": median(r["completions_per_second"] for r in per_run),
            "request_errors": sum(r["error_count"] for r in per_run),
            "failed_users": sum(r["scenarios_failed"] for r in per_run),
            "cut_off_users": sum(r.get("cut_off_users", 0) for r in per_run),
            "lost": sum(r["integrity"]["lost"] for r in per_run),
            "duplicated": sum(r["integrity"]["duplicated"] for r in per_run),
            "acknowledged": sum(r["integrity"]["client_acknowledged"] for r in per_run),
            "client_cpu_share": median(r["client_cpu_seconds"] / r["wall_seconds"] for r in per_run),
            # Server CPU per request (gunicorn + its PostgreSQL backends), from /proc: much less
            # sensitive than throughput to other work on a shared machine.
            "server_cpu_ms_per_request": median(
                (r["cpu"]["gunicorn_cores"] + r["cpu"]["postgres_cores"])
                * r["wall_seconds"]
                * 1000
                / max(1, sum(k["count"] for k in r["kinds"].values()))
                for r in per_run
            ),
            "other_cores": median(r["cpu"]["other_cores"] for r in per_run),
            "kinds": {
                kind: {
                    stat: median(r["kinds"][kind][stat] for r in per_run if stat in r["kinds"].get(kind, {}))
                    for stat in STATS
                    if any(stat in r["kinds"].get(kind, {}) for r in per_run)
                }
                for kind in kinds
            },
        }
    paired = [
        run["pupil"]["requests_per_second"] / run["floor"]["requests_per_second"]
        for run in runs
        if "pupil" in run and "floor" in run and run["floor"]["requests_per_second"]
    ]
    if paired:
        out["ratio_per_run"] = [round(x, 3) for x in paired]
    if "floor" in out and "pupil" in out and out["floor"]["requests_per_second"]:
        out["ratio_pupil_to_floor"] = round(
            out["pupil"]["requests_per_second"] / out["floor"]["requests_per_second"], 3
        )
    return out


if __name__ == "__main__":
    sys.exit(main())
