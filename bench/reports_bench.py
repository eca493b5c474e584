"""``python bench/reports_bench.py``: outcome report (PDF) render times on the synthetic
region of bench/outcomes_bench.py, appended to bench/outcomes_results.md ("Outcome
reports (PDF)" section).

It reuses outcomes_bench's database machinery and data generator on its own database
(``upstream_bench_reports``, or ``BENCH_OUTCOMES_DB``): drop, create, migrate, generate the
region (100,000 pupils, 3,500 classes, 490 schools, about 6 million answers), rebuild the
rollups; then, each in a fresh process, renders the regional programme report and the
report of the school with the most classes, ``--runs`` times, and records the median.
A render is what the Celery task does: every figure through ``outcomes.selectors``
(``content.build``), the charts, the template, WeasyPrint's layout and the PDF bytes.

What is measured, per report and run, in two kinds of fresh process:

- ``worker``: what a user waits for in a running worker. The process first calls
  ``render.warm_up()``, as every Celery worker process does when it starts
  (``worker_process_init``, outcomes/reports/tasks.py); its time is recorded apart
  (``warm_up_s``), then the first render is timed. This is the headline figure.
- ``no warm-up``: the first render in a process that has done nothing but import
  (what the first report after a worker starts would cost without the warm-up, and what
  this benchmark measured before the warm-up existed).

Before every render Django's cache (the bench database's cache table) is emptied, so
every chart is drawn again: the case of a report asked for just after the data version
moved, the slowest one. Wall time (``time.perf_counter``) and the process's own CPU time
(``time.process_time``, which other processes on the shared machine do not inflate as much)
are both recorded, with the load average when each process started. Process start
(Django, SciPy, statsmodels, WeasyPrint imports) is not counted.
``--keep-data`` reuses the database.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("BENCH_OUTCOMES_DB", "upstream_bench_reports")
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from bench import outcomes_bench as ob  # noqa: E402

RESULTS = BENCH / "outcomes_results.md"
BEGIN, END = "<!-- reports-bench:begin -->", "<!-- reports-bench:end -->"
TARGETS = {"school": 2.0, "regional": 5.0}


def child_render(kind: str, calls: int, mode: str) -> dict:  # runs in a fresh process
    import django

    loadavg = list(os.getloadavg())
    started = time.perf_counter()
    django.setup()
    from django.core.cache import cache

    from outcomes.reports import content, render  # noqa: F401 - imported as a worker would

    setup_s = time.perf_counter() - started
    from django.db import connection
    from django.db.models import Count

    from accounts.models import School
    from lessons.models import ProgrammePage
    from outcomes.models import ClassPair
    from outcomes.reports.content import report_filters
    from outcomes.reports.models import OutcomeReport
    from outcomes.selectors import data_versions

    programme = ProgrammePage.objects.get(slug=ob.PROGRAMME_SLUG)
    year = ClassPair.objects.filter(programme_id=programme.pk).values_list("academic_year", flat=True).first()
    school = None
    if kind == "school":
        top = (
            ClassPair.objects.filter(programme_id=programme.pk, compare="post")
            .values("school_id")
            .annotate(n=Count("id"))
            .order_by("-n", "school_id")
            .first()
        )
        school = School.objects.get(pk=top["school_id"])
    filters = report_filters(
        kind=kind, programme=programme.slug, academic_year=year, school_urn=school.urn if school else None
    )
    report = OutcomeReport(
        kind=kind,
        scope_key="region" if school is None else f"school:{school.urn}",
        filter_key="bench",
        filters=filters,
        data_version=data_versions([programme.pk])[programme.pk],
        programme=programme,
        academic_year=year,
        school=school,
    )
    warm_up_s = warm_up_cpu_s = None
    if mode == "worker":
        cpu = time.process_time()
        warm_up_s = render.warm_up()
        warm_up_cpu_s = time.process_time() - cpu
    times, cpu_times, stages = [], [], []
    size = pages = 0
    statements = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    for i in range(calls):
        cache.clear()  # every chart drawn again (module docstring)
        marks: dict[str, float] = {}
        cpu = time.process_time()
        started = time.perf_counter()

        def on_stage(text, _percent, marks=marks, started=started):
            marks[text] = time.perf_counter() - started

        if i == 0:
            with connection.execute_wrapper(count):
                data, pages = render.report_pdf(report, on_stage=on_stage)
        else:
            data, pages = render.report_pdf(report, on_stage=on_stage)
        times.append(time.perf_counter() - started)
        cpu_times.append(time.process_time() - cpu)
        stages.append(marks)
        size = len(data)
    return {
        "kind": kind,
        "mode": mode,
        "loadavg": loadavg,
        "warm_up_s": warm_up_s,
        "warm_up_cpu_s": warm_up_cpu_s,
        "first_s": times[0],
        "first_cpu_s": cpu_times[0],
        "warm_s": statistics.median(times[1:]) if len(times) > 1 else times[0],
        "warm_cpu_s": statistics.median(cpu_times[1:]) if len(cpu_times) > 1 else cpu_times[0],
        "times_s": times,
        "cpu_times_s": cpu_times,
        "stages": stages[0],
        "setup_s": setup_s,
        "pages": pages,
        "bytes": size,
        "queries": len(statements),
        "school_classes": ClassPair.objects.filter(school_id=school.pk, compare="post").count() if school else None,
    }


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def render_section(result: dict) -> str:
    m = result["machine"]
    loads = [r["loadavg"][0] for k in ("school", "regional") for r in result[k] + result[f"{k}_no_warm_up"]]
    lines = [
        BEGIN,
        "## Outcome reports (PDF, issue 9)",
        "",
        "Written by `python bench/reports_bench.py` (bench/reports_bench.py, whose docstring says exactly what is "
        "timed); raw JSON in `bench/out/reports-*.json`.",
        "",
        f"- Date: {result['started']} to {result['finished']} (UTC); code: HEAD {m['head']}",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; Linux {m['kernel']}; Python {m['python']}; "
        f"PostgreSQL {m['postgresql']} (shared_buffers {m['shared_buffers']}, work_mem {m['work_mem']})",
        f"- The 2 cores are shared with other helpers' work (tests, other benchmarks); 1-minute load average when "
        f"the benchmark started: {', '.join(f'{x:.1f}' for x in m['loadavg'])}; when each measuring process started: "
        f"{min(loads):.1f} to {max(loads):.1f}. Wall times grow with the load (the process gets a share of a core); "
        "CPU time (the process's own, `time.process_time`) less, but it rises too on these shared virtual cores: "
        "the same school render took 1.1 to 1.9 s of CPU across runs at load 5 to 7.6.",
        "- Data: the synthetic region of `make bench-outcomes`: {pupils:,} pupils in {classes:,} classes at {schools} "
        "schools in {authorities} local authorities; {answers:,} answers; {class_rollups:,} class and {area_rollups:,} "
        "area rollup rows.".format(**result["data"]),
        f"- Runs: {result['runs']} fresh processes per report and kind, median reported. **Worker**: the process "
        "first runs `render.warm_up()`, as each Celery worker process does when it starts (`worker_process_init`), "
        "then the first render is timed: what a user waits for once the task runs. **No warm-up**: the first render "
        "in a process that has only imported the code. **Further**: the median of the next renders in the worker "
        "process. Django's cache is emptied before every render, so every chart is drawn again (a report asked for "
        "just after the data version moved). Process start (imports) is not counted.",
        "",
        "| target | worker, first render: wall (CPU) | per run, wall (CPU) | no warm-up: wall (CPU) | further renders: "
        "wall (CPU) | warm-up at worker start: wall (CPU) | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind, label in (("school", "school report"), ("regional", "regional programme report")):
        runs, cold = result[kind], result[f"{kind}_no_warm_up"]
        first, first_cpu = _median(runs, "first_s"), _median(runs, "first_cpu_s")
        target = TARGETS[kind]
        if first < target:
            verdict = "**met**"
        elif first_cpu < target:
            verdict = "**not met in wall time** at this load; CPU time under the target"
        else:
            verdict = "**not met**"
        per = ", ".join(f"{r['first_s']:.2f} s ({r['first_cpu_s']:.2f})" for r in runs)
        lines.append(
            f"| {label} < {target:.0f} s | {first:.2f} s ({first_cpu:.2f} s) | {per} | "
            f"{_median(cold, 'first_s'):.2f} s ({_median(cold, 'first_cpu_s'):.2f} s) | "
            f"{_median(runs, 'warm_s'):.2f} s ({_median(runs, 'warm_cpu_s'):.2f} s) | "
            f"{_median(runs, 'warm_up_s'):.2f} s ({_median(runs, 'warm_up_cpu_s'):.2f} s) | {verdict} |"
        )
    lines.append("")
    for kind in ("school", "regional"):
        r = result[kind][0]
        stages = ", ".join(f"{name.lower()} at {t * 1000:.0f} ms" for name, t in r["stages"].items())
        extra = f", the school with the most classes ({r['school_classes']})" if r["school_classes"] else ""
        lines.append(
            f"- {kind.capitalize()} report{extra}: {r['pages']} pages, {r['bytes'] / 1024:.0f} KiB, "
            f"{r['queries']} SQL statements (with the chart cache's own reads and writes); stages of the first worker run: {stages}, done at "
            f"{r['first_s'] * 1000:.0f} ms."
        )
    total = {k: _median(result[k], "first_s") for k in ("school", "regional")}
    figures = {
        k: statistics.median(r["stages"]["Laying out the pages"] for r in result[k]) for k in ("school", "regional")
    }
    lines += [
        "",
        "Where the time goes (medians of the first worker renders): reading every figure through "
        f"`outcomes.selectors`, drawing the charts and the template take {figures['school'] * 1000:.0f} ms (school) "
        f"and {figures['regional'] * 1000:.0f} ms (regional); the rest, {total['school'] - figures['school']:.1f} s "
        f"and {total['regional'] - figures['regional']:.1f} s, is WeasyPrint parsing, styling, laying out and "
        "drawing the pages (tables and inline SVG charts) and writing the PDF. The profile and what each change "
        "saved are in docs/outcome-reports.md, section Render time. The regional report's change by lessons "
        "delivered is included (read from the area rollups' dose rows).",
        "",
        END,
    ]
    return "\n".join(lines) + "\n"


def write_results(text: str) -> None:
    """Replace this benchmark's section (between its markers) in bench/outcomes_results.md
    and in bench/RESULTS.md (which bench/run.py rewrites, copying outcomes_results.md in)."""
    for path in (RESULTS, BENCH / "RESULTS.md"):
        current = path.read_text() if path.exists() else ""
        if BEGIN in current and END in current:
            head, rest = current.split(BEGIN, 1)
            _, tail = rest.split(END, 1)
            current = head + text.rstrip("\n") + tail
        else:
            current = current.rstrip("\n") + "\n\n" + text
        path.write_text(current)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--calls", type=int, default=3, help="renders per process")
    parser.add_argument("--keep-data", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--render", metavar="JSON", help="only re-render the section from a saved run")
    args = parser.parse_args()
    if args.render:
        write_results(render_section(json.loads(Path(args.render).read_text())))
        return
    result: dict = {"started": datetime.now(UTC).isoformat(timespec="seconds"), "runs": args.runs}
    if not args.keep_data:
        ob.log(f"database {ob.DB_NAME}: drop, create, migrate")
        ob.fresh_database()
        ob.log("synthetic region: generating")
        ob.child("setup", "100000", "3500", timeout=3600)
        ob.log("rebuilding rollups")
        ob.run([sys.executable, "manage.py", "rebuild_outcomes", "--no-progress"], timeout=1800)
    ob.run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"], timeout=600)
    result["data"] = ob.child("counts")
    result["machine"] = ob.machine()
    for kind in ("school", "regional"):
        for mode, key in (("worker", kind), ("cold", f"{kind}_no_warm_up")):
            result[key] = []
            for i in range(args.runs):
                done = ob.run([sys.executable, __file__, "_render", kind, str(args.calls), mode], timeout=600)
                result[key].append(json.loads(done.stdout.strip().splitlines()[-1]))
                r = result[key][-1]
                ob.log(f"{key} {i + 1}/{args.runs}: {r['first_s']:.2f} s (CPU {r['first_cpu_s']:.2f} s)")
    result["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    ob.OUT.mkdir(exist_ok=True)
    (ob.OUT / f"reports-{result['started'].replace(':', '')}.json").write_text(
        json.dumps(result, indent=2, default=str)
    )
    text = render_section(result)
    print(text) if args.no_write else write_results(text)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_render":
        print(json.dumps(child_render(sys.argv[2], int(sys.argv[3]), sys.argv[4]), default=str))
    else:
        main()
