"""The table by lessons delivered (the dose breakdown) for the whole region, in process, on
the outcomes benchmark's synthetic region (``make bench-outcomes`` builds the database).

Two tables, each built the way it is now (region and local-authority dose cells from the
area rollups' ``dose`` rows) and the old way (every class rollup added up by its class's
dose band, what the selectors did before; forced here by making them read class rollups):

- the dashboard's (all programmes, no filter, region and local authorities:
  ``dashboard.dose_filter`` of the default view);
- the regional PDF report's (the programme and academic year, the region:
  ``reports.content.dose_filters``).

One warm-up call of each, then ``--runs`` timed calls; wall and CPU time (this process)
per call, the medians, the load average, and whether the two ways gave the same rows (a
check, not a timing). Prints JSON.

``--plan-change`` also times what the ``lesson_plan_changed`` consumer does for the whole
programme (``services.pairs_dose_refresh``): once with nothing to change, then with one
lesson taken out of the plan (every class's planned count moves, many bands move, every
area is recomputed), then with it put back. It changes the bench database and restores it.

    REDIS_URL=redis://127.0.0.1:6379/0 BENCH_OUTCOMES_DB=upstream_bench_outcomes \\
        python bench/dose_bench.py --runs 5 --old-runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
os.environ.setdefault(
    "BENCH_DATABASE_URL",
    f"{os.environ.get('BENCH_PG', 'postgres://postgres@127.0.0.1:5432')}/"
    f"{os.environ.get('BENCH_OUTCOMES_DB', 'upstream_bench_outcomes')}",
)
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from outcomes import dashboard, selectors  # noqa: E402
from outcomes.filters import OutcomeFilter  # noqa: E402
from outcomes.models import AreaRollup, ClassPair, ClassRollup  # noqa: E402
from outcomes.reports.content import dose_filters, report_filters  # noqa: E402

PROGRAMME_SLUG = "choices-and-voices"


def _timed(build, runs: int) -> dict:
    build()  # warm-up: connection, imports, PostgreSQL's cache
    wall, cpu = [], []
    table = None
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        table = build()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return {
        "median_ms": round(1000 * statistics.median(wall)),
        "cpu_median_ms": round(1000 * statistics.median(cpu)),
        "wall_ms": [round(1000 * w) for w in wall],
        "cpu_ms": [round(1000 * c) for c in cpu],
        "rows": len(table.rows) if table else 0,
        "table": table,
    }


def _old_way(build):
    def run():
        saved = selectors._reads_class_rollups
        selectors._reads_class_rollups = lambda levels, breakdown: True
        try:
            return build()
        finally:
            selectors._reads_class_rollups = saved

    return run


def _rows(table) -> list[tuple]:
    return [
        (
            r.programme,
            r.scope,
            r.scope_id,
            r.scale,
            r.subgroup,
            r.suppressed,
            r.figures.n_matched if r.figures else None,
            round(r.figures.summary.mean_change, 9)
            if r.figures and r.figures.summary.mean_change is not None
            else None,
        )
        for r in table.rows
    ]


def plan_change() -> dict:
    from lessons.models import LessonPage, ProgrammePage
    from outcomes.services import pairs_dose_refresh

    programme = ProgrammePage.objects.get(slug=PROGRAMME_SLUG)
    lesson = LessonPage.objects.live().filter(path__startswith=programme.path, depth=programme.depth + 1).last()
    found = {}

    def timed(name: str) -> None:
        started, started_cpu = time.perf_counter(), time.process_time()
        outcome = pairs_dose_refresh(programme_ids=[programme.pk])
        found[name] = {
            "ms": round(1000 * (time.perf_counter() - started)),
            "cpu_ms": round(1000 * (time.process_time() - started_cpu)),
            "pairs": outcome.refreshed,
            "changed": outcome.changed,
        }

    timed("nothing_changed")
    # Out of the plan without Wagtail's signal (no outbox message): the call below is the consumer's work.
    LessonPage.objects.filter(pk=lesson.pk).update(live=False)
    try:
        timed("one_lesson_unpublished")
    finally:
        LessonPage.objects.filter(pk=lesson.pk).update(live=True)
    timed("republished")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--old-runs", type=int, default=3, help="timed calls the old way (slow); 0 to skip")
    parser.add_argument("--plan-change", action="store_true", help="also time pairs_dose_refresh for the programme")
    args = parser.parse_args()

    year = ClassPair.objects.filter(programme__slug=PROGRAMME_SLUG).values_list("academic_year", flat=True).first()
    board = dashboard.dose_filter(dashboard.parse({}))
    report = OutcomeFilter.parse(
        **dose_filters(report_filters(kind="regional", programme=PROGRAMME_SLUG, academic_year=year), top="region")
    ).resolve()
    result: dict = {
        "load_average_start": os.getloadavg(),
        "class_rollups": ClassRollup.objects.count(),
        "area_rollups": AreaRollup.objects.count(),
        "area_dose_rows": AreaRollup.objects.filter(dimension="dose").count(),
    }
    for name, resolved in (("dashboard", board), ("regional_report", report)):
        now = _timed(lambda resolved=resolved: selectors.outcome_table(resolved), args.runs)
        entry = {"area_rollups": {k: v for k, v in now.items() if k != "table"}}
        if args.old_runs:
            old = _timed(_old_way(lambda resolved=resolved: selectors.outcome_table(resolved)), args.old_runs)
            entry["class_rollups"] = {k: v for k, v in old.items() if k != "table"}
            entry["same_rows"] = _rows(now["table"]) == _rows(old["table"])
        result[name] = entry
    if args.plan_change:
        result["plan_change"] = plan_change()
    result["load_average_end"] = os.getloadavg()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
