"""Render bench/RESULTS.md from one run's result dictionary (see bench/run.py)."""

from __future__ import annotations

from pathlib import Path

BENCH = Path(__file__).resolve().parent
NOTES = BENCH / "notes.md"
OUTCOMES = BENCH / "outcomes_results.md"
# A closed-loop ratio is refused when the load client used more than this share of one core
# in either of its runs: the client, not the server, may then have set the pace.
CLIENT_CAP_CORES = 0.35

KIND_ORDER = [
    "floor_get",
    "floor_post",
    "join_page",
    "join",
    "card_page",
    "card",
    "assent_page",
    "assent",
    "page",
    "save",
    "submit",
    "thanks",
]
KIND_LABEL = {
    "floor_get": "floor GET (form)",
    "floor_post": "floor POST (store 34 answers)",
    "join_page": "join page GET",
    "join": "join code POST",
    "card": "card code POST",
    "card_page": "card page GET",
    "assent_page": "assent page GET",
    "assent": "assent POST (yes)",
    "page": "question page GET",
    "save": "page save POST",
    "submit": "final submit POST",
    "thanks": "thank-you page GET",
}


def _ms(value) -> str:
    return "–" if value is None else f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def _verdict(ok: bool | None) -> str:
    return "not measured" if ok is None else ("**met**" if ok else "**NOT met**")


