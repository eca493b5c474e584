"""The pupil write path (surveys.services.submission): idempotent page saves and submit."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.utils import timezone

from surveys.models import Answer, OutboxMessage, PageSave, Response
from surveys.services import submission, talk
from tests.surveys.factories import make_pupil

PAGE1 = {"SAFE_01": 4, "SAFE_02": "dk", "SAFE_03": "pns"}
PAGE2 = {"HELP_01": 3, "HELP_02": "1"}
PAGE3 = {"GENDER": "girl", "ETHNIC": "pns"}


def save(window, pupil, key, page, seq, answers, final=False, **kwargs):
    return submission.page_save(
        window_id=window.pk,
        participant_id=pupil.pk,
        submission_key=key,
        page_no=page,
        client_seq=seq,
        answers=answers,
        final=final,
        **kwargs,
    )


def complete(window, pupil, key=None):
    key = key or uuid.uuid4()
    save(window, pupil, key, 1, 1, PAGE1)
    save(window, pupil, key, 2, 2, PAGE2)
    return save(window, pupil, key, 3, 3, PAGE3, final=True), key


def answers_of(response):
    return {a.item.code: (a.value, a.missing) for a in response.answers.select_related("item")}


def test_page_save_stores_values_and_distinct_missing_codes(window, pupil):
    key = uuid.uuid4()
    result = save(window, pupil, key, 1, 1, PAGE1)
    response = Response.objects.get(submission_key=key)
    assert result.completed is False and result.replayed is False
    assert response.status == Response.Status.IN_PROGRESS
    assert answers_of(response) == {"SAFE_01": (4, ""), "SAFE_02": (None, "dk"), "SAFE_03": (None, "pns")}


def test_unanswered_questions_on_a_saved_page_are_recorded_as_skipped(window, pupil):
    key = uuid.uuid4()
    save(window, pupil, key, 1, 1, {"SAFE_01": 2})
    response = Response.objects.get(submission_key=key)
    assert answers_of(response)["SAFE_03"] == (None, "skip")


def test_replay_with_same_key_and_body_returns_success_without_new_rows(window, pupil):
    key = uuid.uuid4()
    save(window, pupil, key, 1, 1, PAGE1)
    again = save(window, pupil, key, 1, 1, {"SAFE_01": "4", "SAFE_02": "dk", "SAFE_03": "pns"})
    assert again.replayed is True
    assert PageSave.objects.count() == 1 and Answer.objects.count() == 3 and Response.objects.count() == 1


def test_same_key_with_different_answers_is_refused_with_422(window, pupil):
    key = uuid.uuid4()
    save(window, pupil, key, 1, 1, PAGE1)
    with pytest.raises(submission.KeyReused) as refused:
        save(window, pupil, key, 1, 1, {**PAGE1, "SAFE_01": 5})
    assert refused.value.status == 422
    assert answers_of(Response.objects.get())["SAFE_01"] == (4, "")


def test_a_later_save_of_a_page_replaces_its_answers(window, pupil):
    key = uuid.uuid4()
    save(window, pupil, key, 1, 1, PAGE1)
    save(window, pupil, key, 1, 2, {**PAGE1, "SAFE_01": 5})
    assert answers_of(Response.objects.get())["SAFE_01"] == (5, "")


def test_an_older_save_arriving_late_does_not_overwrite_a_newer_one(window, pupil):
    key = uuid.uuid4()
    save(window, pupil, key, 1, 7, {**PAGE1, "SAFE_01": 5})
    save(window, pupil, key, 1, 6, PAGE1)
    assert answers_of(Response.objects.get())["SAFE_01"] == (5, "")


def test_final_submit_completes_with_a_date_and_nothing_left_to_do_later(window, pupil):
    result, key = complete(window, pupil)
    response = Response.objects.get(submission_key=key)
    assert result.completed is True
    assert response.status == Response.Status.COMPLETED
    assert isinstance(response.submitted_on, datetime.date) and not isinstance(response.submitted_on, datetime.datetime)
    assert (response.gender, response.ethnic_group) == ("girl", "pns")
    assert response.final_hash
    # The class is counted when its window closes: a completion leaves no outbox message
    # (one with no consumer would only be retried and dead-lettered).
    assert not OutboxMessage.objects.exists()


def test_double_final_submit_retry_and_second_tab_make_one_response(window, pupil):
    _, key = complete(window, pupil)
    replay = save(window, pupil, key, 3, 3, PAGE3, final=True)
    second_tab = save(window, pupil, key, 3, 99, PAGE3, final=True)
    assert replay.replayed and second_tab.replayed and second_tab.completed
    assert Response.objects.count() == 1


def test_changing_answers_after_sending_is_refused(window, pupil):
    _, key = complete(window, pupil)
    with pytest.raises(submission.KeyReused):
        save(window, pupil, key, 3, 4, {"GENDER": "boy", "ETHNIC": "pns"}, final=True)
    with pytest.raises(submission.KeyReused):
        save(window, pupil, key, 1, 5, {**PAGE1, "SAFE_01": 1})
    assert Response.objects.get().gender == "girl"


def test_second_submission_from_the_same_card_is_kept_as_a_conflict_not_an_overwrite(window, pupil):
    _, first_key = complete(window, pupil)
    original = answers_of(Response.objects.get(submission_key=first_key))
    result, second_key = complete(window, pupil)
    assert result.conflict is True
    second = Response.objects.get(submission_key=second_key)
    assert second.status == Response.Status.CONFLICT
    assert answers_of(Response.objects.get(submission_key=first_key)) == original
    assert Response.objects.filter(window=window, status=Response.Status.COMPLETED).count() == 1


def test_a_key_belonging_to_another_pupil_is_refused(window, pupil):
    key = uuid.uuid4()
    save(window, pupil, key, 1, 1, PAGE1)
    other = make_pupil(window)
    with pytest.raises(submission.KeyReused):
        save(window, other, key, 1, 1, PAGE1)


@pytest.mark.parametrize(
    ("page", "answers", "fragment"),
    [
        (1, {"NOPE_01": 1}, "Unknown question code 'NOPE_01'"),
        (1, {"HELP_01": 1}, "Unknown question code 'HELP_01'"),
        (1, {"SAFE_01": 6}, "must be one of its options"),
        (1, {"SAFE_01": 0}, "must be one of its options"),
        (1, {"SAFE_01": True}, "must be one of its options"),
        (1, {"SAFE_01": "5.0"}, "must be one of its options"),
        (2, {"HELP_01": 4}, "must be one of its options"),
        (3, {"GENDER": "dk"}, "must be one of its options"),
        (1, ["SAFE_01"], "Answers must be an object"),
        (4, {}, "there is no page 4"),
    ],
)
def test_bad_answers_are_refused_with_a_clear_400_and_nothing_is_stored(window, pupil, page, answers, fragment):
    with pytest.raises(submission.InvalidAnswers) as refused:
        save(window, pupil, uuid.uuid4(), page, 1, answers)
    assert refused.value.status == 400
    assert fragment in refused.value.message
    assert not Response.objects.exists() and not Answer.objects.exists()


def test_final_flag_is_only_accepted_on_the_last_page(window, pupil):
    with pytest.raises(submission.InvalidAnswers):
        save(window, pupil, uuid.uuid4(), 1, 1, PAGE1, final=True)


def test_closed_window_refuses_new_answers_but_replays_an_accepted_save(window, pupil):
    key = uuid.uuid4()
    save(window, pupil, key, 1, 1, PAGE1)
    window.closed_at = window.opens_at + datetime.timedelta(minutes=5)
    window.save()
    assert save(window, pupil, key, 1, 1, PAGE1).replayed is True
    with pytest.raises(submission.WindowClosed) as refused:
        save(window, pupil, key, 2, 2, PAGE2)
    assert refused.value.status == 409
    assert not Answer.objects.filter(item__code__startswith="HELP").exists()


def test_submission_key_for_carries_on_only_with_the_key_this_device_holds(window, pupil):
    key = uuid.uuid4()
    save(window, pupil, key, 1, 1, PAGE1)
    held = submission.submission_key_for(window_id=window.pk, participant_id=pupil.pk, held_key=str(key))
    assert held == key


def test_submission_key_for_never_hands_out_another_device_s_key(window, pupil):
    """The bug this replaces: anyone typing the card code was given the unfinished
    response's key, with its answers."""
    key = uuid.uuid4()
    save(window, pupil, key, 1, 1, PAGE1)
    for held in (None, "", "not-a-key", str(uuid.uuid4())):
        other = submission.submission_key_for(window_id=window.pk, participant_id=pupil.pk, held_key=held)
        assert other != key


