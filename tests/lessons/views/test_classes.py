"""Class and delivery-log pages (lessons.views.classes): approval and tenancy guards, and
the teacher's journey through them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from lessons.models import LessonDelivery, TeachingGroup
from tests.factories import MembershipFactory

from ..factories import LessonDeliveryFactory, TeachingGroupFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(programme, lessons, membership):
    return TeachingGroupFactory(programme=programme, membership=membership, name="8R")


@pytest.fixture
def teacher_client(client, teacher):
    client.force_login(teacher)
    return client


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("lessons:group_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_unapproved_teacher_gets_403_on_class_creation(client, school, programme):
    pending = MembershipFactory(school=school, status=Membership.Status.PENDING).user
    client.force_login(pending)
    assert client.get(reverse("lessons:group_create")).status_code == 403
    data = {"school": school.pk, "name": "8X", "year_group": 8, "pupil_count": 20, "programme": programme.pk}
    response = client.post(reverse("lessons:group_create"), data)
    assert response.status_code == 403
    assert "approve" in response.content.decode().lower()
    assert not TeachingGroup.objects.exists()


def test_teacher_creates_a_class_with_a_co_teacher(teacher_client, teacher, school, programme):
    colleague = MembershipFactory(school=school).user
    response = teacher_client.get(reverse("lessons:group_create") + f"?programme={programme.pk}")
    assert response.status_code == 200
    assert colleague.email in response.content.decode()
    response = teacher_client.post(
        reverse("lessons:group_create"),
        {
            "school": school.pk,
            "name": "8R",
            "year_group": 8,
            "pupil_count": 28,
            "programme": programme.pk,
            "co_teachers": [colleague.pk],
        },
    )
    group = TeachingGroup.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("lessons:group_detail", args=[group.pk])
    assert (group.school, group.teacher, list(group.co_teachers.all())) == (school, teacher, [colleague])


def test_class_form_offers_only_schools_where_the_teacher_is_approved(teacher_client, school):
    elsewhere = MembershipFactory(status=Membership.Status.PENDING).school
    html = teacher_client.get(reverse("lessons:group_create")).content.decode()
    assert school.name in html
    assert elsewhere.name not in html


def test_class_form_refuses_bad_input_with_field_errors(teacher_client, school, programme):
    response = teacher_client.post(
        reverse("lessons:group_create"),
        {"school": school.pk, "name": "", "year_group": 8, "pupil_count": 0, "programme": programme.pk},
    )
    assert response.status_code == 200
    assert response.context["form"].errors.keys() >= {"name", "pupil_count"}


@pytest.mark.parametrize(
    ("name", "method", "needs_delivery"),
    [
        ("lessons:group_detail", "get", False),
        ("lessons:group_edit", "get", False),
        ("lessons:group_edit", "post", False),
        ("lessons:group_archive", "post", False),
        ("lessons:delivery_create", "get", False),
        ("lessons:delivery_create", "post", False),
        ("lessons:delivery_edit", "get", True),
        ("lessons:delivery_edit", "post", True),
        ("lessons:delivery_delete", "get", True),
        ("lessons:delivery_delete", "post", True),
    ],
)
def test_another_schools_group_is_404_everywhere(client, group, lesson, name, method, needs_delivery):
    delivery = LessonDeliveryFactory(group=group, lesson=lesson)
    outsider = MembershipFactory(role=Membership.Role.SCHOOL_LEAD).user
    client.force_login(outsider)
    args = [group.pk, delivery.pk] if needs_delivery else [group.pk]
    data = {"lesson": lesson.pk, "delivered_on": "2026-01-01", "minutes": 10, "name": "Hacked", "archive": "1"}
    response = getattr(client, method)(reverse(name, args=args), data if method == "post" else None)
    assert response.status_code == 404
    group.refresh_from_db()
    assert (group.name, group.archived_at) == ("8R", None)
    assert LessonDelivery.objects.filter(pk=delivery.pk, minutes=50).exists()


def test_group_page_shows_progress_next_lesson_and_plan_links(teacher_client, group, lessons):
    LessonDeliveryFactory(group=group, lesson=lessons[0])
    html = teacher_client.get(reverse("lessons:group_detail", args=[group.pk])).content.decode()
    assert "1 of 3 lessons delivered" in html
    assert f'Next lesson: <a href="{lessons[1].url}">{lessons[1].title}</a>' in html
    assert reverse("lessons:lesson_plan", args=[lessons[1].pk]) in html
    assert "style=" not in html


def test_school_lead_sees_every_class_of_the_school(client, group, school):
    lead = MembershipFactory(school=school, role=Membership.Role.SCHOOL_LEAD).user
    client.force_login(lead)
    assert "8R" in client.get(reverse("lessons:group_list")).content.decode()
    assert client.get(reverse("lessons:group_detail", args=[group.pk])).status_code == 200


def test_marking_a_lesson_delivered_records_the_live_revision(teacher_client, group, lessons):
    url = reverse("lessons:delivery_create", args=[group.pk]) + f"?lesson={lessons[1].pk}"
    form = teacher_client.get(url)
    assert form.context["form"].initial["lesson"] == lessons[1].pk
    day = timezone.localdate() - dt.timedelta(days=1)
    response = teacher_client.post(
        url, {"lesson": lessons[1].pk, "delivered_on": day.isoformat(), "minutes": 45, "adaptations": "Shorter plenary"}
    )
    assert response.status_code == 302
    delivery = LessonDelivery.objects.get()
    assert (delivery.lesson_id, delivery.revision, delivery.minutes) == (lessons[1].pk, lessons[1].live_revision, 45)


def test_future_dates_are_refused_with_a_clear_message(teacher_client, group, lesson):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = teacher_client.post(
        reverse("lessons:delivery_create", args=[group.pk]),
        {"lesson": lesson.pk, "delivered_on": tomorrow.isoformat(), "minutes": 45},
    )
    assert response.status_code == 200
    assert "cannot be in the future" in response.content.decode()
    assert not LessonDelivery.objects.exists()


def test_teacher_corrects_and_undoes_an_entry(teacher_client, group, lesson):
    delivery = LessonDeliveryFactory(group=group, lesson=lesson)
    edit = reverse("lessons:delivery_edit", args=[group.pk, delivery.pk])
    response = teacher_client.post(
        edit, {"delivered_on": delivery.delivered_on.isoformat(), "minutes": 35, "note": "Fire drill"}
    )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.minutes, delivery.note) == (35, "Fire drill")
    delete = reverse("lessons:delivery_delete", args=[group.pk, delivery.pk])
    assert "Remove this entry" in teacher_client.get(delete).content.decode()
    assert teacher_client.post(delete).status_code == 302
    assert not LessonDelivery.objects.exists()


def test_archived_class_leaves_the_list_and_can_be_restored(teacher_client, group):
    teacher_client.post(reverse("lessons:group_archive", args=[group.pk]), {"archive": "1"})
    group.refresh_from_db()
    assert group.is_archived
    listing = teacher_client.get(reverse("lessons:group_list"))
    assert group not in [g for g, _ in listing.context["groups"]]
    assert group in listing.context["archived"]
    teacher_client.post(reverse("lessons:group_archive", args=[group.pk]), {"archive": "0"})
    group.refresh_from_db()
    assert not group.is_archived


def test_teacher_edits_class_details(teacher_client, group):
    response = teacher_client.post(
        reverse("lessons:group_edit", args=[group.pk]), {"name": "8R (set 2)", "year_group": 8, "pupil_count": 30}
    )
    assert response.status_code == 302
    group.refresh_from_db()
    assert (group.name, group.pupil_count) == ("8R (set 2)", 30)


# --- Oversized ids (issue 7): a 404 or a form error, never an OverflowError --------------

HUGE_ID = "99999999999999999999"  # beyond a 64-bit integer; SQLite raised OverflowError


@pytest.mark.parametrize(
    "path",
    [
        f"/classes/{HUGE_ID}/",
        f"/classes/{HUGE_ID}/edit/",
        f"/classes/{HUGE_ID}/deliveries/new/",
        f"/classes/1/deliveries/{HUGE_ID}/edit/",
        f"/classes/1/deliveries/{HUGE_ID}/delete/",
        f"/lesson-plans/lessons/{HUGE_ID}.pdf",
        f"/lesson-plans/packs/{HUGE_ID}/",
        f"/staff/schools/{HUGE_ID}/staff/",
    ],
)
def test_oversized_ids_in_class_and_lesson_plan_urls_are_not_found(teacher_client, path):
    assert teacher_client.get(path).status_code == 404


def test_oversized_programme_id_in_a_pack_request_is_not_found(teacher_client):
    assert teacher_client.post(f"/lesson-plans/programmes/{HUGE_ID}/pack/").status_code == 404


def test_oversized_lesson_id_in_the_delivery_link_is_not_found(teacher_client, group):
    url = reverse("lessons:delivery_create", args=[group.pk]) + f"?lesson={HUGE_ID}"

    assert teacher_client.get(url).status_code == 404


@pytest.mark.parametrize("field", ["programme", "co_teachers"])
def test_oversized_ids_in_the_class_form_are_field_errors(teacher_client, school, programme, field):
    data = {"school": school.pk, "name": "8X", "year_group": 8, "pupil_count": 20, "programme": programme.pk}
    data[field] = [HUGE_ID] if field == "co_teachers" else HUGE_ID

    response = teacher_client.post(reverse("lessons:group_create"), data)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not TeachingGroup.objects.exists()


def test_oversized_lesson_id_in_the_delivery_form_is_a_field_error(teacher_client, group):
    response = teacher_client.post(
        reverse("lessons:delivery_create", args=[group.pk]),
        {"lesson": HUGE_ID, "delivered_on": timezone.localdate().isoformat(), "minutes": 30},
    )

    assert response.status_code == 200
    assert "lesson" in response.context["form"].errors
    assert not LessonDelivery.objects.exists()
