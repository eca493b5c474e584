"""A school lead withdraws one pupil's data by card code (docs/decisions.md#retention,
docs/data-protection.md#pupil-data): everything for that card goes, nothing else does, only the school's own
lead can do it, and the audit log never holds the code."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from wagtail.models import ModelLogEntry

from accounts.models import Membership
from surveys.codes import format_card_code
from surveys.models import Answer, PageSave, Participant, Response, SurveyWindow, TalkRequest
from surveys.services.withdrawal import WithdrawalError, pupil_withdraw, withdrawal_preview
from tests.factories import MembershipFactory, UserFactory
from tests.lessons.factories import TeachingGroupFactory
from tests.surveys.factories import SurveyWindowFactory, make_pupil, make_response

pytestmark = pytest.mark.django_db


@pytest.fixture
def school_data():
    """One class with baseline and post windows; two pupils who answered both, and one
    talk request from the first pupil."""
    group = TeachingGroupFactory(name="8R")
    baseline = SurveyWindowFactory(group=group, wave=SurveyWindow.Wave.BASELINE)
    post = SurveyWindowFactory(group=group, wave=SurveyWindow.Wave.POST)
    pupil, other = make_pupil(baseline), make_pupil(baseline)
    item = baseline.instrument_version.items.first()
    for who in (pupil, other):
        for window in (baseline, post):
            response = make_response(window, participant=who)
            Answer.objects.create(response=response, item=item, value=3)
            PageSave.objects.create(response=response, page_no=1, client_seq=1, body_hash="0" * 64)
    TalkRequest.objects.create(
        school=group.school, window=post, card_code=pupil.card_code, requested_on=post.opens_at.date()
    )
    lead = MembershipFactory(school=group.school, role=Membership.Role.SCHOOL_LEAD).user
    return group, pupil, other, lead


def test_preview_lists_the_surveys_that_will_go_never_answers(school_data):
    group, pupil, _, lead = school_data
    preview = withdrawal_preview(actor=lead, school=group.school, academic_year=2026, card_code=pupil.card_code)
    assert preview.surveys == ["8R: baseline survey (sent)", "8R: post survey (sent)"]
    assert preview.talk_requests == 1 and preview.academic_year_display == "2026/27"
    assert Response.objects.count() == 4  # a preview deletes nothing


def test_withdrawing_deletes_everything_for_that_card_and_nothing_else(school_data):
    group, pupil, other, lead = school_data
    typed = format_card_code(pupil.card_code).lower()  # as a person types it: dashes, lower case
    result = pupil_withdraw(actor=lead, school=group.school, academic_year=2026, card_code=typed)
    assert result.as_dict() == {"participants": 1, "responses": 2, "answers": 2, "page_saves": 2, "talk_requests": 1}
    assert not Participant.objects.filter(pk=pupil.pk).exists()
    assert Response.objects.filter(participant=other).count() == 2
    assert Response.objects.count() == 2 and Answer.objects.count() == 2 and PageSave.objects.count() == 2
    assert TalkRequest.objects.count() == 0
    entry = ModelLogEntry.objects.get(action="upstream.pupil.withdraw")
    assert entry.user_id == lead.pk and entry.data == result.as_dict()
    assert pupil.card_code not in str(entry.data) and pupil.card_code not in entry.label


def test_withdrawing_twice_says_there_is_nothing_left(school_data):
    group, pupil, _, lead = school_data
    pupil_withdraw(actor=lead, school=group.school, academic_year=2026, card_code=pupil.card_code)
    with pytest.raises(WithdrawalError, match="nothing"):
        pupil_withdraw(actor=lead, school=group.school, academic_year=2026, card_code=pupil.card_code)
    with pytest.raises(WithdrawalError, match="nothing"):
        withdrawal_preview(actor=lead, school=group.school, academic_year=2026, card_code=pupil.card_code)


@pytest.mark.parametrize(
    ("typed", "message"),
    [("ABC", "7 letters and numbers"), ("AB0-K9Q-X", "isn't on the cards"), ("", "7 letters and numbers")],
)
def test_a_mistyped_code_gets_a_clear_reason(school_data, typed, message):
    group, _, _, lead = school_data
    with pytest.raises(WithdrawalError, match=message):
        withdrawal_preview(actor=lead, school=group.school, academic_year=2026, card_code=typed)


def test_the_wrong_school_year_finds_nothing(school_data):
    group, pupil, _, lead = school_data
    with pytest.raises(WithdrawalError, match="nothing"):
        pupil_withdraw(actor=lead, school=group.school, academic_year=2025, card_code=pupil.card_code)
    assert Participant.objects.filter(pk=pupil.pk).exists()


def test_only_the_schools_own_lead_may_withdraw(school_data):
    group, pupil, _, _ = school_data
    teacher = group.teacher
    other_lead = MembershipFactory(role=Membership.Role.SCHOOL_LEAD).user  # leads another school
    officer = UserFactory(is_superuser=False)
    for actor in (teacher, other_lead, officer):
        with pytest.raises(PermissionDenied):
            pupil_withdraw(actor=actor, school=group.school, academic_year=2026, card_code=pupil.card_code)
    assert Participant.objects.filter(pk=pupil.pk).exists() and TalkRequest.objects.count() == 1


# --- The page --------------------------------------------------------------------------


def test_lead_checks_then_confirms_on_the_page(client, school_data):
    group, pupil, _, lead = school_data
    client.force_login(lead)
    page = client.get("/surveys/withdraw/")
    assert page.status_code == 200 and b"Withdraw a pupil" in page.content
    check = client.post(
        "/surveys/withdraw/", {"school": group.school.pk, "academic_year": 2026, "card_code": pupil.card_code}
    )
    text = check.content.decode()
    assert "Check before you delete" in text and "8R: post survey (sent)" in text
    assert Response.objects.count() == 4
    done = client.post(
        "/surveys/withdraw/",
        {"school": group.school.pk, "academic_year": 2026, "card_code": pupil.card_code, "confirm": "yes"},
        follow=True,
    )
    assert "Withdrawn. Deleted 2 survey response(s) with 2 answer(s)" in done.content.decode()
    assert Response.objects.count() == 2


def test_the_page_shows_a_reason_for_a_bad_code_and_keeps_what_was_typed(client, school_data):
    group, _, _, lead = school_data
    client.force_login(lead)
    page = client.post("/surveys/withdraw/", {"school": group.school.pk, "academic_year": 2026, "card_code": "AB0"})
    text = page.content.decode()
    assert page.status_code == 200 and "Please check the card code" in text and 'value="AB0"' in text
    assert 'aria-invalid="true"' in text


def test_a_teacher_cannot_open_the_page_and_a_lead_cannot_pick_another_school(client, school_data):
    group, pupil, _, _ = school_data
    client.force_login(group.teacher)
    assert client.get("/surveys/withdraw/").status_code == 403
    other_lead = MembershipFactory(role=Membership.Role.SCHOOL_LEAD).user
    client.force_login(other_lead)
    page = client.post(
        "/surveys/withdraw/",
        {"school": group.school.pk, "academic_year": 2026, "card_code": pupil.card_code, "confirm": "yes"},
    )
    assert page.status_code == 200 and "Select a valid choice" in page.content.decode()
    assert Response.objects.count() == 4


def test_preview_says_when_answers_were_kept_apart(school_data):
    group, pupil, _, lead = school_data
    Response.objects.filter(participant=pupil, window__wave=SurveyWindow.Wave.POST).update(
        status=Response.Status.OVER_QUOTA
    )
    preview = withdrawal_preview(actor=lead, school=group.school, academic_year=2026, card_code=pupil.card_code)
    assert preview.surveys[1] == "8R: post survey (sent, kept apart as beyond the class size)"


def test_withdrawing_a_card_also_removes_what_a_second_device_made_with_it(school_data):
    """A second device typing the same card code makes its own response, kept apart as a
    conflict; it is still that card's data, so it goes with the rest."""

    from surveys.services import submission

    group, pupil, other, lead = school_data
    follow_up = SurveyWindowFactory(group=group, wave=SurveyWindow.Wave.FOLLOW_UP)
    item_code = follow_up.instrument_version.items.first().code
    keys = []
    for _device in range(2):
        key = submission.submission_key_for(window_id=follow_up.pk, participant_id=pupil.pk, held_key=None)
        submission.page_save(
            window_id=follow_up.pk,
            participant_id=pupil.pk,
            submission_key=key,
            page_no=1,
            client_seq=1,
            answers={item_code: 2},
        )
        keys.append(key)
    assert Response.objects.get(submission_key=keys[1]).status == Response.Status.CONFLICT
    preview = withdrawal_preview(actor=lead, school=group.school, academic_year=2026, card_code=pupil.card_code)
    assert "8R: follow-up survey (not finished, a second set of answers kept apart)" in preview.surveys
    result = pupil_withdraw(actor=lead, school=group.school, academic_year=2026, card_code=pupil.card_code)
    assert result.responses == 4
    assert not Response.objects.filter(submission_key__in=keys).exists()
    assert not Response.objects.filter(participant=pupil).exists()
    assert Response.objects.filter(participant=other).count() == 2
