"""A window counts at most the class size plus 10 % of sent responses (docs/decisions.md#t19, wave-quota
ballot stuffing): the rest are kept apart, the teacher is told, and can count them once
the class size is corrected. Sends racing on PostgreSQL never count more than the quota."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.urls import reverse

from surveys.models import Response
from surveys.selectors import window_counts
from surveys.services import submission
from surveys.services.windows import window_quota, window_recount
from tests.factories import MembershipFactory
from tests.surveys.factories import PupilSurveyWindowFactory, make_pupil

FINAL_PAGE = {"GENDER": "girl", "ETHNIC": "white"}


def send(window, pupil):
    return submission.page_save(
        window_id=window.pk,
        participant_id=pupil.pk,
        submission_key=uuid.uuid4(),
        page_no=3,
        client_seq=1,
        answers=FINAL_PAGE,
        final=True,
    )


@pytest.mark.parametrize(("class_size", "quota"), [(30, 33), (28, 31), (10, 11), (3, 4), (1, 2)])
def test_the_quota_is_the_class_size_plus_ten_percent_rounded_up(class_size, quota):
    assert window_quota(class_size) == quota


@pytest.mark.django_db
def test_answers_beyond_the_quota_are_kept_apart_not_counted():
    window = PupilSurveyWindowFactory(group__pupil_count=3)  # quota 4
    results = [send(window, make_pupil(window)) for _ in range(6)]
    assert all(result.completed for result in results)  # every pupil is thanked the same way
    assert window_counts(window=window)["completed"] == 4
    assert window_counts(window=window) == {"completed": 4, "started": 0, "conflicts": 0, "over_quota": 2}
    kept_apart = Response.objects.filter(status=Response.Status.OVER_QUOTA)
    assert kept_apart.count() == 2 and all(response.submitted_on for response in kept_apart)
    sent_order = Response.objects.order_by("pk").values_list("status", flat=True)
    assert list(sent_order) == [Response.Status.COMPLETED] * 4 + [Response.Status.OVER_QUOTA] * 2


@pytest.mark.django_db
def test_a_replayed_send_keeps_its_status():
    window = PupilSurveyWindowFactory(group__pupil_count=1)  # quota 2
    pupils = [make_pupil(window) for _ in range(3)]
    key = uuid.uuid4()
    for pupil in pupils[:2]:
        send(window, pupil)
    kwargs = {
        "window_id": window.pk,
        "participant_id": pupils[2].pk,
        "submission_key": key,
        "page_no": 3,
        "client_seq": 1,
    }
    submission.page_save(**kwargs, answers=FINAL_PAGE, final=True)
    again = submission.page_save(**kwargs, answers=FINAL_PAGE, final=True)
    assert again.replayed and Response.objects.get(submission_key=key).status == Response.Status.OVER_QUOTA
    assert window_counts(window=window)["completed"] == 2


@pytest.mark.django_db
def test_the_teacher_is_told_and_can_count_them_after_correcting_the_class_size(client):
    window = PupilSurveyWindowFactory(group__pupil_count=3)
    for _ in range(7):
        send(window, make_pupil(window))
    teacher = window.group.teacher
    client.force_login(teacher)
    page = client.get(reverse("surveys:window_detail", args=[window.pk])).content.decode()
    assert "3 sets of answers arrived after 4 had been sent" in page
    assert "Count the answers kept apart" in page

    nothing = client.post(reverse("surveys:window_recount", args=[window.pk]), follow=True).content.decode()
    assert "Nothing changed" in nothing and window_counts(window=window)["completed"] == 4

    window.group.pupil_count = 5  # quota 6: two of the three can now count
    window.group.save()
    done = client.post(reverse("surveys:window_recount", args=[window.pk]), follow=True).content.decode()
    assert "2 more sets of answers now counted" in done
    assert window_counts(window=window) == {"completed": 6, "started": 0, "conflicts": 0, "over_quota": 1}
    first_kept = Response.objects.filter(window=window).order_by("pk")[4:6]
    assert {response.status for response in first_kept} == {Response.Status.COMPLETED}  # oldest first


@pytest.mark.django_db
def test_only_the_classs_staff_can_recount():
    window = PupilSurveyWindowFactory(group__pupil_count=1)
    outsider = MembershipFactory().user  # a teacher at another school
    with pytest.raises(PermissionDenied):
        window_recount(actor=outsider, window=window)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgresql")
def test_racing_sends_never_count_more_than_the_quota():
    window = PupilSurveyWindowFactory(group__pupil_count=10)  # quota 11
    pupils = [make_pupil(window) for _ in range(24)]
    start = threading.Barrier(len(pupils))
    errors = []

    def pupil_sends(pupil):
        try:
            start.wait(10)
            send(window, pupil)
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=pupil_sends, args=(pupil,)) for pupil in pupils]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert window_counts(window=window) == {"completed": 11, "started": 0, "conflicts": 0, "over_quota": 13}


@pytest.mark.django_db
def test_a_second_device_with_the_same_card_is_never_counted_and_takes_no_quota():
    window = PupilSurveyWindowFactory(group__pupil_count=1)  # quota 2
    pupil, classmate = make_pupil(window), make_pupil(window)
    for _device in range(2):  # the same card on two devices, both sending
        key = submission.submission_key_for(window_id=window.pk, participant_id=pupil.pk, held_key=None)
        submission.page_save(
            window_id=window.pk,
            participant_id=pupil.pk,
            submission_key=key,
            page_no=3,
            client_seq=1,
            answers=FINAL_PAGE,
            final=True,
        )
    assert window_counts(window=window) == {"completed": 1, "started": 0, "conflicts": 1, "over_quota": 0}
    assert send(window, classmate).conflict is False  # the classmate still fits in the quota
    assert window_counts(window=window)["completed"] == 2