def _kinds_table(kinds: dict) -> list[str]:
    lines = [
        "| request type | median req/s | p50 ms | p95 ms | p99 ms | max ms | in Django p50 / p95 ms | CPU ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    ordered = [k for k in KIND_ORDER if k in kinds] + sorted(k for k in kinds if k not in KIND_ORDER)
    for kind in ordered:
        row = kinds[kind]
        lines.append(
            f"| {KIND_LABEL.get(kind, kind)} | {row['per_second']:.1f} | {_ms(row['p50_ms'])} | {_ms(row['p95_ms'])}"
            f" | {_ms(row['p99_ms'])} | {_ms(row['max_ms'])}"
            f" | {_ms(row.get('server_p50_ms'))} / {_ms(row.get('server_p95_ms'))} | {_ms(row.get('server_cpu_ms'))} |"
        )
    return lines


def _runs_table(runs: list[dict], name: str) -> list[str]:
    lines = [
        "| run | req/s | completions/s | acknowledged | stored | lost | duplicated | request errors | failed users"
        " | cores used: gunicorn / postgres / client / other | load avg |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for run in runs:
        if name not in run:
            continue
        r = run[name]
        integrity = r["integrity"]
        stored = integrity.get("db_completed", integrity.get("db_stored"))
        cpu = r.get("cpu", {})
        cores = (
            f"{cpu['gunicorn_cores']:.2f} / {cpu['postgres_cores']:.2f} / {cpu['client_cores']:.2f}"
            f" / {cpu['other_cores']:.2f}"
            if cpu
            else "–"
        )
        load = " → ".join(f"{x:.1f}" for x in cpu.get("load_average_1m", []))
        lines.append(
            f"| {run['run']} | {r['requests_per_second']:.1f} | {r['completions_per_second']:.1f}"
            f" | {integrity['client_acknowledged']} | {stored} | {integrity['lost']} | {integrity['duplicated']}"
            f" | {r['error_count']} | {r['scenarios_failed']} | {cores} | {load} |"
        )
    return lines


def _paced_runs(result: dict) -> list[dict]:
    """The paced runs (a list; older results held one run as a dict)."""
    paced = result.get("paced") or []
    return [paced] if isinstance(paced, dict) else list(paced)


def _client_cores(agg: dict) -> tuple[float | None, float | None]:
    floor, pupil = agg.get("floor"), agg.get("pupil")
    return (floor or {}).get("client_cpu_share"), (pupil or {}).get("client_cpu_share")


def client_capped(agg: dict) -> bool | None:
    """True when the client may have set the pace (see ``CLIENT_CAP_CORES``)."""
    floor_client, pupil_client = _client_cores(agg)
    if floor_client is None or pupil_client is None:
        return None
    return max(floor_client, pupil_client) > CLIENT_CAP_CORES


def _per_survey(diag: dict | None) -> dict | None:
    return (diag or {}).get("per_survey")


def render_comparison(sessions: list[dict], current: dict) -> list[str]:
    """Sessions of the same benchmark (e.g. before and after a change, interleaved), each
    measured against the floor in its own session, then this one."""

    def row(label: str, result: dict) -> str:
        agg = result.get("aggregate", {})
        floor, pupil = agg.get("floor") or {}, agg.get("pupil") or {}
        survey = _per_survey(result.get("diagnostics")) or {}
        floor_client, pupil_client = _client_cores(agg)
        ratios = ", ".join(f"{x:.2f}" for x in agg.get("ratio_per_run", []))
        return (
            f"| {label}: {result.get('source', '?')}, {result.get('started', '?')[11:16]} UTC"
            f" | {pupil.get('requests_per_second', 0):.0f}"
            f" | {floor.get('requests_per_second', 0):.0f} | {agg.get('ratio_pupil_to_floor', 0):.2f} ({ratios})"
            f" | {pupil.get('completions_per_second', 0):.1f}"
            f" ({pupil.get('requests_per_second', 0) / (survey.get('requests') or 17):.1f} at steady state)"
            f" | {pupil.get('server_cpu_ms_per_request', 0):.2f}"
            f" | {survey.get('requests', '–')} | {survey.get('statements', '–')} | {survey.get('commits', '–')}"
            f" | {floor_client if floor_client is not None else 0:.2f} / {pupil_client if pupil_client is not None else 0:.2f} |"
        )

    return [
        "## Before and after (the same benchmark, one session each, in the order run)",
        "",
        "| code | pupil req/s | floor req/s | pupil ÷ floor (per run) | completed surveys/s | server CPU ms per"
        " pupil request | requests per survey | SQL statements per survey | commits per survey"
        " | client cores (floor / pupil) |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---|",
        *[row(f"session {number}", result) for number, result in enumerate(sessions, start=1)],
        row(f"session {len(sessions) + 1} (this run, above)", current),
        "",
    ]


def render(result: dict, before: list[dict] | None = None) -> str:
    m = result["machine"]
    s = result["settings"]
    agg = result.get("aggregate", {})
    floor, pupil = agg.get("floor"), agg.get("pupil")
    out: list[str] = ["# Benchmark results", ""]
    out += [
        "Written by `make bench` (bench/run.py); raw per-run JSON is in `bench/out/` (not committed).",
        "",
        "## Machine and date",
        "",
        f"- Date: {result['started']} to {result.get('finished', '?')} (UTC)",
        f"- CPU: {m['cpu_model']}, {m['nproc']} cores (`nproc`); memory {m['memory_gib']} GiB; Linux {m['kernel']}",
        f"- Python {m['python']}, PostgreSQL {m['postgresql']}, Django {m['django']}, Wagtail {m['wagtail']},"
        f" gunicorn {m['gunicorn']}, httpx {m['httpx']}",
        f"- Code served: {result.get('source', 'commit ' + m['git_commit'])}",
        "",
        "## Method",
        "",
        f"- gunicorn, {s['workers']} sync workers, `bench/settings.py` (production settings: DEBUG off,"
        " PostgreSQL with persistent connections, database sessions and cache, WhiteNoise, the full"
        " middleware stack with CSP; plain HTTP on 127.0.0.1), database `upstream_bench` dropped, created,"
        " migrated and seeded with the project's demo plus"
        f" {s['windows']} open survey windows x {s['cards']} participant cards.",
        (
            f"- Client: {m.get('wrk', 'wrk')} on the same machine (bench/wrkload.py driving bench/flow.lua),"
            f" {s['concurrency']} simulated users, one wrk thread and connection per user, each keeping its own"
            " cookies, no think time (the paced runs below use the asyncio + httpx client, which sleeps most of"
            " the time there). The client shares the 2 cores with gunicorn and PostgreSQL; its CPU share is"
            " beside the ratio and in the per-run tables, and a ratio is refused when the client used more"
            f" than {CLIENT_CAP_CORES} of a core in either run."
            if s.get("client", "httpx") == "wrk"
            else f"- Client: asyncio + httpx on the same machine, {s['concurrency']} concurrent simulated users, one"
            " httpx client (cookie jar) per pupil, no think time. The client shares the 2 cores with gunicorn"
            " and PostgreSQL; its CPU share is beside the ratio and in the per-run tables."
        ),
        f"- Per run: the floor and the pupil flow for {s['duration']:.0f} s each (order alternates), after a"
        f" {s['warmup']:.0f} s warm-up of each. {s['runs']} runs; tables show the median over runs."
        " Throughput counts requests finished inside the timed window; users in flight at the end finish"
        " (up to 30 s more; their latencies are counted, and any still running then are stopped and reported as"
        " cut off) so that the lost/duplicate check sees every acknowledged submit.",
        '- End-to-end latency is what the client saw (queueing for one of the 2 sync workers included); "in'
        ' Django" is the worker\'s own time for the request and "CPU ms" its mean CPU time, both from a'
        " bench-only outermost middleware (`bench/middleware.py`, `X-Bench-Server` header).",
        "- Floor (`bench/floor.py`): GET a small form with a CSRF token, POST 34 answers that are validated"
        " and stored as one row with one raw `INSERT`, same settings and middleware.",
        "- Lost = acknowledged by the server to the client but not in the database; duplicated = more than one"
        " response row for one pupil (or one acknowledgement twice). Checked against the database after"
        " every run.",
    ]
    flow = result.get("pupil_flow")
    if flow:
        out += [
            f"- Pupil request sequence (read from surveys/pupil): {flow['sequence']}. Answers are random valid"
            ' options read from each page\'s radio buttons (about 1 in 10 "Don\'t know" or "Prefer not to say").'
            " The load client does not fetch the CSS and JS: a browser has them cached after the first page"
            " (hashed names, long max-age); the page-weight table covers them.",
        ]
    out.append("")

    # Targets
    ratio = agg.get("ratio_pupil_to_floor")
    save_p95 = pupil["kinds"].get("save", {}).get("p95_ms") if pupil else None
    lost_dup = (pupil["lost"] + pupil["duplicated"]) if pupil else None
    pw = result.get("pageweight")
    pw_ok = None
    if pw and pw.get("pages"):
        pw_ok = all(p["total_bytes"] < 50 * 1024 and p["requests"] <= 4 for p in pw["pages"])
    lh = result.get("lighthouse")
    lh_ok = None
    if lh and lh.get("pages"):
        lh_ok = all(
            p["scores"].get("accessibility") == 100
            and p["scores"].get("best-practices") == 100
            and (p["scores"].get("performance") or 0) >= 95
            for p in lh["pages"]
        )
    out += ["## Targets (issue 4, Performance)", "", "| target | measured | verdict |", "|---|---|---|"]
    capped = client_capped(agg)
    floor_client, pupil_client = _client_cores(agg)
    verdict = _verdict(None if ratio is None else ratio >= 0.5)
    if capped:
        verdict = (
            f"**refused**: the load client used more than {CLIENT_CAP_CORES} of a core, so it may have set the pace"
        )
    out.append(
        "| pupil request throughput >= 0.5 x floor | "
        + (
            f"{pupil['requests_per_second']:.0f} / {floor['requests_per_second']:.0f} req/s = {ratio:.2f}"
            + (
                " (per run, pupil run ÷ floor run of the same run: "
                + ", ".join(f"{x:.2f}" for x in agg.get("ratio_per_run", []))
                + ")"
                if agg.get("ratio_per_run")
                else ""
            )
            + f"; client CPU {floor_client:.2f} of a core during the floor, {pupil_client:.2f} during the pupil flow"
            if ratio is not None
            else "–"
        )
        + f" | {verdict} |"
    )
    survey = _per_survey(result.get("diagnostics"))
    if pupil:
        steady = (
            f" (acknowledged in the timed window; at steady state {pupil['requests_per_second']:.0f} req/s ÷"
            f" {survey['requests']} requests per survey = {pupil['requests_per_second'] / survey['requests']:.1f};"
            " a survey started near the end of the window is not finished inside it)"
            if survey
            else ""
        )
        out.append(
            f"| (reported) completed surveys per second, closed loop | {pupil['completions_per_second']:.1f}{steady}"
            + (
                f"; per completed survey: {survey['requests']} requests, {survey['statements']} SQL statements"
                f" ({survey['transaction_control']} of them BEGIN, COMMIT or savepoints), {survey['commits']} commits"
                if survey
                else ""
            )
            + " | – |"
        )
    for paced in _paced_runs(result):
        paced_save = paced.get("kinds", {}).get("save")
        if not paced_save:
            continue
        low, high = paced["think_seconds"]
        pupils = paced.get("pupils", s["concurrency"])
        label = f"page save p95 < 100 ms at {pupils} concurrent pupils (each taking {low:g}-{high:g} s per answer)"
        if pupils != s["concurrency"]:
            label = f"(headroom) {label}: a whole year group at once"
        out.append(f"| {label} | {paced_save['p95_ms']:.0f} ms | {_verdict(paced_save['p95_ms'] < 100)} |")
    floor_post_p95 = (floor or {}).get("kinds", {}).get("floor_post", {}).get("p95_ms")
    out.append(
        f"| (stress) page save p95 < 100 ms with {s['concurrency']} clients that never pause (closed loop) | "
        + (f"{save_p95:.0f} ms" if save_p95 is not None else "–")
        + (
            f"; the bare floor view's POST in the same runs: {floor_post_p95:.0f} ms"
            if floor_post_p95 is not None
            else ""
        )
        + f" | {_verdict(None if save_p95 is None else save_p95 < 100)}: queueing for 2 workers (see Findings) |"
    )
    server_save = pupil["kinds"].get("save", {}).get("server_p95_ms") if pupil else None
    if server_save is not None:
        out.append(
            f"| (diagnostic) page save p95 inside Django, closed loop | {server_save:.0f} ms"
            " | time served, without the queue for a worker |"
        )
    out.append(
        "| zero lost, zero duplicated responses | "
        + (
            f"lost {pupil['lost']}, duplicated {pupil['duplicated']} of {pupil['acknowledged']} acknowledged"
            if pupil
            else "–"
        )
        + f" | {_verdict(None if lost_dup is None else lost_dup == 0)} |"
    )
    if pw and pw.get("pages"):
        worst = max(pw["pages"], key=lambda p: p["total_bytes"])
        most = max(p["requests"] for p in pw["pages"])
        measured = f"largest {worst['total_bytes'] / 1024:.1f} KB ({worst['name']}); most requests {most}"
    else:
        measured = "–"
    out.append(f"| survey page < 50 KB in <= 4 requests | {measured} | {_verdict(pw_ok)} |")
    if lh and lh.get("pages"):
        measured = "; ".join(
            f"{p['name']}: A11y {p['scores'].get('accessibility')}, BP {p['scores'].get('best-practices')},"
            f" Perf {p['scores'].get('performance')}"
            for p in lh["pages"]
        )
    else:
        measured = (lh or {}).get("error", "–")
    out.append(
        f"| Lighthouse mobile: accessibility 100, best practices 100, performance >= 95 | {measured} |"
        f" {_verdict(lh_ok)} |"
    )
    out.append("")
    if floor and pupil:
        other = max(floor["other_cores"], pupil["other_cores"])
        out += [
            f"Server CPU per request (gunicorn workers + their PostgreSQL backends, from /proc): pupil flow"
            f" **{pupil['server_cpu_ms_per_request']:.1f} ms**, floor **{floor['server_cpu_ms_per_request']:.1f} ms**"
            f" (ratio {floor['server_cpu_ms_per_request'] / pupil['server_cpu_ms_per_request']:.2f}). The load client"
            f" used {floor['client_cpu_share']:.2f} cores during the floor runs and {pupil['client_cpu_share']:.2f}"
            " during the pupil runs.",
            "",
        ]
        if other > 0.3:
            out += [
                f"**Caveat: the machine was shared.** Other processes (other people's test suites) used up to"
                f" {other:.2f} of the {result['machine']['nproc']} cores during the timed runs (per-run tables), so"
                " gunicorn got only part of the machine: absolute throughputs are lower and latencies higher"
                " than this machine gives when idle. The pupil/floor ratio (same client, same minute, alternating"
                " order) and the CPU cost per request are the more robust figures.",
                "",
            ]

    for name, title in (("pupil", "Pupil flow"), ("floor", "Floor (bare view storing one 34-answer response)")):
        data = agg.get(name)
        out += [f"## {title}", ""]
        if not data:
            out += ["Not measured (see notes).", ""]
            continue
        out += [
            f"Median of {data['runs']} runs: **{data['requests_per_second']:.1f} requests/s**,"
            f" **{data['completions_per_second']:.1f} completions/s**"
            + (" (a completion is one pupil from join to final submit)" if name == "pupil" else " (GET + POST pairs)")
            + f"; request errors {data['request_errors']}, failed users {data['failed_users']},"
            f" users cut off at the time limit {data['cut_off_users']},"
            f" lost {data['lost']}, duplicated {data['duplicated']}. Server CPU per request (gunicorn +"
            f" PostgreSQL): **{data['server_cpu_ms_per_request']:.1f} ms**; other work on the machine used"
            f" {data['other_cores']:.2f} of {result['machine']['nproc']} cores meanwhile.",
            "",
            *_kinds_table(data["kinds"]),
            "",
            "Per run:",
            "",
            *_runs_table(result["runs"], name),
            "",
        ]
        errors: dict = {}
        for run in result["runs"]:
            for key, count in run.get(name, {}).get("errors", {}).items():
                errors[key] = errors.get(key, 0) + count
        if errors:
            out += ["Errors over all runs: " + ", ".join(f"{k} x{v}" for k, v in sorted(errors.items())), ""]
        if name == "pupil":
            integ = [run["pupil"]["integrity"] for run in result["runs"] if "pupil" in run]
            if integ:
                last = integ[-1]
                out += [
                    "Database check (last run): "
                    + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in last.items())
                    + ".",
                    "",
                ]

    for paced in _paced_runs(result):
        low, high = paced["think_seconds"]
        pupils = paced.get("pupils", s["concurrency"])
        out += [
            f"## Pupil flow at a pupil's pace: {pupils} pupils (one run)",
            "",
            f"{pupils} simulated pupils, each waiting {low:g} to {high:g} s (uniform) before"
            " every answer it sends (join code, card code, assent and every page), for"
            f" {paced['window_seconds']:.0f} s; pupils not finished 5 s after that are stopped. Real pupils read"
            " and answer a page of five questions in well over 10 s, so this is a fast class: it shows latency"
            " when the server is not saturated, where the closed-loop runs above show it at saturation."
            f" {paced['requests_per_second']:.1f} requests/s; request errors {paced['error_count']}, lost"
            f" {paced['integrity']['lost']}, duplicated {paced['integrity']['duplicated']}.",
            "",
            *_kinds_table(paced["kinds"]),
            "",
        ]
    diag = result.get("diagnostics")
    if diag:
        out += [
            "## Diagnostics: SQL queries per request (one pupil, in process, bench database)",
            "",
            "| step | status | queries | server ms (in process, shared machine) |",
            "|---|---:|---:|---:|",
        ]
        for step in diag["steps"]:
            out.append(
                f"| {step['step']} {step['method']} {step['url']} | {step['status']} | {step['queries']} | {step['ms']:.1f} |"
            )
        out.append("")
        shown = set()
        for step in diag["steps"]:
            if step["step"] in ("page", "save") and step["url"] not in shown and step["queries"]:
                if step["step"] == "page" and "/q/1/" in step["url"]:
                    continue
                shown.add(step["url"])
                shown.add(step["step"])
                out += [
                    f"<details><summary>The {step['queries']} statements of {step['method']} {step['url']}</summary>",
                    "",
                    "```sql",
                    *[sql[:160] for sql in step["sql"]],
                    "```",
                    "</details>",
                    "",
                ]
            if {"page", "save"} <= shown:
                break
        if diag.get("experiments"):
            out += [
                "What-if for the question page GET (in the diagnostics process only; no project file changed):",
                "",
                "| variant | CPU ms per request | wall ms | queries |",
                "|---|---:|---:|---:|",
                *[
                    f"| {e['variant']} | {e['cpu_ms']:.1f} | {e['wall_ms']:.1f} | {e['queries']} |"
                    for e in diag["experiments"]
                ],
                "",
            ]
        for label, prof in diag.get("profiles", {}).items():
            out += [
                f"<details><summary>CPU profile of the {label} request ({prof['runs']} request(s),"
                f" {prof['cpu_ms_per_request']:.1f} ms CPU each with the profiler on)</summary>",
                "",
                "```",
                *prof["top"][:20],
                "```",
                "</details>",
                "",
            ]
    gain = result.get("sql_gain")
    if gain:
        out += [
            "## The hand-written statements against the ORM (surveys/pupil/sql.py, in process)",
            "",
            "Each statement the pupil path writes by hand beside the ORM queryset that does the same work,"
            " against the bench database after the load runs (`bench/sql_gain.py`: 7 interleaved rounds of 200"
            " calls, median; writes rolled back). CPU is this process's (the Python side, where the ORM's"
            " query compile and instance building cost); wall time includes PostgreSQL's.",
            "",
            "| statement | ORM CPU ms | sql.py CPU ms | saved CPU ms per call | ORM wall ms | sql.py wall ms |",
            "|---|---:|---:|---:|---:|---:|",
            *[
                f"| {r['statement']} | {r['orm_cpu_ms']:.3f} | {r['sql_cpu_ms']:.3f} | {r['saved_cpu_ms']:.3f}"
                f" | {r['orm_wall_ms']:.3f} | {r['sql_wall_ms']:.3f} |"
                for r in gain
            ],
            "",
        ]
    if pw:
        out += ["## Page weight (headless Chromium, cold cache, one pupil)", ""]
        if pw.get("pages"):
            out += [
                "| page | requests | HTML bytes | CSS bytes | JS bytes | other | total transferred | <50 KB & <=4 |",
                "|---|---:|---:|---:|---:|---:|---:|---|",
            ]
            for p in pw["pages"]:
                ok = p["total_bytes"] < 50 * 1024 and p["requests"] <= 4
                out.append(
                    f"| {p['name']} | {p['requests']} | {p['bytes']['html']} | {p['bytes']['css']} | {p['bytes']['js']}"
                    f" | {p['bytes']['other']} | {p['total_bytes']} ({p['total_bytes'] / 1024:.1f} KB)"
                    f" | {'yes' if ok else 'no'} |"
                )
            out.append("")
        if pw.get("transitions"):
            out += [
                "Moving through the survey (warm cache, as a pupil clicks on):",
                "",
                "| step | requests (network) | served from cache | bytes transferred | requests |",
                "|---|---:|---:|---:|---|",
            ]
            for t in pw["transitions"]:
                listed = ", ".join(f"{x['method']} {x['path']} {x['status']}" for x in t["list"])
                out.append(f"| {t['name']} | {t['requests']} | {t['from_cache']} | {t['total_bytes']} | {listed} |")
            out.append("")
        out += [f"- {line}" for line in pw.get("notes", [])]
        out.append("")
    if lh:
        out += ["## Lighthouse (mobile profile, Debian Chromium headless)", ""]
        if lh.get("pages"):
            out += [
                "| page | performance | accessibility | best practices | failing audits |",
                "|---|---:|---:|---:|---|",
            ]
            for p in lh["pages"]:
                sc = p["scores"]
                out.append(
                    f"| {p['name']} | {sc.get('performance')} | {sc.get('accessibility')} | {sc.get('best-practices')}"
                    f" | {', '.join(p.get('failing', [])) or '–'} |"
                )
            out.append("")
        out += [f"- {line}" for line in lh.get("notes", [])]
        if lh.get("error"):
            out.append(f"- {lh['error']}")
        out.append("")
    if before:
        out += render_comparison(before, result)
    if result.get("notes"):
        out += ["## Run notes", "", *[f"- {n}" for n in result["notes"]], ""]
    if NOTES.exists():
        out += [NOTES.read_text().strip(), ""]
    out += [
        "## How to run",
        "",
        "`make bench` (about 4 to 6 minutes; needs PostgreSQL on 127.0.0.1:5432 as user `postgres`,"
        " Debian's `/usr/bin/chromium`, and npm for Lighthouse). Options: `.venv/bin/python bench/run.py"
        " --help` (e.g. `--runs 5 --duration 30`, `--no-lighthouse`, `--targets floor`, `--client httpx`,"
        " `--source <commit>`, `--before bench/out/<run>-all.json`). The closed-loop client is wrk"
        " (`apt-get install wrk`; see bench/notes.md).",
        "",
    ]
    if OUTCOMES.exists():
        # bench/outcomes_bench.py keeps its own section (between its markers) here and in
        # bench/outcomes_results.md; this file is rewritten by bench/run.py, so carry it over.
        out += [
            "The outcomes engine's benchmark (`make bench-outcomes`) is in"
            " [bench/outcomes_results.md](outcomes_results.md), copied here:",
            "",
            OUTCOMES.read_text().strip(),
            "",
        ]
    return "\n".join(out)
