"""``make bench-dashboard``: the Outcomes admin dashboard's time to first byte, warm and
cold, over the outcomes benchmark's synthetic region (bench/outcomes_bench.py: 100,000
pupils, 3,500 classes, 490 schools, 7 local authorities, about 6 million answers). Written
to bench/outcomes_results.md and bench/RESULTS.md (the "Outcomes dashboard" section).

Steps, the whole run bounded by ``--budget``:

1. Unless ``--keep-data``: a dedicated database (``upstream_bench_dashboard``; never another
   helper's), migrated, the synthetic region generated and ``rebuild_outcomes`` run, all with
   the outcomes benchmark's own steps. Static files collected (production settings use
   WhiteNoise's manifest).
2. A signed-in session for the demo officer with the second factor recorded (allauth's
   session records, as after a real TOTP sign-in), written with Django's session store.
3. gunicorn (1 sync worker, bench/settings.py: production settings on 127.0.0.1) on a free
   loopback port. Per run: the server is restarted, the OS page cache dropped and the
   dashboard and chart caches emptied; one request to ``/admin/login/`` loads Django and the
   URL conf (process start is not counted); then
   - **cold**: the first dashboard request (nothing cached: both outcome tables, the
     fidelity panel and every chart computed);
   - **warm**: ``--warm-calls`` more requests of the same page (served from the cache),
     median.
   TTFB is measured with ``http.client`` on a new loopback connection: from sending the
   request to having the status line and headers (gunicorn's sync worker writes a Django
   response in one go, so that is the first byte).

Pages: the default dashboard (all programmes, no breakdown) and the gender breakdown of the
benchmark's programme. PostgreSQL is not restarted (other helpers' databases share it), so
its buffers may hold the rollups: "cold" is a cold cache and a cold OS page cache, not a
cold database server.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("BENCH_OUTCOMES_DB", "upstream_bench_dashboard")

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from bench import outcomes_bench as ob  # noqa: E402

OUT = BENCH / "out"
STATIC_ROOT = OUT / "staticfiles-dashboard"
RESULTS_FILES = (BENCH / "outcomes_results.md", BENCH / "RESULTS.md")
BEGIN, END = "<!-- dashboard-bench:begin -->", "<!-- dashboard-bench:end -->"
TARGET_WARM_S = 0.200
PAGES = {
    "default": "/admin/outcomes/",
    "gender": f"/admin/outcomes/?programme={ob.PROGRAMME_SLUG}&breakdown=gender",
}


def log(message: str) -> None:
    print(f"[bench-dashboard {datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def env() -> dict:
    return {**ob.env(), "BENCH_STATIC_ROOT": str(STATIC_ROOT)}


def manage(*args: str, timeout: float = 600) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env(), capture_output=True, text=True, timeout=timeout
    )
    if done.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return done.stdout


def child(step: str) -> dict:
    done = subprocess.run(
        [sys.executable, str(Path(__file__)), "_child", step],
        cwd=ROOT,
        env=env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode:
        raise RuntimeError(f"{step} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- Child steps (Django set up) --------------------------------------------------------


def _django():
    import django

    django.setup()


def step_session() -> dict:
    """A session for the demo officer with the password and TOTP steps recorded."""
    _django()
    from allauth.mfa.models import Authenticator
    from django.test import Client

    from accounts.models import User

    officer = User.objects.get(email="officer@vru.example")
    totp = Authenticator.objects.get(user=officer, type=Authenticator.Type.TOTP)
    client = Client()
    client.force_login(officer)
    session = client.session
    now = time.time()
    session["account_authentication_methods"] = [
        {"method": "password", "at": now, "email": officer.email},
        {"method": "mfa", "at": now, "id": totp.pk, "type": "totp"},
    ]
    session["account_authentication_methods_user"] = str(officer.pk)
    session.save()
    return {"cookie": client.cookies["sessionid"].value, "user": officer.email}


def step_clear_cache() -> dict:
    """Empty the dashboard's and the charts' cache entries (nothing else)."""
    _django()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM upstream_cache WHERE cache_key LIKE %s OR cache_key LIKE %s",
            ["%outcomes-dashboard-%", "%outcomes-chart-%"],
        )
        return {"deleted": cursor.rowcount}


def step_describe() -> dict:
    """What the page shows (the same objects the view renders)."""
    _django()
    from outcomes import dashboard

    out = {}
    for name, query in (("default", {}), ("gender", {"programme": ob.PROGRAMME_SLUG, "breakdown": "gender"})):
        board = dashboard.build(dashboard.parse(query), use_cache=False)
        out[name] = {
            "rows": len(board.table.rows),
            "dose_rows": len(board.dose_table.rows),
            "charts": sum(len(p.sections) + len(p.dose_sections) for p in board.programmes),
            "hidden": sum(1 for r in board.table.rows if r.suppressed),
        }
    return out


STEPS = {"session": step_session, "clear_cache": step_clear_cache, "describe": step_describe}


# --- Parent: server, requests, report -----------------------------------------------------


def start_server(port: int) -> subprocess.Popen:
    logfile = open(OUT / "gunicorn-dashboard.log", "w")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--worker-class",
            "sync",
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env(),
        stdout=logfile,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: see {OUT / 'gunicorn-dashboard.log'}")
        try:
            status, _ttfb, _size = fetch(port, "/admin/login/", cookie=None)
            if status < 500:  # a redirect to allauth's sign-in page is fine
                return process
        except OSError:
            pass
        time.sleep(0.3)
    stop_server(process)
    raise RuntimeError("gunicorn did not answer within 60 s")


def stop_server(process: subprocess.Popen | None) -> None:
    import signal

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


def fetch(port: int, path: str, *, cookie: str | None) -> tuple[int, float, int]:
    """(status, seconds to the status line and headers, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Host": "127.0.0.1", "Accept": "text/html"}
    if cookie:
        headers["Cookie"] = f"sessionid={cookie}"
    try:
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        ttfb = time.perf_counter() - started
        body = response.read()
        return response.status, ttfb, len(body)
    finally:
        conn.close()


def collect_static() -> None:
    """collectstatic, skipped when the static sources are what they were last time."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted((ROOT / "static").rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(ROOT)).encode() + path.read_bytes())
    stamp = STATIC_ROOT / ".bench-fingerprint"
    if stamp.exists() and stamp.read_text() == digest.hexdigest():
        return
    log("collectstatic")
    manage("collectstatic", "--no-input", "-v0", "--clear", timeout=600)
    stamp.write_text(digest.hexdigest())


def measure(args) -> dict:
    result: dict = {"started": datetime.now(UTC).isoformat(timespec="seconds"), "runs": args.runs}
    OUT.mkdir(exist_ok=True)
    if not args.keep_data:
        log(f"database {ob.DB_NAME}: drop, create, migrate")
        ob.fresh_database()
        log("synthetic region (the outcomes benchmark's generator)")
        result["data"] = ob.child("setup", str(args.pupils), str(args.classes), timeout=1800)
        log(f"data: {result['data']}")
        log("rebuild_outcomes")
        started = time.monotonic()
        manage("rebuild_outcomes", "--no-progress", timeout=900)
        result["rebuild_s"] = time.monotonic() - started
    result["setup"] = result.pop("data", None)
    result["data"] = ob.child("counts")
    collect_static()
    result["machine"] = ob.machine()
    result["page"] = child("describe")
    cookie = child("session")["cookie"]
    port = ob_free_port()
    result["pages"] = {name: {"cold": [], "warm": [], "bytes": 0} for name in PAGES}
    for run in range(args.runs):
        for name, path in PAGES.items():
            server = None
            try:
                child("clear_cache")
                ob.drop_os_cache()
                server = start_server(port)
                status, cold, size = fetch(port, path, cookie=cookie)
                if status != 200:
                    raise RuntimeError(f"{path} answered {status}: is the session signed in with MFA?")
                warm = []
                for _ in range(args.warm_calls):
                    status, ttfb, size = fetch(port, path, cookie=cookie)
                    assert status == 200
                    warm.append(ttfb)
                page = result["pages"][name]
                page["cold"].append(cold)
                page["warm"].append(statistics.median(warm))
                page["warm_all"] = page.get("warm_all", []) + warm
                page["bytes"] = size
                log(
                    f"run {run + 1} {name}: cold {cold * 1000:.0f} ms, warm median {statistics.median(warm) * 1000:.1f} ms"
                )
            finally:
                stop_server(server)
    result["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    return result


def ob_free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def render(result: dict) -> str:
    m = result["machine"]
    d = result["data"]

    def ms(seconds: float) -> str:
        return f"{seconds * 1000:.0f} ms"

    lines = [
        BEGIN,
        "## Outcomes dashboard (issue 9)",
        "",
        "Written by `make bench-dashboard` (bench/dashboard_bench.py); raw JSON in `bench/out/dashboard-*.json`.",
        "",
        f"- Date: {result['started']} to {result['finished']} (UTC); code: HEAD {m['head']}",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; Linux {m['kernel']}; Python {m['python']}; "
        f"PostgreSQL {m['postgresql']} (shared_buffers {m['shared_buffers']}, work_mem {m['work_mem']})",
        f"- The 2 cores are shared with other helpers' work (load average at the start: "
        f"{', '.join(f'{x:.1f}' for x in m['loadavg'])}).",
        f"- Data: the outcomes benchmark's synthetic region: {d.get('pupils', 100_000):,} pupils in "
        f"{d.get('classes', 3_500):,} classes at {d.get('schools', 490)} schools in 7 local authorities, "
        f"{d.get('answers', 0):,} answers."
        if "answers" in d
        else f"- Data: the outcomes benchmark's synthetic region ({json.dumps(d)}).",
        "- Server: gunicorn, 1 sync worker, production settings (bench/settings.py: DEBUG off, database cache and "
        "sessions, CSP, WhiteNoise), over loopback; the officer's session has the second factor recorded.",
        f"- Runs: {result['runs']}, median reported. Cold: server restarted, OS page cache dropped, dashboard and "
        "chart cache entries deleted; one request to /admin/login/ first, so the process has loaded Django and the "
        "URL conf (process start not counted); PostgreSQL not restarted. Warm: the next "
        f"{len(result['pages']['default']['warm_all']) // max(1, result['runs'])} requests, median per run.",
        "",
        "| page | what it shows | cold TTFB (median) | warm TTFB (median) | per run (cold / warm) | warm target < 200 ms |",
        "|---|---|---|---|---|---|",
    ]
    labels = {
        "default": "`/admin/outcomes/` (all programmes, no breakdown)",
        "gender": f"`/admin/outcomes/?programme={ob.PROGRAMME_SLUG}&breakdown=gender`",
    }
    for name, page in result["pages"].items():
        info = result["page"][name]
        cold, warm = statistics.median(page["cold"]), statistics.median(page["warm"])
        per_run = ", ".join(f"{ms(c)} / {ms(w)}" for c, w in zip(page["cold"], page["warm"], strict=True))
        verdict = "**met**" if warm < TARGET_WARM_S else "**not met**"
        lines.append(
            f"| {labels[name]} | {info['rows']} table rows + {info['dose_rows']} by lessons delivered, "
            f"{info['charts']} charts, {page['bytes'] // 1024} KiB of HTML | {ms(cold)} | {ms(warm)} | {per_run} | "
            f"{verdict} |"
        )
    lines += [
        "",
        "A cold view computes the regional table (region and local-authority rows from area rollups), the table "
        "by lessons delivered (from the area rollups' dose rows), the fidelity panel and every chart "
        "(matplotlib, about 70 ms each); it then caches the whole dashboard under the filters and the programmes' "
        "data versions, so the next view (and every officer's view until a figure changes) is a cache read and "
        "the template. Where the cold time goes: [outcomes_results.md](outcomes_results.md), after this section.",
        "",
        END,
    ]
    return "\n".join(lines)


def write_results(text: str) -> None:
    for path in RESULTS_FILES:
        current = path.read_text() if path.exists() else ""
        if BEGIN in current and END in current:
            before, rest = current.split(BEGIN, 1)
            after = rest.split(END, 1)[1]
            path.write_text(before + text + after)
        else:
            path.write_text(current.rstrip("\n") + "\n\n" + text + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warm-calls", type=int, default=20)
    parser.add_argument("--pupils", type=int, default=100_000)
    parser.add_argument("--classes", type=int, default=3_500)
    parser.add_argument("--keep-data", action="store_true", help="reuse the existing bench database")
    parser.add_argument("--no-write", action="store_true", help="print the section instead of writing the results")
    parser.add_argument("--render", metavar="JSON", help="only re-render the section from a saved run")
    parser.add_argument("--budget", type=int, default=2400, help="seconds for the whole run")
    args = parser.parse_args()
    if args.render:
        write_results(render(json.loads(Path(args.render).read_text())))
        return
    ob.signal_alarm(args.budget)
    result = measure(args)
    (OUT / f"dashboard-{datetime.now(UTC):%Y%m%dT%H%M%S}.json").write_text(json.dumps(result, indent=2, default=str))
    text = render(result)
    if args.no_write:
        print(text)
    else:
        write_results(text)
        log("written to bench/outcomes_results.md and bench/RESULTS.md")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "_child":
        print(json.dumps(STEPS[sys.argv[2]](), default=str))
    else:
        main()
