"""The steps bench/outcomes_bench.py runs in fresh processes (DJANGO_SETTINGS_MODULE=
bench.settings, the bench database). Each returns a JSON-able dict.

The synthetic region is generated in SQL, set-based (``INSERT ... SELECT`` over
``generate_series``), with foreign-key triggers off for the load (``session_replication_role
= replica``; every id is taken from rows just inserted). Random numbers come from
PostgreSQL's ``random()`` after ``setseed``; a pupil's underlying attitude per scale is a
hash of the pupil and the scale, so baseline and post answers correlate as real ones do.
"""

from __future__ import annotations

import io
import time

import django

_STARTED = time.perf_counter()
django.setup()
# A web process imports its views (and so the selectors, SciPy and statsmodels) when it
# starts: count that as start-up, not as the first table.
import outcomes.filters  # noqa: E402, F401
import outcomes.selectors  # noqa: E402, F401

SETUP_S = time.perf_counter() - _STARTED

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import School, User  # noqa: E402
from lessons.models import LessonDelivery, ProgrammePage, TeachingGroup  # noqa: E402
from outcomes.models import AreaRollup, ClassPair, ClassRollup, DataVersion  # noqa: E402
from surveys.models import (  # noqa: E402
    Answer,
    Instrument,
    InstrumentVersion,
    Item,
    Participant,
    Response,
    Scale,
    SurveyWindow,  # noqa: E402
)

PROGRAMME_SLUG = "choices-and-voices"
SCHOOLS = 490
SCALES = [
    ("violence_attitudes", "Attitudes to violence and weapons", False),
    ("bystander", "Confidence to help as a bystander", True),
    ("help_seeking", "Willingness to seek help", True),
    ("feeling_safe", "Feeling safe at school and nearby", True),
    ("belonging", "Belonging at school", True),
]
ITEMS_PER_SCALE = 7
POST_SHIFT = {"violence_attitudes": -0.3, "bystander": 0.3, "help_seeking": 0.2, "feeling_safe": 0.1, "belonging": 0.0}


def t(name: str) -> str:
    return {
        "school": School._meta.db_table,
        "group": TeachingGroup._meta.db_table,
        "window": SurveyWindow._meta.db_table,
        "participant": Participant._meta.db_table,
        "response": Response._meta.db_table,
        "answer": Answer._meta.db_table,
        "item": Item._meta.db_table,
        "delivery": LessonDelivery._meta.db_table,
    }[name]


def _instrument() -> InstrumentVersion:
    instrument = Instrument.objects.create(
        name="Bench attitudes survey", slug="bench-attitudes", min_age=9, max_age=16, licence_status="own"
    )
    version = InstrumentVersion.objects.create(
        instrument=instrument, number=1, status=InstrumentVersion.Status.PUBLISHED, published_at=timezone.now()
    )
    order = 0
    for scale_order, (code, name, higher_is_better) in enumerate(SCALES):
        Scale.objects.create(
            version=version, code=code, name=name, higher_is_better=higher_is_better, sort_order=scale_order
        )
        for i in range(ITEMS_PER_SCALE):
            Item.objects.create(
                version=version,
                code=f"{code[:3].upper()}_{i + 1:02d}",
                text=f"Question {i + 1} about {name.lower()}.",
                scale_code=code,
                response_scale="agree5",
                reverse_keyed=i in (2, 5),
                sort_order=order,
            )
            order += 1
    for code, scale in (("GENDER", "gender"), ("ETHNICITY", "ethnicity")):
        Item.objects.create(version=version, code=code, text=code.title(), response_scale=scale, sort_order=order)
        order += 1
    return version


