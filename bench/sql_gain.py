"""What the hand-written statements of surveys/pupil/sql.py save over the ORM, in process.

For each statement the pupil path sends by hand, the same work done through the ORM (the
queryset a newcomer would write), both run against the bench database with the bench
settings, in interleaved rounds (so a busy machine slows both alike); CPU time of this
process per call (``time.process_time``: the Python side, which is what the ORM adds) and
wall time per call (the database's share included). Writes run inside a transaction that
is rolled back. The result is printed as a Markdown table and written as JSON.

    DJANGO_SETTINGS_MODULE=bench.settings BENCH_DATABASE_URL=postgres://.../upstream_bench \\
        python bench/sql_gain.py OUT.json

bench/run.py runs it after the load runs (the database then has windows, responses and
answers to read).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django

django.setup()

from django.contrib.sessions.models import Session  # noqa: E402
from django.db import IntegrityError, transaction  # noqa: E402
from django.db.models import Max  # noqa: E402
from django.utils import timezone  # noqa: E402

from surveys.models import Answer, PageSave, Response, SurveyWindow  # noqa: E402
from surveys.pupil import sql  # noqa: E402


class Rollback(Exception):
    pass


def in_rolled_back_transaction(work):
    def run():
        try:
            with transaction.atomic():
                work()
                raise Rollback
        except Rollback:
            pass

    return run


def cases() -> list[tuple[str, object, object]]:
    response = Response.objects.filter(answers__isnull=False).order_by("-pk").first()
    if response is None:
        raise SystemExit("no response with answers in the bench database: run the load first")
    key = response.submission_key
    window_id = response.window_id
    items = list(Answer.objects.filter(response=response).values_list("item_id", flat=True)[:5])
    session = Session.objects.order_by("-expire_date").first()
    now = timezone.now()
    today = timezone.localdate()
    rows = [(response.pk, item, 3, "") for item in items]

    def orm_response():
        found = Response.objects.filter(submission_key=key).annotate(top_seq=Max("page_saves__client_seq")).first()
        found.answer_values = {
            code: value
            for code, value, _ in Answer.objects.filter(response=found).values_list("item__code", "value", "missing")
        }

    def orm_lock():
        SurveyWindow.objects.select_for_update(of=("self",)).select_related("instrument_version").get(pk=window_id)

    def orm_upsert():
        Answer.objects.bulk_create(
            [Answer(response_id=r, item_id=i, value=v, missing=m) for r, i, v, m in rows],
            update_conflicts=True,
            unique_fields=["response", "item"],
            update_fields=["value", "missing"],
        )

    seq = [10_000]

    def orm_page_save():
        seq[0] += 1
        try:
            with transaction.atomic():
                PageSave.objects.create(
                    response_id=response.pk, page_no=1, client_seq=seq[0], body_hash="b" * 64, saved_on=today
                )
        except IntegrityError:
            return
        PageSave.objects.filter(response_id=response.pk, page_no=1, client_seq__gt=seq[0]).exists()

    def sql_page_save():
        seq[0] += 1
        sql.page_save_insert(response_id=response.pk, page_no=1, client_seq=seq[0], body_hash="b" * 64, saved_on=today)

    found = [
        (
            "the response with its saved answers (every question page)",
            orm_response,
            lambda: sql.response_with_answers(key),
        ),
        (
            "the window under a row lock (every save)",
            in_rolled_back_transaction(orm_lock),
            in_rolled_back_transaction(lambda: sql.window_for_save(window_id)),
        ),
        (
            "the response for update (every save)",
            in_rolled_back_transaction(lambda: Response.objects.select_for_update().filter(submission_key=key).first()),
            in_rolled_back_transaction(lambda: sql.response_for_save(key)),
        ),
        (
            "a page's answers upserted (every save)",
            in_rolled_back_transaction(orm_upsert),
            in_rolled_back_transaction(lambda: sql.answers_upsert(rows)),
        ),
        (
            "the idempotency record and the newer-save check (every save)",
            in_rolled_back_transaction(orm_page_save),
            in_rolled_back_transaction(sql_page_save),
        ),
    ]
    if session is not None:
        found.append(
            (
                "the session read (every request with a cookie)",
                lambda: Session.objects.filter(session_key=session.session_key, expire_date__gt=now).first(),
                lambda: sql.session_load(session.session_key, now=now),
            )
        )
    return found


def measure(rounds: int = 7, per_round: int = 200) -> list[dict]:
    results = []
    uuid.uuid4()
    for label, orm, hand in cases():
        orm(), hand()  # warm: first compiles, connection
        cpu = {"orm": [], "sql": []}
        wall = {"orm": [], "sql": []}
        for _ in range(rounds):
            for name, work in (("orm", orm), ("sql", hand)):
                c, w = time.process_time(), time.perf_counter()
                for _ in range(per_round):
                    work()
                cpu[name].append((time.process_time() - c) * 1000 / per_round)
                wall[name].append((time.perf_counter() - w) * 1000 / per_round)
        orm_cpu, sql_cpu = statistics.median(cpu["orm"]), statistics.median(cpu["sql"])
        results.append(
            {
                "statement": label,
                "orm_cpu_ms": round(orm_cpu, 3),
                "sql_cpu_ms": round(sql_cpu, 3),
                "saved_cpu_ms": round(orm_cpu - sql_cpu, 3),
                "orm_wall_ms": round(statistics.median(wall["orm"]), 3),
                "sql_wall_ms": round(statistics.median(wall["sql"]), 3),
            }
        )
    return results


def table(results: list[dict]) -> str:
    lines = [
        "| statement | ORM CPU ms | surveys/pupil/sql.py CPU ms | saved CPU ms per call | ORM wall ms | sql.py wall ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['statement']} | {r['orm_cpu_ms']:.3f} | {r['sql_cpu_ms']:.3f} | {r['saved_cpu_ms']:.3f}"
            f" | {r['orm_wall_ms']:.3f} | {r['sql_wall_ms']:.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    results = measure()
    if len(sys.argv) > 1:
        Path(sys.argv[1]).write_text(json.dumps(results, indent=1))
    print(table(results))


if __name__ == "__main__":
    main()
