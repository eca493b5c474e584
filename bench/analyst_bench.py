"""Time the analyst export (outcomes.analyst) on a synthetic region, read only.

Make the region first with the outcomes benchmark's generator, in a database of its own::

    createdb upstream_analyst_bench
    export DJANGO_SETTINGS_MODULE=bench.settings PYTHONPATH=. \\
        BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/upstream_analyst_bench
    python manage.py migrate && python manage.py createcachetable
    python bench/outcomes_bench.py _child setup 20000 700     # pupils, classes
    python bench/analyst_bench.py

Prints the time to read the matched pupils, the k-anonymity check, the whole export, the
ZIP, the coarsening report and the peak memory. Results: bench/analyst_results.md.
"""

from __future__ import annotations

import io
import os
import resource
import time

import django

django.setup()

from outcomes import analyst  # noqa: E402
from outcomes.stats import kanon  # noqa: E402


def main() -> None:
    resolved = analyst.parse_filters({"programme": os.environ.get("BENCH_PROGRAMME", "choices-and-voices")})
    started = time.perf_counter()
    responses = analyst.workload(resolved)
    pairs, _scales = analyst.read_pairs(resolved)
    read = time.perf_counter()
    result = kanon.anonymise([analyst._record(pair) for pair in pairs])
    checked = time.perf_counter()
    made = analyst.build_export(resolved)
    built = time.perf_counter()
    buffer = io.BytesIO()
    analyst.write_zip(made, buffer)
    zipped = time.perf_counter()
    report = result.report
    print(f"responses {responses}, matched pupils {len(pairs)}, rows {len(made.rows)}")
    print(
        f"read {read - started:.1f} s, k-anonymity {checked - read:.2f} s, whole export {built - checked:.1f} s, "
        f"zip {zipped - built:.2f} s ({len(buffer.getvalue()) / 1e6:.2f} MB)"
    )
    print(f"as recorded {report.unchanged}, coarsened {report.coarsened_records}, dropped {report.dropped}")
    for (name, how), n in report.coarsened.items():
        print(f"  {name}: {how}: {n}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB, load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
