"""Seed the bench database: the project's demo (``seed_demo``: schools, people, the demo
instrument), then N open survey windows with participant cards. Card codes are made here
in memory and only their keyed hashes are stored, exactly as the card PDF does; the plain
codes are written to a JSON file for the simulated pupils (bench/out/, gitignored).

Run by bench/run.py as ``python bench/setup_data.py OUT.json --windows N --cards M`` with
DJANGO_SETTINGS_MODULE=bench.settings.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from datetime import timedelta
from importlib import import_module
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import LocalAuthority, School, User  # noqa: E402
from lessons.models import HomePage, ProgrammeIndexPage, ProgrammePage, TeachingGroup  # noqa: E402
from surveys import codes  # noqa: E402
from surveys.models import (  # noqa: E402
    CardBatch,
    Instrument,
    InstrumentVersion,
    Item,
    Participant,
    ResponseScale,
    Scale,
    SurveyWindow,
)

# Used only when the project's demo does not seed an instrument: the same shape as the
# demo (four scales of five or six items, two demographic questions).
FALLBACK_SCALES = [("violence", 6, False), ("bystander", 6, True), ("help", 5, True), ("safe", 5, True)]


def seed_demo(log) -> list[str]:
    """``manage.py seed_demo``; if it fails (work in progress elsewhere), each app's demo
    seeder on its own, and whatever still fails is reported and replaced by bench data."""
    try:
        call_command("seed_demo", stdout=log, stderr=log)
        return []
    except Exception as exc:  # noqa: BLE001 - reported in the results
        notes = [f"seed_demo failed ({type(exc).__name__}: {str(exc)[:200]}); seeded app by app"]
    for app in ("accounts", "lessons", "surveys"):
        try:
            module = import_module(f"{app}.demo")
        except ModuleNotFoundError:
            continue
        try:
            with transaction.atomic():
                module.seed(stdout=log)
        except Exception as exc:  # noqa: BLE001
            notes.append(f"{app}.demo.seed failed: {type(exc).__name__}: {str(exc)[:200]}")
    if not School.objects.exists():
        authority = LocalAuthority.objects.first() or LocalAuthority.objects.create(name="Bench LA", slug="bench-la")
        School.objects.create(
            name="Bench School", urn="999001", phase=School.Phase.SECONDARY, local_authority=authority
        )
        notes.append("no demo schools: created one bench school")
    return notes


def card_hash(key: str, school_id: int, code: str) -> str:
    """The project's own hash helper when it exists, else the keyed hash it wraps."""
    try:
        from surveys.pseudonyms import card_code_hash
    except ImportError:
        return codes.keyed_hash(key, str(school_id), code)
    return card_code_hash(school_id=school_id, code=code)


def academic_year(today) -> int:
    """``accounts.school_year.academic_year_for``; older code served by ``--source`` had it
    in ``lessons.services``."""
    try:
        from accounts.school_year import academic_year_for
    except ImportError:
        from lessons.services import academic_year_for
    return academic_year_for(today)


def programme() -> ProgrammePage:
    page = ProgrammePage.objects.live().first() or ProgrammePage.objects.first()
    if page is not None:
        return page
    home = HomePage.objects.first()
    if home is None:
        from wagtail.models import Page

        home = HomePage(title="Upstream", slug="bench-home")
        Page.get_first_root_node().add_child(instance=home)
    index = ProgrammeIndexPage.objects.first()
    if index is None:
        index = ProgrammeIndexPage(title="Programmes", slug="programmes")
        home.add_child(instance=index)
    wanted = {
        "summary": "A programme made by the benchmark.",
        "safeguarding_guidance": "<p>Bench only.</p>",
        "year_from": 7,
        "year_to": 9,
    }
    names = {f.name for f in ProgrammePage._meta.get_fields()}
    page = ProgrammePage(
        title="Bench programme", slug="bench-programme", **{k: v for k, v in wanted.items() if k in names}
    )
    index.add_child(instance=page)
    return page


def instrument_version() -> InstrumentVersion | None:
    versions = InstrumentVersion.objects.select_related("instrument").order_by("-number")
    return (
        versions.filter(status=InstrumentVersion.Status.PUBLISHED).first()
        or versions.filter(items__isnull=False).distinct().first()
    )


