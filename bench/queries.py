"""Diagnostics: one pupil walked through the flow in process (Django's test client, the
bench settings and database), with the SQL queries and the server time of every request,
and a profile of the question page and the page save (repeated to smooth the numbers).

Run by bench/run.py as ``python bench/queries.py SETUP.json OUT.json`` with
DJANGO_SETTINGS_MODULE=bench.settings, after the load runs (it uses two fresh cards).
"""

from __future__ import annotations

import cProfile
import json
import pstats
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.pupil import hidden, questions  # noqa: E402

NUMBERS = re.compile(r"\b\d+\b|'[^']*'")


def shape(sql: str) -> str:
    """The statement with its literals taken out, so repeated queries group together."""
    return NUMBERS.sub("?", sql)[:220]


def timed(client: Client, label: str, steps: list, method: str, url: str, **kwargs):
    with CaptureQueriesContext(connection) as captured:
        start = time.perf_counter()
        response = getattr(client, method)(url, **kwargs)
        elapsed = (time.perf_counter() - start) * 1000
    shapes = Counter(shape(q["sql"]) for q in captured.captured_queries)
    steps.append(
        {
            "step": label,
            "method": method.upper(),
            "url": url,
            "status": response.status_code,
            "queries": len(captured.captured_queries),
            "ms": round(elapsed, 2),
            "repeated": {sql: n for sql, n in shapes.items() if n > 1},
            "sql": [q["sql"][:300] for q in captured.captured_queries],
        }
    )
    return response


def walk(join_code: str, card_code: str, steps: list) -> tuple[Client, str, int]:
    client = Client(SERVER_NAME="127.0.0.1")
    timed(client, "join_page", steps, "get", "/go/")
    response = timed(client, "join", steps, "post", "/go/", data={"code": join_code})
    card_url = response["Location"]
    timed(client, "card_page", steps, "get", card_url)
    response = timed(client, "card", steps, "post", card_url, data={"code": card_code})
    assent_url = response["Location"]
    timed(client, "assent_page", steps, "get", assent_url)
    response = timed(client, "assent", steps, "post", assent_url, data={"choice": "yes"})
    return client, response["Location"], 1


def save_body(page_html: str, number: int, final: bool) -> str:
    answers = {name[2:]: options[0] for name, options in questions(page_html).items()}
    seq = hidden(page_html, "seq") or "1"
    return json.dumps(
        {"key": hidden(page_html, "key"), "page": number, "seq": int(seq), "answers": answers, "final": final}
    )


def main() -> None:
    setup = json.loads(Path(sys.argv[1]).read_text())
    out = Path(sys.argv[2])
    window = setup["windows"][-1]
    (card_a, _), (card_b, _) = window["cards"][-1], window["cards"][-2]
    steps: list = []
    Client(SERVER_NAME="127.0.0.1").get("/go/")  # first request of a process: imports, template loading
    client, url, number = walk(window["join_code"], card_a, steps)
    while "/go/q/" in url and number < 40:
        response = timed(client, "page", steps, "get", url)
        html = response.content.decode()
        final = "data-final" in html
        response = timed(
            client,
            "submit" if final else "save",
            steps,
            "post",
            "/go/save/",
            data=save_body(html, number, final),
            content_type="application/json",
        )
        body = response.json()
        url = body.get("next", "")
        number += 1
        if body.get("completed"):
            break
    timed(client, "thanks", steps, "get", url or "/go/thanks/")

    # Profiles: question page 1 and its save for a second pupil, each repeated (a repeated
    # save with the same key and body is an idempotent replay, so the save profile is the
    # first, real save plus replays; the replays are listed separately).
    profiles = {}
    client, url, _ = walk(window["join_code"], card_b, [])
    # CPU time (time.process_time), not wall time: waiting for PostgreSQL or for a core on a
    # busy machine is left out, so the numbers show what the Python code itself costs.
    for label, runs in (("page", 30),):
        profiler = cProfile.Profile(time.process_time)
        start = time.process_time()
        for _ in range(runs):
            profiler.enable()
            response = client.get(url)
            profiler.disable()
        per = (time.process_time() - start) * 1000 / runs
        profiles[label] = {"runs": runs, "cpu_ms_per_request": round(per, 2), "top": top(profiler, runs)}
    html = response.content.decode()
    profiler = cProfile.Profile(time.process_time)
    start = time.process_time()
    profiler.enable()
    client.post("/go/save/", data=save_body(html, 1, False), content_type="application/json")
    profiler.disable()
    first = (time.process_time() - start) * 1000
    profiles["save"] = {"runs": 1, "cpu_ms_per_request": round(first, 2), "top": top(profiler, 1)}
    out.write_text(
        json.dumps(
            {
                "steps": steps,
                "per_survey": per_survey(steps),
                "profiles": profiles,
                "experiments": experiments(client, url),
            },
            indent=1,
        )
    )


_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")
_WRITES = ("INSERT", "UPDATE", "DELETE", "WITH")


