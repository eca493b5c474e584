"""Factories for the survey tests, staff side and pupil flow: instrument versions, survey
windows, participant cards and responses. Classes and programmes come from
``tests.lessons.factories`` (re-exported here).

Usage::

    version = make_version(status="draft")               # SAF_01-02, VIO_01-02 and GENDER
    group = TeachingGroupFactory(year_group=8)           # approved teacher at a new school
    window = SurveyWindowFactory(group=group)            # open now, cards, on make_version()
    closed = SurveyWindowFactory(closed=True)
    response = make_response(window)                     # one completed response
    window = PupilSurveyWindowFactory()                  # on pupil_version(): a scale a page
    pupil = make_pupil(window)                           # pupil.card_code is the plain code
    client.post("/go/card/", SGIC_ANSWERS)               # own-code window: the code questions
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

import factory
from django.utils import timezone

from surveys import codes
from surveys.models import Instrument, InstrumentVersion, Item, Participant, Response, Scale, SurveyWindow
from surveys.pseudonyms import card_code_hash
from tests.lessons.factories import TeachingGroupFactory, programme_page

__all__ = [
    "PUPIL_ITEMS",
    "PUPIL_SCALES",
    "SGIC_ANSWERS",
    "STAFF_ITEMS",
    "STAFF_SCALES",
    "PupilSurveyWindowFactory",
    "SurveyWindowFactory",
    "TeachingGroupFactory",
    "make_pupil",
    "make_response",
    "make_version",
    "programme_page",
    "pupil_version",
]

_counter = itertools.count(1)

# Scales are (code, name, higher is better); items are (code, text, scale code, response
# scale, reverse keyed), in question order, with an empty scale code for demographics.
STAFF_SCALES = [("safety", "Feeling safe", True), ("violence", "Violence", False)]
STAFF_ITEMS = [
    ("SAF_01", "I feel safe at school.", "safety", "agree5", False),
    ("SAF_02", "I worry about being hurt.", "safety", "agree5", True),
    ("VIO_01", "Fighting is OK.", "violence", "agree5", False),
    ("VIO_02", "Talking beats fighting.", "violence", "faces3", True),
    ("GENDER", "Are you a girl, a boy, or another way?", "", "gender", False),
]
# The pupil flow's pages: three safety items, two help items (faces), two demographics.
PUPIL_SCALES = [("safety", "Safety", True), ("help", "Help", True)]
PUPIL_ITEMS = [
    ("SAFE_01", "I feel safe at school.", "safety", "agree5", False),
    ("SAFE_02", "I feel safe on the way home.", "safety", "agree5", False),
    ("SAFE_03", "I worry about being hurt near school.", "safety", "agree5", True),
    ("HELP_01", "I would tell an adult if I was scared.", "help", "faces3", False),
    ("HELP_02", "I know who to talk to at school.", "help", "faces3", False),
    ("GENDER", "Are you a girl or a boy, or in another way?", "", "gender", False),
    ("ETHNIC", "Which group best describes you?", "", "ethnicity", False),
]
# A pupil's answers to the self-generated code questions (own-code windows), as posted.
SGIC_ANSWERS = {
    "carer_initial": "S",
    "birth_month": "03",
    "older_siblings": "1",
    "first_street_initial": "DK",
    "eye_colour": "brown",
    "first_name_length": "4",
    "birth_town_initial": "B",
}


def make_version(
    *,
    status: str = InstrumentVersion.Status.PUBLISHED,
    min_age: int = 9,
    max_age: int = 16,
    licence: str = Instrument.Licence.OWN,
    scales: list[tuple[str, str, bool]] = STAFF_SCALES,
    items: list[tuple[str, str, str, str, bool]] = STAFF_ITEMS,
) -> InstrumentVersion:
    """Version 1 of a new instrument with ``scales`` and ``items`` (the staff design by default)."""
    n = next(_counter)
    instrument = Instrument.objects.create(
        name=f"Test instrument {n}",
        slug=f"test-instrument-{n}",
        min_age=min_age,
        max_age=max_age,
        licence_status=licence,
    )
    version = InstrumentVersion.objects.create(
        instrument=instrument,
        number=1,
        status=status,
        published_at=timezone.now() if status == InstrumentVersion.Status.PUBLISHED else None,
    )
    for order, (code, name, higher_is_better) in enumerate(scales):
        Scale.objects.create(version=version, code=code, name=name, higher_is_better=higher_is_better, sort_order=order)
    for order, (code, text, scale_code, response_scale, reverse) in enumerate(items):
        Item.objects.create(
            version=version,
            code=code,
            text=text,
            scale_code=scale_code,
            response_scale=response_scale,
            reverse_keyed=reverse,
            sort_order=order,
        )
    return version


def pupil_version() -> InstrumentVersion:
    """A published version with the pupil flow's pages (``PUPIL_ITEMS``), for ages 8 to 16."""
    return make_version(min_age=8, scales=PUPIL_SCALES, items=PUPIL_ITEMS)


class SurveyWindowFactory(factory.django.DjangoModelFactory):
    """A baseline window open from an hour ago for two hours, with cards, the opt-out letter
    sent 30 days ago, opened by the class's teacher; ``closed=True`` closes it now."""

    class Meta:
        model = SurveyWindow

    class Params:
        closed = False

    group = factory.SubFactory(TeachingGroupFactory)
    wave = SurveyWindow.Wave.BASELINE
    instrument_version = factory.LazyFunction(make_version)
    join_code = factory.LazyFunction(codes.new_join_code)
    opens_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1))
    closes_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(hours=2))
    closed_at = factory.LazyAttribute(lambda o: timezone.now() if o.closed else None)
    optout_letter_sent_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=30))
    dpia_reference = "DPIA-TEST"
    opened_by = factory.LazyAttribute(lambda o: o.group.teacher)


class PupilSurveyWindowFactory(SurveyWindowFactory):
    """The same window on ``pupil_version()``, whose items the pupil-flow tests answer."""

    instrument_version = factory.LazyFunction(pupil_version)


def make_pupil(window: SurveyWindow, code: str | None = None) -> Participant:
    """A participant card for the window's school and year; ``.card_code`` is the plain code."""
    code = code or codes.new_card_code()
    school = window.group.school
    participant = Participant.objects.create(
        school=school,
        academic_year=window.group.academic_year,
        code_hash=card_code_hash(school_id=school.pk, code=code),
    )
    participant.card_code = code
    return participant


def make_response(window: SurveyWindow, *, status: str = Response.Status.COMPLETED, participant=None) -> Response:
    """A response to ``window`` (completed today by default), optionally by ``participant``."""
    return Response.objects.create(
        window=window,
        participant=participant,
        submission_key=uuid.uuid4(),
        status=status,
        submitted_on=timezone.localdate() if status == Response.Status.COMPLETED else None,
    )