def fallback_version() -> InstrumentVersion:
    instrument = Instrument.objects.create(name="Bench instrument", slug="bench-instrument", min_age=8, max_age=17)
    version = InstrumentVersion.objects.create(
        instrument=instrument, number=1, status=InstrumentVersion.Status.PUBLISHED, published_at=timezone.now()
    )
    order = 0
    for position, (code, count, better) in enumerate(FALLBACK_SCALES):
        Scale.objects.create(
            version=version, code=code, name=code.title(), higher_is_better=better, sort_order=position
        )
        for number in range(1, count + 1):
            Item.objects.create(
                version=version,
                code=f"{code[:3].upper()}_{number:02d}",
                text=f"Bench statement {number} about {code}, in plain words for a nine-year-old.",
                scale_code=code,
                response_scale=ResponseScale.AGREE_5,
                reverse_keyed=number % 3 == 0,
                sort_order=order,
            )
            order += 1
    for code, preset in (("GENDER", ResponseScale.GENDER), ("ETHNICITY", ResponseScale.ETHNICITY)):
        Item.objects.create(version=version, code=code, text=code.title(), response_scale=preset, sort_order=order)
        order += 1
    return version


def teacher() -> User:
    user = User.objects.filter(memberships__status="approved", memberships__role="teacher").first()
    if user is None:
        user = User.objects.filter(is_superuser=False).first()
    if user is None:
        user = User.objects.create_user(email="bench-teacher@bench.example", password=None)
    return user


@transaction.atomic
def seed_windows(count: int, cards_per_window: int, version: InstrumentVersion) -> list[dict]:
    key = settings.UPSTREAM_PSEUDONYM_KEY
    today = timezone.localdate()
    now = timezone.now()
    year = academic_year(today)
    schools = list(School.objects.order_by("pk"))
    prog, opener = programme(), teacher()
    used: dict[int, set[str]] = {school.pk: set() for school in schools}
    out = []
    for number in range(count):
        school = schools[number % len(schools)]
        group = TeachingGroup.objects.create(
            school=school,
            name=f"Bench {number:03d}",
            year_group=8,
            pupil_count=min(cards_per_window, 60),
            programme=prog,
            teacher=opener,
            academic_year=year,
        )
        join_code = codes.new_join_code()
        while SurveyWindow.objects.filter(join_code=join_code).exists():
            join_code = codes.new_join_code()
        window = SurveyWindow.objects.create(
            group=group,
            wave=SurveyWindow.Wave.BASELINE,
            instrument_version=version,
            linkage=SurveyWindow.Linkage.CARDS,
            layout=SurveyWindow.Layout.SCALE_PER_PAGE,
            include_demographics=True,
            join_code=join_code,
            opens_at=now - timedelta(hours=1),
            closes_at=now + timedelta(days=1),
            optout_letter_sent_on=today - timedelta(days=30),
            dpia_reference="DPIA-BENCH",
            opened_by=opener,
        )
        batch = CardBatch.objects.create(group=group, count=cards_per_window, created_by=opener)
        cards = []
        while len(cards) < cards_per_window:
            code = codes.new_card_code()
            if code not in used[school.pk]:
                used[school.pk].add(code)
                cards.append(code)
        Participant.objects.bulk_create(
            Participant(
                school=school,
                academic_year=year,
                card_batch=batch,
                code_hash=card_hash(key, school.pk, code),
                year_group=8,
            )
            for code in cards
        )
        out.append(
            {
                "window": window.pk,
                "school": school.pk,
                "join_code": join_code,
                "cards": [[code, card_hash(key, school.pk, code)] for code in cards],
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--windows", type=int, default=40)
    parser.add_argument("--cards", type=int, default=150)
    args = parser.parse_args()
    log = io.StringIO()
    seed_notes = seed_demo(log)
    version = instrument_version()
    fallback = version is None
    if fallback:
        version = fallback_version()
    items = list(Item.objects.filter(version=version).order_by("sort_order", "pk"))
    result: dict = {
        "seed_log": log.getvalue()[-2000:],
        "seed_notes": seed_notes,
        "instrument": {
            "version": version.pk,
            "name": str(version),
            "fallback": fallback,
            "items": len(items),
            "scored_items": sum(1 for item in items if not item.is_demographic),
            "demographic_items": sum(1 for item in items if item.is_demographic),
            "scales": sorted({item.scale_code for item in items if item.scale_code}),
        },
    }
    try:
        from surveys.selectors import survey_pages

        result["pages"] = len(
            survey_pages(version=version, layout=SurveyWindow.Layout.SCALE_PER_PAGE, include_demographics=True)
        )
    except ImportError:
        result["pages"] = len(result["instrument"]["scales"]) + (1 if result["instrument"]["demographic_items"] else 0)
    result["windows"] = seed_windows(args.windows, args.cards, version)
    Path(args.out).write_text(json.dumps(result))
    print(json.dumps({k: v for k, v in result.items() if k != "windows"} | {"windows": len(result["windows"])}))


if __name__ == "__main__":
    main()