def per_survey(steps: list[dict]) -> dict:
    """One completed survey, from the walk above: HTTP requests; SQL statements sent (and
    how many of them are transaction control: BEGIN, COMMIT, savepoints); commits, that is
    transactions that wrote something: each COMMIT of an atomic block plus each write sent
    in autocommit (Django's default outside ``atomic``; PostgreSQL commits it by itself)."""
    statements = control = commits = 0
    in_transaction = False
    for step in steps:
        for sql in step["sql"]:
            head = sql.lstrip().upper()
            statements += 1
            if head.startswith(_CONTROL):
                control += 1
                if head.startswith("BEGIN"):
                    in_transaction = True
                elif head.startswith(("COMMIT", "ROLLBACK")) and not head.startswith("ROLLBACK TO"):
                    commits += head.startswith("COMMIT")
                    in_transaction = False
            elif not in_transaction and head.startswith(_WRITES):
                commits += 1
    return {
        "requests": len(steps),
        "statements": statements,
        "transaction_control": control,
        "commits": commits,
    }


def experiments(client: Client, url: str, rounds: int = 4, per_round: int = 20) -> list[dict]:
    """What-ifs for the question page GET, in this process only (no project file is touched):
    CPU, wall time and statements per request with the site-wide context processors that
    pupil pages never use switched off, then also without saving the session on every
    request, then also with the survey pages cached per instrument version. The variants
    are measured in interleaved rounds so drifting load on a shared machine hits all alike."""
    import contextlib
    import functools

    from django.conf import settings
    from django.test.utils import override_settings

    import surveys.pupil.selectors as pupil_selectors

    templates = [dict(engine) for engine in settings.TEMPLATES]
    processors = templates[0]["OPTIONS"]["context_processors"]
    project = [p for p in processors if p.startswith(("lessons.", "accounts."))]
    templates[0] = {**templates[0], "OPTIONS": {**templates[0]["OPTIONS"]}}
    templates[0]["OPTIONS"]["context_processors"] = [p for p in processors if p not in project]
    original_pages_for = pupil_selectors.pages_for

    @functools.lru_cache(maxsize=64)
    def cached_pages(version_id, layout, include_demographics):
        from surveys.models import InstrumentVersion
        from surveys.selectors import survey_pages

        version = InstrumentVersion.objects.get(pk=version_id)
        return survey_pages(version=version, layout=layout, include_demographics=include_demographics)

    @contextlib.contextmanager
    def pages_cached():
        pupil_selectors.pages_for = lambda window: cached_pages(
            window.instrument_version_id, window.layout, window.include_demographics
        )
        try:
            yield
        finally:
            pupil_selectors.pages_for = original_pages_for

    variants = [
        ("as configured", []),
        ("without " + " and ".join(project), [lambda: override_settings(TEMPLATES=templates)]),
        (
            "... and SESSION_SAVE_EVERY_REQUEST = False",
            [
                lambda: override_settings(TEMPLATES=templates),
                lambda: override_settings(SESSION_SAVE_EVERY_REQUEST=False),
            ],
        ),
        (
            "... and survey pages cached per version",
            [
                lambda: override_settings(TEMPLATES=templates),
                lambda: override_settings(SESSION_SAVE_EVERY_REQUEST=False),
                pages_cached,
            ],
        ),
    ]
    totals = {label: {"cpu": 0.0, "wall": 0.0, "n": 0, "queries": None, "status": None} for label, _ in variants}
    for _ in range(rounds):
        for label, contexts in variants:
            with contextlib.ExitStack() as stack:
                for make in contexts:
                    stack.enter_context(make())
                client.get(url)  # warm: template engines are rebuilt when TEMPLATES changes
                executed: list[str] = []
                with connection.execute_wrapper(
                    lambda execute, sql, *a, log=executed: log.append(sql) or execute(sql, *a)
                ):
                    response = client.get(url)
                cpu, wall = time.process_time(), time.perf_counter()
                for _ in range(per_round):
                    client.get(url)
                entry = totals[label]
                entry["cpu"] += time.process_time() - cpu
                entry["wall"] += time.perf_counter() - wall
                entry["n"] += per_round
                entry["queries"], entry["status"] = len(executed), response.status_code
    return [
        {
            "variant": label,
            "cpu_ms": round(v["cpu"] * 1000 / v["n"], 2),
            "wall_ms": round(v["wall"] * 1000 / v["n"], 2),
            "queries": v["queries"],
            "status": v["status"],
        }
        for label, v in totals.items()
    ]


def top(profiler: cProfile.Profile, runs: int, limit: int = 25) -> list[str]:
    stats = pstats.Stats(profiler)
    rows = []
    for (filename, line, func), (_cc, calls, tottime, cumtime, _callers) in stats.stats.items():
        rows.append((cumtime, tottime, calls, f"{Path(filename).name}:{line}({func})", filename))
    interesting = [
        r
        for r in rows
        if "/surveys/" in r[4]
        or "/accounts/" in r[4]
        or "django/template" in r[4]
        or "django/db/models/sql/compiler" in r[4]
        or "sessions" in r[4]
        or "csp" in r[4]
        or "/lessons/" in r[4]
        or "wagtail/models/sites" in r[4]
        or "django/core/cache" in r[4]
    ]
    interesting.sort(reverse=True)
    return [
        f"{c * 1000 / runs:6.2f} ms cumulative, {t * 1000 / runs:5.2f} ms own, {n / runs:g} calls per request: {name}"
        for c, t, n, name, _ in interesting[:limit]
    ]


if __name__ == "__main__":
    main()
