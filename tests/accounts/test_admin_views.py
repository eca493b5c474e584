"""Deleting in the Wagtail admin (accounts.admin_views.InUseDeleteView): a row other rows
still use is refused with a message naming what uses it, before anything is written,
whether or not Wagtail's reference index knows about the rows that use it."""

from __future__ import annotations

import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry, ReferenceIndex

from accounts.admin_views import describe_blockers, rows_blocking_delete
from accounts.models import LocalAuthority, School
from lessons.models import TeachingGroup
from tests.factories import MembershipFactory, SchoolFactory, UserFactory, login_with_second_factor
from tests.lessons.factories import TeachingGroupFactory
from tests.surveys.factories import SurveyWindowFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    login_with_second_factor(client, UserFactory(is_superuser=True, is_staff=True, mfa=True))
    return client


@pytest.fixture
def authority():
    return LocalAuthority.objects.create(name="Testshire", slug="testshire", gss_code="E99999999")


def test_a_class_with_a_survey_window_is_not_deleted_and_the_admin_says_why(superuser_client):
    window = SurveyWindowFactory()
    group = window.group
    url = reverse("teachinggroup:delete", args=[group.pk])

    confirm = superuser_client.get(url)
    response = superuser_client.post(url, follow=True)

    assert confirm.status_code == 200
    page = confirm.content.decode()
    assert "cannot be deleted because it is still used by 1 survey window" in page
    assert "Yes, delete" not in page  # no button to press
    assert response.redirect_chain == [(reverse("teachinggroup:index"), 302)]
    assert "cannot be deleted because it is still used by 1 survey window" in response.content.decode()
    assert TeachingGroup.objects.filter(pk=group.pk).exists()
    assert not ModelLogEntry.objects.filter(action="wagtail.delete").exists()  # nothing logged either


def test_an_authority_whose_schools_the_reference_index_never_saw_is_not_deleted(superuser_client, authority):
    """Schools loaded without signals (a bulk import, a data migration) are not in
    Wagtail's reference index, so Wagtail's own check let the delete run into Django's
    PROTECT: a server error."""
    School.objects.bulk_create(
        [School(name="Imported School", urn="999001", local_authority=authority, phase=School.Phase.PRIMARY)]
    )
    assert not ReferenceIndex.get_references_to(authority).exists()

    response = superuser_client.post(reverse("localauthority:delete", args=[authority.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("localauthority:index")
    assert LocalAuthority.objects.filter(pk=authority.pk).exists()
    assert not ModelLogEntry.objects.filter(action="wagtail.delete").exists()


def test_a_row_nothing_uses_is_still_deleted(superuser_client, authority):
    response = superuser_client.post(reverse("localauthority:delete", args=[authority.pk]))

    assert response.status_code == 302
    assert not LocalAuthority.objects.filter(pk=authority.pk).exists()
    assert ModelLogEntry.objects.filter(action="wagtail.delete").count() == 1


def test_blockers_are_found_through_cascades_and_described_by_kind_only(authority):
    school = SchoolFactory(name="Oakfield Academy", local_authority=authority)
    TeachingGroupFactory(membership=MembershipFactory(school=school), name="8R")
    TeachingGroupFactory(membership=MembershipFactory(school=school), name="9S")

    assert rows_blocking_delete(authority) == [school]
    # Deleting the school would cascade to its memberships; its classes PROTECT it.
    blockers = rows_blocking_delete(school)
    assert {type(row) for row in blockers} == {TeachingGroup}
    assert describe_blockers(blockers) == "2 teaching groups"
    assert "8R" not in describe_blockers(blockers)
