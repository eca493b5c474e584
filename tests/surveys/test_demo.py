"""The demo instrument and demo survey data: original wording, idempotent seeding."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from surveys import demo
from surveys.models import Instrument, InstrumentVersion, Response, ResponseScale, SurveyWindow, TalkRequest

pytestmark = pytest.mark.django_db


def test_demo_instrument_has_four_scales_of_five_or_six_items_with_reverse_keyed_ones():
    version = demo.seed_instrument()
    assert version.status == InstrumentVersion.Status.PUBLISHED
    assert (version.instrument.min_age, version.instrument.max_age) == (9, 16)
    assert version.instrument.licence_status == Instrument.Licence.OWN
    scales = list(version.scales.all())
    assert len(scales) == 4
    for scale in scales:
        items = version.items.filter(scale_code=scale.code)
        assert 5 <= items.count() <= 6
        assert items.filter(reverse_keyed=True).exists()
    assert version.scales.get(code="violence_attitudes").higher_is_better is False
    demographic = set(version.items.filter(scale_code="").values_list("response_scale", flat=True))
    assert demographic == {ResponseScale.GENDER, ResponseScale.ETHNICITY}
    assert all(len(item.text) <= 90 for item in version.items.all())  # short, plain sentences


def test_seed_without_demo_classes_creates_only_the_instrument():
    out = io.StringIO()
    demo.seed(stdout=out)
    demo.seed(stdout=out)
    assert InstrumentVersion.objects.count() == 1
    assert not SurveyWindow.objects.exists()
    assert "no classes" in out.getvalue()


def test_seed_demo_twice_gives_windows_and_responses_once():
    call_command("seed_demo", stdout=io.StringIO())
    windows = SurveyWindow.objects.count()
    responses = Response.objects.count()
    assert windows >= 2 and responses > 0
    assert (
        Response.objects.filter(window__wave="post").count() < Response.objects.filter(window__wave="baseline").count()
    )
    assert TalkRequest.objects.count() == 1
    call_command("seed_demo", stdout=io.StringIO())
    assert (SurveyWindow.objects.count(), Response.objects.count(), TalkRequest.objects.count()) == (
        windows,
        responses,
        1,
    )
