"""Instrument version rules: freezing, new versions, and publish refusals."""

from __future__ import annotations

import pytest

from surveys.models import Instrument, InstrumentVersion, Item, ResponseScale
from surveys.services import instruments as svc
from tests.surveys.factories import SurveyWindowFactory, make_response, make_version, programme_page

pytestmark = pytest.mark.django_db


def test_instrument_ages_are_compared_with_the_age_pupils_reach_during_the_year():
    from accounts.school_year import year_group_age

    assert year_group_age(4) == 9 and year_group_age(11) == 16


def test_a_9_to_16_instrument_suits_years_4_to_11_only():
    instrument = make_version().instrument
    assert [y for y in range(1, 14) if svc.instrument_suits_year_group(instrument, y)] == list(range(4, 12))


def test_version_without_responses_is_editable():
    version = SurveyWindowFactory().instrument_version
    assert not svc.version_is_frozen(version)
    svc.instrument_version_check_editable(version=version)


def test_version_with_a_response_is_frozen_and_edits_are_refused():
    window = SurveyWindowFactory()
    make_response(window)
    with pytest.raises(svc.InstrumentRuleError, match="New version"):
        svc.instrument_version_check_editable(version=window.instrument_version)


def test_new_version_copies_scales_and_items_to_a_numbered_draft():
    window = SurveyWindowFactory()
    make_response(window)
    old = window.instrument_version
    draft = svc.instrument_version_new_draft(version=old)
    assert draft.number == 2 and draft.status == InstrumentVersion.Status.DRAFT
    assert list(draft.items.values_list("code", "text", "reverse_keyed")) == list(
        old.items.values_list("code", "text", "reverse_keyed")
    )
    assert list(draft.scales.values_list("code", "higher_is_better")) == list(
        old.scales.values_list("code", "higher_is_better")
    )
    assert not svc.version_is_frozen(draft)
    assert svc.instrument_version_new_draft(version=old).number == 3


def test_publish_sets_status_and_date():
    version = make_version(status="draft")
    published = svc.instrument_version_publish(version=version, programmes=[])
    assert published.status == InstrumentVersion.Status.PUBLISHED and published.published_at


@pytest.mark.parametrize(
    ("licence", "words"),
    [(Instrument.Licence.PERMISSION_PENDING, "pending"), (Instrument.Licence.COMMERCIAL, "commercial")],
)
def test_publish_is_refused_while_the_licence_does_not_allow_use(licence, words):
    version = make_version(status="draft", licence=licence)
    with pytest.raises(svc.InstrumentRuleError) as error:
        svc.instrument_version_publish(version=version, programmes=[])
    assert words in " ".join(error.value.messages)
    version.refresh_from_db()
    assert version.status == InstrumentVersion.Status.DRAFT


def test_publish_is_refused_when_a_programmes_year_groups_fall_outside_the_age_range():
    version = make_version(status="draft", min_age=11, max_age=16)
    programme = programme_page(year_from=5, year_to=7)
    problems = svc.publish_problems(version, programmes=[programme])
    assert any("taught to Year 5," in problem for problem in problems)  # Year 6 pupils turn 11
    with pytest.raises(svc.InstrumentRuleError):
        svc.instrument_version_publish(version=version, programmes=[programme])
    assert svc.publish_problems(version, programmes=[programme_page(year_from=7, year_to=9)]) == []


def test_publish_checks_programmes_whose_classes_already_use_the_instrument():
    window = SurveyWindowFactory()  # Year 8 class, programme Years 7-9
    draft = svc.instrument_version_new_draft(version=window.instrument_version)
    Instrument.objects.filter(pk=draft.instrument_id).update(min_age=13)
    draft.refresh_from_db()
    assert any("Year 7" in problem for problem in svc.publish_problems(draft))


def test_publish_is_refused_for_an_unknown_scale_code_or_answer_type():
    version = make_version(status="draft")
    Item.objects.create(version=version, code="ODD_01", text="Odd.", scale_code="nothing", sort_order=9)
    Item.objects.filter(version=version, code="SAF_01").update(response_scale="free_text")
    problems = " ".join(svc.publish_problems(version, programmes=[]))
    assert "ODD_01" in problems and "'nothing'" in problems
    assert "SAF_01" in problems and "no free text" in problems


def test_there_is_no_free_text_answer_type():
    assert not any("text" in value for value in ResponseScale.values)
