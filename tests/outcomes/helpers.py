"""Builders for the outcomes tests: an instrument, classes with closed baseline and later
windows at schools in chosen local authorities, pupils with cards, and their answers.

Usage::

    version = outcome_version()                          # "safety" (5 items, 2 reversed), "violence" (4)
    programme = programme_page()
    group, baseline, post = closed_class(programme=programme, version=version, authority="coventry")
    pupil = make_pupil(baseline)
    answer(baseline, pupil, {"SAF_01": 4, "SAF_02": "dk"}, gender="girl")
    rows = export_rows("--programme", programme.slug)   # the CSV, parsed, through the command
"""

from __future__ import annotations

import csv
import io
import uuid

from django.core.management import call_command
from django.utils import timezone

from accounts.models import LocalAuthority
from surveys.models import Answer, Response, SurveyWindow
from tests.factories import MembershipFactory, SchoolFactory
from tests.lessons.factories import TeachingGroupFactory, ensure_local_authority, programme_page
from tests.surveys.factories import SurveyWindowFactory, make_pupil, make_version

__all__ = [
    "OUTCOME_ITEMS",
    "OUTCOME_SCALES",
    "answer",
    "authority",
    "closed_class",
    "export_rows",
    "make_pupil",
    "outcome_version",
    "populate",
    "programme_page",
    "region_row",
]

OUTCOME_SCALES = [("safety", "Feeling safe", True), ("violence", "Approval of violence", False)]
OUTCOME_ITEMS = [
    ("SAF_01", "I feel safe at school.", "safety", "agree5", False),
    ("SAF_02", "I worry about being hurt.", "safety", "agree5", True),
    ("SAF_03", "I feel safe on the way home.", "safety", "agree5", False),
    ("SAF_04", "Some places near school scare me.", "safety", "agree5", True),
    ("SAF_05", "I feel safe in my street.", "safety", "agree5", False),
    ("VIO_01", "Fighting is OK.", "violence", "agree5", False),
    ("VIO_02", "Talking beats fighting.", "violence", "agree5", True),
    ("VIO_03", "Carrying a knife keeps you safe.", "violence", "agree5", False),
    ("VIO_04", "Walking away is brave.", "violence", "faces3", True),
    ("GENDER", "Are you a girl, a boy, or another way?", "", "gender", False),
]
MISSING = {"dk": Answer.Missing.DONT_KNOW, "pns": Answer.Missing.PREFER_NOT, "skip": Answer.Missing.SKIPPED}
LA_CODES = {
    "birmingham": ("Birmingham", "E08000025"),
    "coventry": ("Coventry", "E08000026"),
    "dudley": ("Dudley", "E08000027"),
    "sandwell": ("Sandwell", "E08000028"),
    "solihull": ("Solihull", "E08000029"),
    "walsall": ("Walsall", "E08000030"),
    "wolverhampton": ("Wolverhampton", "E08000031"),
}


def outcome_version(**kwargs):
    kwargs.setdefault("scales", OUTCOME_SCALES)
    kwargs.setdefault("items", OUTCOME_ITEMS)
    return make_version(**kwargs)


def authority(slug: str) -> LocalAuthority:
    if slug == "birmingham":
        return ensure_local_authority()
    name, code = LA_CODES[slug]
    found, _ = LocalAuthority.objects.get_or_create(slug=slug, defaults={"name": name, "gss_code": code})
    return found


def closed_class(
    *,
    programme,
    version,
    authority_slug: str = "birmingham",
    school=None,
    year_group: int = 8,
    academic_year: int = 2026,
    later_wave: str = SurveyWindow.Wave.POST,
    close_later: bool = True,
    pupil_count: int = 30,
):
    """A class at ``school`` (a new school in ``authority_slug`` by default) with a closed
    baseline window and a later window (closed unless ``close_later`` is False)."""
    school = school or SchoolFactory(local_authority=authority(authority_slug))
    group = TeachingGroupFactory(
        programme=programme,
        membership=MembershipFactory(school=school),
        year_group=year_group,
        academic_year=academic_year,
        pupil_count=pupil_count,
    )
    now = timezone.now()
    baseline = SurveyWindowFactory(
        group=group,
        wave=SurveyWindow.Wave.BASELINE,
        instrument_version=version,
        opens_at=now - timezone.timedelta(days=60),
        closes_at=now - timezone.timedelta(days=50),
    )
    later = SurveyWindowFactory(
        group=group,
        wave=later_wave,
        instrument_version=version,
        opens_at=now - timezone.timedelta(days=10) if close_later else now - timezone.timedelta(hours=1),
        closes_at=now - timezone.timedelta(days=3) if close_later else now + timezone.timedelta(days=3),
    )
    return group, baseline, later


def answer(window, participant, values: dict, *, gender: str = "", ethnic_group: str = "", status=None) -> Response:
    """A completed response by ``participant`` (None: no card) with ``values``: item code ->
    a number, or "dk" / "pns" / "skip" for a missing code. Items not given are not stored."""
    response = Response.objects.create(
        window=window,
        participant=participant,
        submission_key=uuid.uuid4(),
        status=status or Response.Status.COMPLETED,
        gender=gender,
        ethnic_group=ethnic_group,
        submitted_on=timezone.localdate(),
    )
    items = {item.code: item for item in window.instrument_version.items.all()}
    Answer.objects.bulk_create(
        Answer(response=response, item=items[code], value=None, missing=MISSING[value])
        if isinstance(value, str)
        else Answer(response=response, item=items[code], value=value)
        for code, value in values.items()
    )
    return response


def export_rows(*args: str) -> list[dict[str, str]]:
    """Run ``export_outcomes`` with these arguments and parse its CSV."""
    out = io.StringIO()
    call_command("export_outcomes", *args, stdout=out)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def region_row(rows: list[dict[str, str]], scale: str, subgroup: str = "all") -> dict[str, str]:
    found = [r for r in rows if r["scope"] == "region" and r["scale"] == scale and r["subgroup"] == subgroup]
    assert len(found) == 1, f"expected one region row for {scale}/{subgroup}, found {len(found)}"
    return found[0]


def populate(baseline, post, n: int, *, gender: str = "girl", lost: int = 0, shift: int = 1, seed: int = 0) -> None:
    """``n`` matched pupils who answer every item (safety and violence) at both waves, safety
    rising by about ``shift`` points, plus ``lost`` pupils who answer only at baseline."""
    import random

    rng = random.Random(f"{baseline.pk}:{seed}:{n}")
    reverse = {"SAF_02", "SAF_04", "VIO_02"}

    def values(level: int) -> dict:
        out = {}
        for code in ("SAF_01", "SAF_02", "SAF_03", "SAF_04", "SAF_05", "VIO_01", "VIO_02", "VIO_03"):
            keyed = max(1, min(5, level + rng.choice((-1, 0, 0, 1))))
            out[code] = 6 - keyed if code in reverse else keyed
        out["VIO_04"] = rng.randint(1, 3)
        return out

    for i in range(n + lost):
        pupil = make_pupil(baseline)
        level = rng.randint(2, 3)
        answer(baseline, pupil, values(level), gender=gender)
        if i < n:
            answer(post, pupil, values(level + shift), gender=gender)