def test_submission_key_for_starts_afresh_once_the_held_response_was_sent(window, pupil):
    _, key = complete(window, pupil)
    assert submission.submission_key_for(window_id=window.pk, participant_id=pupil.pk, held_key=str(key)) != key


def test_a_held_key_for_another_card_is_not_used(window, pupil):
    key = uuid.uuid4()
    save(window, pupil, key, 1, 1, PAGE1)
    other = make_pupil(window)
    assert submission.submission_key_for(window_id=window.pk, participant_id=other.pk, held_key=str(key)) != key


def test_a_second_device_s_response_is_kept_apart_and_never_changes_the_first(window, pupil):
    first_key = submission.submission_key_for(window_id=window.pk, participant_id=pupil.pk, held_key=None)
    save(window, pupil, first_key, 1, 1, PAGE1)
    second_key = submission.submission_key_for(window_id=window.pk, participant_id=pupil.pk, held_key=None)
    result = save(window, pupil, second_key, 1, 1, {"SAFE_01": 1})
    assert result.conflict is True
    first = Response.objects.get(submission_key=first_key)
    assert first.status == Response.Status.IN_PROGRESS and answers_of(first)["SAFE_01"] == (4, "")
    assert Response.objects.get(submission_key=second_key).status == Response.Status.CONFLICT
    # Both send: only the first counts, the second stays apart and takes no quota.
    save(window, pupil, first_key, 3, 3, PAGE3, final=True)
    save(window, pupil, second_key, 3, 3, PAGE3, final=True)
    statuses = dict(Response.objects.values_list("submission_key", "status"))
    assert statuses == {first_key: Response.Status.COMPLETED, second_key: Response.Status.CONFLICT}


