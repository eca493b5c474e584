"""The demo instruments and demo survey data: original wording, each instrument kept to its
own year groups, idempotent seeding."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from surveys import demo
from surveys.models import Answer, Instrument, InstrumentVersion, Response, ResponseScale, SurveyWindow, TalkRequest

pytestmark = pytest.mark.django_db


def test_demo_instrument_has_four_scales_of_five_or_six_items_with_reverse_keyed_ones():
    version = demo.seed_instrument()
    assert version.status == InstrumentVersion.Status.PUBLISHED
    assert (version.instrument.min_age, version.instrument.max_age) == (12, 16)  # Years 7 to 11
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
    assert InstrumentVersion.objects.count() == 2  # the secondary and the primary survey
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


WEAPON_WORDS = ("knife", "knives", "weapon", "gun", "blade", "stab")


def test_primary_instrument_is_three_scales_of_five_faces_items_without_weapons():
    version = demo.seed_primary_instrument()
    instrument = version.instrument
    assert version.status == InstrumentVersion.Status.PUBLISHED
    assert (instrument.min_age, instrument.max_age) == (9, 11)
    assert instrument.licence_status == Instrument.Licence.OWN
    scored = version.items.exclude(scale_code="")
    assert scored.count() == 15
    assert set(scored.values_list("response_scale", flat=True)) == {ResponseScale.FACES_3}
    directions = dict(version.scales.values_list("code", "higher_is_better"))
    assert directions == {"fighting_ok": False, "helping_others": True, "getting_help": True}
    for code in directions:
        items = scored.filter(scale_code=code)
        # Five items: with the 80 % rule one "Don't know" still leaves a score.
        assert items.count() == 5
        assert 1 <= items.filter(reverse_keyed=True).count() <= 2
    for item in version.items.all():
        text = item.text.lower()
        assert not any(word in text for word in WEAPON_WORDS), item.text
        assert len(item.text) <= 70, item.text  # short: one line or two on a phone
    # Reverse-keyed items are plain statements: agreeing with a "not" is never the way in.
    for item in scored.filter(reverse_keyed=True):
        words = item.text.lower().replace(",", " ").replace(".", " ").split()
        assert not {"not", "no", "never", "don't", "isn't", "won't", "can't"} & set(words), item.text


def test_reseeding_moves_an_old_demo_secondary_survey_off_years_5_and_6_but_keeps_admin_edits():
    version = demo.seed_instrument()
    Instrument.objects.filter(pk=version.instrument_id).update(min_age=9, max_age=16)
    demo.seed_instrument()
    version.instrument.refresh_from_db()
    assert (version.instrument.min_age, version.instrument.max_age) == (12, 16)
    Instrument.objects.filter(pk=version.instrument_id).update(min_age=13, max_age=18)
    demo.seed_instrument()
    version.instrument.refresh_from_db()
    assert (version.instrument.min_age, version.instrument.max_age) == (13, 18)


def test_seed_demo_gives_the_primary_class_the_primary_survey_one_question_a_page():
    call_command("seed_demo", stdout=io.StringIO())
    primary = SurveyWindow.objects.filter(group__name="Year 6 Oak")
    assert primary.count() == 2
    assert set(primary.values_list("instrument_version__instrument__slug", flat=True)) == {"upstream-primary"}
    assert set(primary.values_list("layout", flat=True)) == {SurveyWindow.Layout.ITEM_PER_PAGE}
    assert primary.get(wave="post").is_open()
    # Synthetic answers lie on the faces' own range, 1 to 3.
    values = set(
        Answer.objects.filter(response__window__in=primary, value__isnull=False).values_list("value", flat=True)
    )
    assert values == {1, 2, 3}
    # No secondary class got the primary survey, and no primary class the secondary one.
    for window in SurveyWindow.objects.select_related("group", "instrument_version__instrument"):
        slug = window.instrument_version.instrument.slug
        assert slug == ("upstream-primary" if window.group.year_group <= 6 else "upstream-attitudes")