def setup(pupils: str, classes: str) -> dict:
    started = time.monotonic()
    n_pupils, n_classes = int(pupils), int(classes)
    from accounts import demo as accounts_demo
    from lessons import demo as lessons_demo

    with transaction.atomic():
        accounts_demo.seed(stdout=io.StringIO())
        lessons_demo.seed(stdout=io.StringIO())
        version = _instrument()
    programme = ProgrammePage.objects.get(slug=PROGRAMME_SLUG)
    teacher = User.objects.get(email="teacher@oakfield-academy.example")
    lessons = [(lesson.pk, lesson.live_revision_id) for lesson in programme.live_lessons]
    params = {"programme": programme.pk, "teacher": teacher.pk, "version": version.pk}
    shift_cases = " ".join(f"WHEN '{code}' THEN {shift}" for code, shift in POST_SHIFT.items())
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute(
            f"""INSERT INTO {t("school")} (name, urn, phase, local_authority_id, staff_email_domains, dsl_name,
                    dsl_contact, safeguarding_email, created_at)
                SELECT 'Bench school ' || i, (300000 + i)::text, 'secondary', la.id, '', '', '', '', now()
                FROM generate_series(0, {SCHOOLS - 1}) i
                JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS rn FROM accounts_localauthority) la
                  ON la.rn = mod(i, 7)"""
        )
        cursor.execute(
            f"""INSERT INTO {t("group")} (school_id, name, year_group, pupil_count, programme_id, teacher_id,
                    academic_year, created_at)
                SELECT s.id, 'C' || g, 7 + mod(g, 3), 30, %(programme)s, %(teacher)s, 2026, now()
                FROM generate_series(0, {n_classes - 1}) g
                JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS rn FROM {t("school")}
                      WHERE urn >= '300000') s ON s.rn = mod(g, {SCHOOLS})""",
            params,
        )
        cursor.execute(
            f"""CREATE TEMP TABLE bench_group ON COMMIT DROP AS
                SELECT id, school_id, year_group, row_number() OVER (ORDER BY id) - 1 AS rn
                FROM {t("group")} WHERE name ~ '^C[0-9]+$' AND programme_id = %(programme)s""",
            params,
        )
        cursor.execute(
            f"""INSERT INTO {t("window")} (uuid, group_id, wave, instrument_version_id, linkage, layout,
                    include_demographics, join_code, opens_at, closes_at, closed_at, optout_letter_sent_on,
                    dpia_reference, opened_by_id, created_at)
                SELECT gen_random_uuid(), g.id, w.wave, %(version)s, 'cards', 'scale', true,
                       upper(substr(md5(g.id || w.wave), 1, 8)), w.opens, w.closes, NULL,
                       current_date - 120, 'DPIA-BENCH', %(teacher)s, now()
                FROM bench_group g CROSS JOIN (VALUES
                    ('baseline', now() - interval '90 days', now() - interval '80 days'),
                    ('post', now() - interval '20 days', now() - interval '10 days')) AS w(wave, opens, closes)""",
            params,
        )
        # Pupils: one in every class in turn; r1 decides baseline, r2 post, r3 gender, r4 ethnicity.
        cursor.execute(
            f"""CREATE TEMP TABLE bench_pupil ON COMMIT DROP AS
                SELECT p, g.id AS group_id, g.school_id, g.year_group, random() AS r1, random() AS r2,
                       random() AS r3, random() AS r4
                FROM generate_series(0, {n_pupils - 1}) p JOIN bench_group g ON g.rn = mod(p, {n_classes})"""
        )
        cursor.execute(
            f"""INSERT INTO {t("participant")} (school_id, academic_year, code_hash, sgic_element_hashes, year_group,
                    created_on)
                SELECT school_id, 2026, md5('bench-pupil-' || p), '[]'::jsonb, year_group, current_date
                FROM bench_pupil"""
        )
        gender = (
            "CASE WHEN r3 < 0.47 THEN 'girl' WHEN r3 < 0.94 THEN 'boy' WHEN r3 < 0.96 THEN 'other' "
            "WHEN r3 < 0.98 THEN 'pns' ELSE '' END"
        )
        ethnic = (
            "CASE WHEN r4 < 0.30 THEN 'asian' WHEN r4 < 0.42 THEN 'black' WHEN r4 < 0.50 THEN 'mixed' "
            "WHEN r4 < 0.92 THEN 'white' WHEN r4 < 0.95 THEN 'other' WHEN r4 < 0.98 THEN 'pns' ELSE '' END"
        )
        for wave, condition in (
            ("baseline", "r1 < 0.95"),
            # 70 % of the baseline pupils come back, and some who missed the baseline answer post.
            ("post", "(r1 < 0.95 AND r2 < 0.70) OR (r1 >= 0.95 AND r2 < 0.60)"),
        ):
            cursor.execute(
                f"""INSERT INTO {t("response")} (window_id, participant_id, submission_key, status, source, gender,
                        ethnic_group, final_hash, started_on, submitted_on)
                    SELECT w.id, pa.id, gen_random_uuid(), 'completed', 'online', {gender}, {ethnic}, '',
                           current_date, current_date
                    FROM bench_pupil bp
                    JOIN {t("participant")} pa ON pa.school_id = bp.school_id AND pa.academic_year = 2026
                         AND pa.code_hash = md5('bench-pupil-' || bp.p)
                    JOIN {t("window")} w ON w.group_id = bp.group_id AND w.wave = '{wave}'
                    WHERE {condition}"""
            )
        cursor.execute(
            f"""INSERT INTO {t("answer")} (response_id, item_id, value, missing)
                SELECT id, item_id,
                       CASE WHEN m < 0.95 THEN CASE WHEN reverse_keyed THEN 6 - v ELSE v END END,
                       CASE WHEN m < 0.95 THEN '' WHEN m < 0.975 THEN 'dk' WHEN m < 0.99 THEN 'pns' ELSE 'skip' END
                FROM (
                    SELECT r.id, i.id AS item_id, i.reverse_keyed, random() AS m,
                           greatest(1, least(5, round(
                               2.0 + 2.0 * (mod(('x' || substr(md5(r.participant_id || i.scale_code), 1, 7))::bit(28)::int,
                                                 1000) / 1000.0)
                               + CASE WHEN w.wave = 'post' THEN (CASE i.scale_code {shift_cases} ELSE 0 END)
                                      + (mod(w.group_id, 11) - 5) * 0.04 ELSE 0 END
                               + (random() * 2 - 1)
                           )))::int AS v
                    FROM {t("response")} r
                    JOIN {t("window")} w ON w.id = r.window_id
                    JOIN {t("item")} i ON i.version_id = %(version)s AND i.scale_code <> ''
                    WHERE w.instrument_version_id = %(version)s
                ) AS drawn""",
            params,
        )
        # Lessons logged between the windows: class k has logged k mod (lessons + 1) of them.
        values = ", ".join(f"({n}, {lesson}, {revision})" for n, (lesson, revision) in enumerate(lessons))
        cursor.execute(
            f"""INSERT INTO {t("delivery")} (group_id, lesson_id, revision_id, delivered_on, minutes, adaptations,
                    note, logged_by_id, created_at, updated_at)
                SELECT g.id, l.lesson, l.revision, current_date - 40, 50, '', '', %(teacher)s, now(), now()
                FROM bench_group g JOIN (VALUES {values}) AS l(n, lesson, revision)
                  ON l.n < mod(g.rn, {len(lessons) + 1})""",
            params,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    data = counts()
    data["seconds"] = time.monotonic() - started
    return data


def counts() -> dict:
    programme = ProgrammePage.objects.get(slug=PROGRAMME_SLUG)
    groups = TeachingGroup.objects.filter(programme=programme, name__regex=r"^C[0-9]+$")
    responses = Response.objects.filter(window__group__in=groups, status="completed")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {t('answer')}")
        answers = cursor.fetchone()[0]
    baseline = responses.filter(window__wave="baseline").count()
    matched = (
        Response.objects.filter(
            window__group__in=groups, window__wave="post", participant__responses__window__wave="baseline"
        )
        .distinct()
        .count()
    )
    version = InstrumentVersion.objects.get(instrument__slug="bench-attitudes")
    return {
        "pupils": Participant.objects.filter(school__urn__gte="300000").count(),
        "classes": groups.count(),
        "schools": groups.values("school").distinct().count(),
        "authorities": groups.values("school__local_authority").distinct().count(),
        "responses": responses.count(),
        "answers": answers,
        "items": Item.objects.filter(version=version).exclude(scale_code="").count(),
        "scales": Scale.objects.filter(version=version).count(),
        "match_rate": matched / baseline if baseline else 0,
        "class_rollups": ClassRollup.objects.count(),
        "area_rollups": AreaRollup.objects.count(),
    }


def truncate() -> dict:
    with connection.cursor() as cursor:
        for model in (AreaRollup, ClassRollup, ClassPair, DataVersion):
            cursor.execute(f"TRUNCATE {model._meta.db_table} CASCADE")
    return {"truncated": True}


def table(calls: str) -> dict:
    """The regional programme table: every scale, gender breakdown, region and LA rows."""
    from outcomes.filters import OutcomeFilter
    from outcomes.selectors import outcome_table

    def once():
        resolved = OutcomeFilter.parse(
            programme=PROGRAMME_SLUG, breakdown="gender", scopes="region,local_authority"
        ).resolve()
        return outcome_table(resolved)

    statements = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    started = time.perf_counter()
    with connection.execute_wrapper(count):
        first_table = once()
    first = time.perf_counter() - started
    times = []
    for _ in range(int(calls) - 1 if int(calls) > 1 else 0):
        started = time.perf_counter()
        once()
        times.append(time.perf_counter() - started)
    rows = first_table.rows
    return {
        "first_s": first,
        "median_s": sorted(times)[len(times) // 2] if times else first,
        "times_s": times,
        "setup_s": SETUP_S,
        "rows": len(rows),
        "shown": sum(1 for r in rows if not r.suppressed),
        "suppressed": sum(1 for r in rows if r.suppressed),
        "scales": len({r.scale for r in rows}),
        "queries": len(statements),
        "area_rows": AreaRollup.objects.filter(
            programme__slug=PROGRAMME_SLUG, dimension__in=["all", "gender"], year_group=0
        ).count(),
    }


def refresh(index: str) -> dict:
    """Re-open one class's post window (its pair refreshes to nothing), close it as
    ``window_close`` does (closed_at and closes_at set to now; the bench's classes have no
    teacher who may close them through the service), then time what the outbox consumer
    runs for that message."""
    from outcomes import services

    window = (
        SurveyWindow.objects.filter(wave="post", group__name__regex=r"^C[0-9]+$")
        .select_related("group")
        .order_by("pk")[100 + 37 * int(index)]
    )
    SurveyWindow.objects.filter(pk=window.pk).update(
        closes_at=timezone.now() + timezone.timedelta(days=1), closed_at=None
    )
    services.windows_refresh(window_ids=[window.pk])
    assert not ClassRollup.objects.filter(group_id=window.group_id, compare="post").exists()
    now = timezone.now()
    SurveyWindow.objects.filter(pk=window.pk).update(closed_at=now, closes_at=now)
    started = time.perf_counter()
    result = services.windows_refresh(window_ids=[window.pk])
    elapsed = time.perf_counter() - started
    return {
        "refresh_s": elapsed,
        "changed": result.changed,
        "rows": ClassRollup.objects.filter(group_id=window.group_id, compare="post").count(),
    }


def groupby() -> dict:
    """The regional mean per scale straight from the answers, as one GROUP BY."""
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(
            f"""SELECT i.scale_code, avg(CASE WHEN i.reverse_keyed THEN 6 - a.value ELSE a.value END)
                FROM {t("answer")} a JOIN {t("item")} i ON i.id = a.item_id
                JOIN {t("response")} r ON r.id = a.response_id
                WHERE a.value IS NOT NULL AND r.status = 'completed'
                GROUP BY i.scale_code"""
        )
        rows = cursor.fetchall()
        return {"groupby_s": time.perf_counter() - started, "scales": len(rows)}


def baseline() -> dict:
    """Peak RSS of a process that has loaded Django, the apps and the outcomes modules."""
    import resource

    import outcomes.services  # noqa: F401

    return {"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


STEPS = {
    "setup": setup,
    "counts": counts,
    "truncate": truncate,
    "table": table,
    "refresh": refresh,
    "groupby": groupby,
    "baseline": baseline,
}


def run(step: str, args: list[str]) -> dict:
    return STEPS[step](*args)