def test_identical_self_generated_codes_never_share_answers():
    from surveys import sgic
    from surveys.models import SurveyWindow
    from tests.surveys.factories import SGIC_ANSWERS, PupilSurveyWindowFactory

    window = PupilSurveyWindowFactory(linkage=SurveyWindow.Linkage.SGIC)
    hashes = sgic.hash_elements(SGIC_ANSWERS, school_id=window.group.school_id)

    def same_code_pupil():
        return submission.sgic_participant_get_or_create(
            school_id=window.group.school_id,
            academic_year=window.group.academic_year,
            code_hash=hashes.code_hash,
            element_hashes=hashes.element_hashes,
        )

    twin_a, twin_b = same_code_pupil(), same_code_pupil()
    assert twin_a.pk == twin_b.pk  # two pupils whose own codes came out the same
    key_a = submission.submission_key_for(window_id=window.pk, participant_id=twin_a.pk, held_key=None)
    save(window, twin_a, key_a, 1, 1, PAGE1)
    key_b = submission.submission_key_for(window_id=window.pk, participant_id=twin_b.pk, held_key=None)
    assert key_b != key_a
    assert save(window, twin_b, key_b, 1, 1, {"SAFE_01": 2}).conflict is True
    assert answers_of(Response.objects.get(submission_key=key_a))["SAFE_01"] == (4, "")
    assert answers_of(Response.objects.get(submission_key=key_b))["SAFE_01"] == (2, "")


def test_response_rows_hold_no_address_device_or_time():
    names = {field.name for field in Response._meta.get_fields()}
    assert not names & {"ip", "ip_address", "user_agent", "created_at", "submitted_at"}
    for field in Response._meta.concrete_fields:
        assert field.get_internal_type() != "DateTimeField", field.name


def test_talk_request_holds_the_card_code_only_and_is_made_once_a_day(window, pupil):
    first = talk.talk_request_create(window_id=window.pk, school_id=window.group.school_id, card_code="ABCDEFG")
    again = talk.talk_request_create(window_id=window.pk, school_id=window.group.school_id, card_code="ABCDEFG")
    assert first.pk == again.pk and first.card_code == "ABCDEFG"


def test_talk_request_is_refused_once_the_window_has_closed(window):
    from surveys.models import SurveyWindow, TalkRequest

    SurveyWindow.objects.filter(pk=window.pk).update(closed_at=window.opens_at)
    for code in ("ABCDEFG", ""):
        with pytest.raises(talk.TalkClosed):
            talk.talk_request_create(window_id=window.pk, school_id=window.group.school_id, card_code=code)
    assert not TalkRequest.objects.exists() and not OutboxMessage.objects.exists()


def test_requests_without_a_card_are_bounded_per_window_and_day(window):
    from surveys.models import TalkRequest
    from surveys.services.windows import window_quota

    allowed = window_quota(window.group.pupil_count)
    for _ in range(allowed):
        talk.talk_request_create(window_id=window.pk, school_id=window.group.school_id, card_code="")
    with pytest.raises(talk.TalkLimited):
        talk.talk_request_create(window_id=window.pk, school_id=window.group.school_id, card_code="")
    assert TalkRequest.objects.count() == allowed
    # A pupil with a card is still heard, and the next day the budget is fresh.
    talk.talk_request_create(window_id=window.pk, school_id=window.group.school_id, card_code="ABCDEFG")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    talk.talk_request_create(window_id=window.pk, school_id=window.group.school_id, card_code="", today=tomorrow)
    assert TalkRequest.objects.count() == allowed + 2
