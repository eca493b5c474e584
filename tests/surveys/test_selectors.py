"""Staff-side reads: survey pages, suitable versions, tenancy, counts, SGIC linking."""

from __future__ import annotations

import uuid

import pytest

from accounts.models import Membership
from surveys import selectors, sgic
from surveys.models import Participant, Response, SurveyWindow
from tests.factories import MembershipFactory
from tests.surveys.factories import SurveyWindowFactory, make_response, make_version

pytestmark = pytest.mark.django_db


def test_survey_pages_group_by_scale_and_put_demographics_last():
    version = make_version()
    pages = selectors.survey_pages(version=version)
    assert [[q["code"] for q in page.questions] for page in pages] == [
        ["SAF_01", "SAF_02"],
        ["VIO_01", "VIO_02"],
        ["GENDER"],
    ]
    assert pages[-1].heading == "About you"
    assert len(selectors.survey_pages(version=version, layout="item")) == 5
    assert len(selectors.survey_pages(version=version, include_demographics=False)) == 2


def test_versions_for_year_group_are_published_licensed_and_age_appropriate():
    ok = make_version()
    make_version(status="draft")
    make_version(min_age=14)
    make_version(licence="commercial")
    assert selectors.versions_for_year_group(year_group=8) == [ok]


def test_school_lead_sees_every_window_at_the_school_and_others_none():
    window = SurveyWindowFactory()
    lead = MembershipFactory(school=window.group.school, role=Membership.Role.SCHOOL_LEAD).user
    assert list(selectors.windows_visible_to(user=lead)) == [window]
    assert not selectors.windows_visible_to(user=MembershipFactory().user).exists()


def test_window_counts_count_each_state_and_only_completed_as_completed():
    window = SurveyWindowFactory()
    make_response(window)
    make_response(window, status=Response.Status.IN_PROGRESS)
    make_response(window, status=Response.Status.CONFLICT)
    make_response(window, status=Response.Status.OVER_QUOTA)
    make_response(SurveyWindowFactory())  # another window's response is not counted
    assert selectors.window_counts(window=window) == {"completed": 1, "started": 1, "conflicts": 1, "over_quota": 1}


ANSWERS = {
    "carer_initial": "M",
    "birth_month": "07",
    "older_siblings": "0",
    "first_street_initial": "H",
    "eye_colour": "blue",
    "first_name_length": "5",
    "birth_town_initial": "B",
}


def _sgic_response(window, answers, gender="girl"):
    hashes = sgic.hash_elements(answers, school_id=window.group.school_id)
    participant, _ = Participant.objects.get_or_create(
        school=window.group.school,
        academic_year=window.group.academic_year,
        code_hash=hashes.code_hash,
        defaults={"sgic_element_hashes": hashes.element_hashes, "year_group": window.group.year_group},
    )
    return Response.objects.create(
        window=window, participant=participant, submission_key=uuid.uuid4(), status="completed", gender=gender
    )


def test_sgic_match_links_baseline_and_post_responses_with_one_element_tolerance():
    baseline = SurveyWindowFactory(linkage=SurveyWindow.Linkage.SGIC)
    post = SurveyWindowFactory(
        group=baseline.group, wave="post", linkage="sgic", instrument_version=baseline.instrument_version
    )
    exact_before = _sgic_response(baseline, ANSWERS)
    exact_after = _sgic_response(post, ANSWERS)
    other = {**ANSWERS, "carer_initial": "R", "birth_month": "02", "eye_colour": "brown"}
    fuzzy_before = _sgic_response(baseline, other, gender="boy")
    fuzzy_after = _sgic_response(post, {**other, "older_siblings": "2"}, gender="boy")
    result = selectors.sgic_match(baseline=baseline, post=post)
    assert result.exact == [(exact_before.pk, exact_after.pk)]
    assert result.fuzzy == [(fuzzy_before.pk, fuzzy_after.pk)]
