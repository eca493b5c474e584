"""``python bench/reports_bench.py``: outcome report (PDF) render times on the synthetic
region of bench/outcomes_bench.py, appended to bench/outcomes_results.md ("Outcome
reports (PDF)" section).

It reuses outcomes_bench's database machinery and data generator on its own database
(``upstream_bench_reports``, or ``BENCH_OUTCOMES_DB``): drop, create, migrate, generate the
region (100,000 pupils, 3,500 classes, 490 schools, about 6 million answers), rebuild the
rollups; then, each in a fresh process, renders the regional programme report and the
report of the school with the most classes, ``--runs`` times, and records the median.
A render is what the Celery task does: every figure through ``outcomes.selectors``
(``content.build``), the template, WeasyPrint's layout and the PDF bytes.
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


def child_render(kind: str, calls: int) -> dict:  # runs in a fresh process
    import django

    started = time.perf_counter()
    django.setup()
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
    times, stages = [], []
    size = pages = 0
    statements = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    for i in range(calls):
        marks: dict[str, float] = {}
        started = time.perf_counter()

        def on_stage(text, _percent, marks=marks, started=started):
            marks[text] = time.perf_counter() - started

        if i == 0:
            with connection.execute_wrapper(count):
                data, pages = render.report_pdf(report, on_stage=on_stage)
        else:
            data, pages = render.report_pdf(report, on_stage=on_stage)
        times.append(time.perf_counter() - started)
        stages.append(marks)
        size = len(data)
    return {
        "kind": kind,
        "first_s": times[0],
        "warm_s": statistics.median(times[1:]) if len(times) > 1 else times[0],
        "times_s": times,
        "stages": stages[0],
        "setup_s": setup_s,
        "pages": pages,
        "bytes": size,
        "queries": len(statements),
        "school_classes": ClassPair.objects.filter(school_id=school.pk, compare="post").count() if school else None,
    }


def render_section(result: dict) -> str:
    m = result["machine"]
    lines = [
        BEGIN,
        "## Outcome reports (PDF, issue 9)",
        "",
        "Written by `python bench/reports_bench.py` (bench/reports_bench.py); raw JSON in `bench/out/reports-*.json`.",
        "",
        f"- Date: {result['started']} to {result['finished']} (UTC); code: HEAD {m['head']}",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; Linux {m['kernel']}; Python {m['python']}; "
        f"PostgreSQL {m['postgresql']} (shared_buffers {m['shared_buffers']}, work_mem {m['work_mem']})",
        f"- The 2 cores are shared with other helpers' work (tests, other benchmarks); load average at the start: "
        f"{', '.join(f'{x:.1f}' for x in m['loadavg'])}.",
        "- Data: the synthetic region of `make bench-outcomes`: {pupils:,} pupils in {classes:,} classes at {schools} "
        "schools in {authorities} local authorities; {answers:,} answers; {class_rollups:,} class and {area_rollups:,} "
        "area rollup rows.".format(**result["data"]),
        f"- Runs: {result['runs']} fresh processes per report, median of the first render in each (the first call "
        "opens the database connection and warms WeasyPrint's fonts); warm = median of the further renders in the same "
        "process. Process start (Django, SciPy, statsmodels, WeasyPrint imports) is not counted.",
        "",
        "| target | measured (median, first render in a fresh process) | per run | warm | verdict |",
        "|---|---|---|---|---|",
    ]
    for kind, label in (("school", "school report"), ("regional", "regional programme report")):
        runs = result[kind]
        first = statistics.median(r["first_s"] for r in runs)
        warm = statistics.median(r["warm_s"] for r in runs)
        target = TARGETS[kind]
        verdict = "**met**" if first < target else "**not met**"
        per = ", ".join(f"{r['first_s']:.2f} s" for r in runs)
        lines.append(f"| {label} < {target:.0f} s | {first:.2f} s | {per} | {warm:.2f} s | {verdict} |")
    lines.append("")
    for kind in ("school", "regional"):
        r = result[kind][0]
        stages = ", ".join(f"{name.lower()} at {t * 1000:.0f} ms" for name, t in r["stages"].items())
        extra = f", the school with the most classes ({r['school_classes']})" if r["school_classes"] else ""
        lines.append(
            f"- {kind.capitalize()} report{extra}: {r['pages']} pages, {r['bytes'] / 1024:.0f} KiB, "
            f"{r['queries']} SQL statements; stages of the first run: {stages}, done at {r['first_s'] * 1000:.0f} ms."
        )
    build = {
        k: statistics.median(r["stages"]["Laying out the pages"] for r in result[k]) for k in ("school", "regional")
    }
    first = {k: statistics.median(r["first_s"] for r in result[k]) for k in ("school", "regional")}
    lines += [
        "",
        "Where the time goes (medians of the first renders): reading every figure through `outcomes.selectors`, "
        f"the charts and the template take {build['school'] * 1000:.0f} ms (school) and "
        f"{build['regional'] * 1000:.0f} ms (regional); the rest, {first['school'] - build['school']:.1f} s and "
        f"{first['regional'] - build['regional']:.1f} s, is WeasyPrint laying out and writing the pages (tables "
        "and inline SVG charts), the regional report's change by lessons delivered included (read from the "
        "area rollups' dose rows).",
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
        result[kind] = []
        for i in range(args.runs):
            done = ob.run([sys.executable, __file__, "_render", kind, str(args.calls)], timeout=600)
            result[kind].append(json.loads(done.stdout.strip().splitlines()[-1]))
            ob.log(f"{kind} {i + 1}/{args.runs}: {result[kind][-1]['first_s']:.2f} s")
    result["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    ob.OUT.mkdir(exist_ok=True)
    (ob.OUT / f"reports-{result['started'].replace(':', '')}.json").write_text(
        json.dumps(result, indent=2, default=str)
    )
    text = render_section(result)
    print(text) if args.no_write else write_results(text)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_render":
        print(json.dumps(child_render(sys.argv[2], int(sys.argv[3])), default=str))
    else:
        main()
