"""Rules for instrument versions: freezing, copying to a new draft, and publishing.

An instrument suits a year group when the age its pupils reach during the school year
(``accounts.school_year.year_group_age``: Y+5 for Year Y) lies inside the instrument's
age range, so a 9–16 instrument suits Years 4 to 11.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.school_year import year_group_age

from ..models import Instrument, InstrumentVersion, Item, Response, ResponseScale, Scale


class InstrumentRuleError(ValidationError):
    """A rule refused the change; ``messages`` are written for VRU staff."""


FROZEN_MESSAGE = (
    "This version already has pupil responses, so it cannot be changed: every stored answer "
    "must keep the wording it was given to. Use 'New version' to copy it to a draft and edit that."
)


def instrument_suits_year_group(instrument: Instrument, year_group: int) -> bool:
    return instrument.min_age <= year_group_age(year_group) <= instrument.max_age


def version_is_frozen(version: InstrumentVersion) -> bool:
    """True once any pupil response (online or paper) exists for a window using it."""
    if version.pk is None:
        return False
    return Response.objects.filter(window__instrument_version=version).exists()


def instrument_version_check_editable(*, version: InstrumentVersion) -> None:
    if version_is_frozen(version):
        raise InstrumentRuleError(FROZEN_MESSAGE)


def next_version_number(instrument: Instrument) -> int:
    latest = InstrumentVersion.objects.filter(instrument=instrument).aggregate(top=Max("number"))["top"]
    return (latest or 0) + 1


@transaction.atomic
def instrument_version_new_draft(*, version: InstrumentVersion, notes: str = "") -> InstrumentVersion:
    """Copy a version (usually a frozen one) with its scales and items to a new draft."""
    instrument = Instrument.objects.select_for_update().get(pk=version.instrument_id)
    draft = InstrumentVersion.objects.create(
        instrument=instrument,
        number=next_version_number(instrument),
        status=InstrumentVersion.Status.DRAFT,
        notes=notes or f"Copied from version {version.number}.",
    )
    Scale.objects.bulk_create(
        Scale(version=draft, code=s.code, name=s.name, higher_is_better=s.higher_is_better, sort_order=s.sort_order)
        for s in version.scales.all()
    )
    Item.objects.bulk_create(
        Item(
            version=draft,
            code=i.code,
            text=i.text,
            scale_code=i.scale_code,
            response_scale=i.response_scale,
            reverse_keyed=i.reverse_keyed,
            sort_order=i.sort_order,
        )
        for i in version.items.all()
    )
    return draft


def programmes_using(instrument: Instrument) -> list:
    """Programmes whose classes have run, or are running, a survey with this instrument."""
    from lessons.models import ProgrammePage

    return list(
        ProgrammePage.objects.filter(teaching_groups__survey_windows__instrument_version__instrument=instrument)
        .distinct()
        .order_by("pk")
    )


def publish_problems(version: InstrumentVersion, *, programmes: Iterable | None = None) -> list[str]:
    """Every reason publishing would be refused, as plain sentences (empty when fine)."""
    instrument = version.instrument
    problems: list[str] = []
    if instrument.licence_status == Instrument.Licence.PERMISSION_PENDING:
        problems.append("The licence is still pending: record the permission before publishing.")
    elif instrument.licence_status == Instrument.Licence.COMMERCIAL:
        problems.append("The instrument needs a commercial licence, which Upstream cannot use for schools.")
    if instrument.min_age > instrument.max_age:
        problems.append("The youngest age is above the oldest age.")

    scales = list(version.scales.all())
    items = list(version.items.all())
    scale_codes = {scale.code for scale in scales}
    known_types = set(ResponseScale.values)
    if not items:
        problems.append("The version has no questions.")
    for item in items:
        if item.response_scale not in known_types:
            problems.append(f"Question {item.code} has an answer type that is not allowed (no free text).")
        if item.is_demographic:
            if item.scale_code:
                problems.append(f"Question {item.code} is a demographic question and must not belong to a scale.")
        elif item.scale_code and item.scale_code not in scale_codes:
            problems.append(f"Question {item.code} belongs to scale '{item.scale_code}', which this version lacks.")
    for scale in scales:
        if not any(item.scale_code == scale.code for item in items):
            problems.append(f"Scale '{scale.code}' has no questions.")

    if programmes is None:
        programmes = programmes_using(instrument)
    for programme in programmes:
        outside = [y for y in programme.year_groups if not instrument_suits_year_group(instrument, y)]
        if outside:
            years = ", ".join(f"Year {y}" for y in outside)
            problems.append(
                f"'{programme.title}' is taught to {years}, outside this instrument's ages "
                f"{instrument.min_age}–{instrument.max_age} (Year Y pupils turn Y+5 during the year)."
            )
    return problems


@transaction.atomic
def instrument_version_publish(*, version: InstrumentVersion, programmes: Iterable | None = None) -> InstrumentVersion:
    version = InstrumentVersion.objects.select_for_update().select_related("instrument").get(pk=version.pk)
    problems = publish_problems(version, programmes=programmes)
    if problems:
        raise InstrumentRuleError(problems)
    version.status = InstrumentVersion.Status.PUBLISHED
    version.published_at = timezone.now()
    version.save(update_fields=["status", "published_at"])
    return version


@transaction.atomic
def instrument_version_retire(*, version: InstrumentVersion) -> InstrumentVersion:
    """Stop offering a version for new windows; running windows keep it."""
    version.status = InstrumentVersion.Status.RETIRED
    version.save(update_fields=["status"])
    return version
