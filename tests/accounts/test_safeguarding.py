"""A school's designated safeguarding lead and deputies, and its safeguarding inbox: who
receives a pupil's request to talk (accounts.selectors), how the school lead sets them
(accounts.services, the staff and safeguarding pages), the audit trail, and the staff
home's count of what waits for the lead."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time
from wagtail.models import ModelLogEntry

from accounts import selectors, services
from accounts.models import Membership
from accounts.roles import OFFICER
from tests.factories import MembershipFactory, SchoolFactory, UserFactory, login_with_second_factor

pytestmark = pytest.mark.django_db

DSL = Membership.Safeguarding.DSL
DEPUTY = Membership.Safeguarding.DEPUTY


@pytest.fixture
def school():
    return SchoolFactory(dsl_name="Mrs Ahmed", dsl_contact="Room B12", safeguarding_email="")


@pytest.fixture
def lead(school):
    return MembershipFactory(school=school, role=Membership.Role.SCHOOL_LEAD, user__email="lead@oak.example").user


@pytest.fixture
def teacher_membership(school):
    return MembershipFactory(school=school, user__email="ahmed@oak.example", user__first_name="Aisha")


def _entries(instance, action: str) -> list[dict]:
    return [entry.data for entry in ModelLogEntry.objects.for_instance(instance).filter(action=action)]


# --- Who receives a pupil's request --------------------------------------------------------


def test_requests_go_to_the_safeguarding_lead_deputies_and_inbox_not_the_school_lead(school, lead):
    dsl = MembershipFactory(school=school, safeguarding_role=DSL, user__email="dsl@oak.example")
    MembershipFactory(school=school, safeguarding_role=DEPUTY, user__email="deputy@oak.example")
    MembershipFactory(school=school, safeguarding_role=DEPUTY, status="pending", user__email="pending@oak.example")
    MembershipFactory(school=school, safeguarding_role=DEPUTY, status="revoked", user__email="gone@oak.example")
    MembershipFactory(school=school, safeguarding_role=DEPUTY, user__email="off@oak.example", user__is_active=False)
    MembershipFactory(safeguarding_role=DSL, user__email="elsewhere@other.example")  # another school's
    school.safeguarding_email = "Safeguarding@Oak.example"
    school.save()

    assert selectors.talk_request_recipients(school) == [
        "deputy@oak.example",
        "dsl@oak.example",
        "safeguarding@oak.example",
    ]
    assert [m.user.email for m in selectors.safeguarding_leads(school)] == [dsl.user.email, "deputy@oak.example"]


def test_a_school_that_has_named_nobody_still_reaches_its_school_leads(school, lead):
    assert selectors.talk_request_recipients(school) == [lead.email]
    assert selectors.talk_requests_reach_safeguarding_lead(school) is False


def test_the_pupil_is_told_the_name_only_when_requests_reach_someone_besides_the_lead(school, lead):
    assert not selectors.talk_requests_reach_safeguarding_lead(school)  # a name but nobody to receive
    school.safeguarding_email = "safeguarding@oak.example"
    assert selectors.talk_requests_reach_safeguarding_lead(school)
    school.dsl_name = "  "
    assert not selectors.talk_requests_reach_safeguarding_lead(school)  # receivers but no name to tell
    school.dsl_name = "Mrs Ahmed"
    school.safeguarding_email = ""
    MembershipFactory(school=school, safeguarding_role=DEPUTY)
    assert selectors.talk_requests_reach_safeguarding_lead(school)


def test_safeguarding_leads_and_school_leads_see_talk_requests_teachers_do_not(school, lead, teacher_membership):
    dsl = MembershipFactory(school=school, safeguarding_role=DSL).user
    other_school_dsl = MembershipFactory(safeguarding_role=DSL).user
    assert list(selectors.schools_seeing_talk_requests(dsl)) == [school]
    assert list(selectors.schools_seeing_talk_requests(lead)) == [school]
    assert not selectors.schools_seeing_talk_requests(teacher_membership.user).exists()
    assert school not in selectors.schools_seeing_talk_requests(other_school_dsl)


def test_a_safeguarding_role_on_a_pending_membership_grants_nothing(school):
    pending = MembershipFactory(school=school, safeguarding_role=DSL, status="pending").user
    # The same user is an approved teacher elsewhere: the conditions must hold on one row.
    MembershipFactory(user=pending)
    assert school not in selectors.schools_seeing_talk_requests(pending)


# --- Setting them ----------------------------------------------------------------------


def test_the_school_lead_names_a_safeguarding_lead_and_it_is_audited(lead, teacher_membership):
    services.membership_set_safeguarding_role(actor=lead, membership=teacher_membership, safeguarding_role=DSL)
    teacher_membership.refresh_from_db()
    assert teacher_membership.safeguarding_role == DSL
    assert _entries(teacher_membership, "upstream.membership.safeguarding_change") == [{"from": "", "to": "dsl"}]


def test_naming_a_new_safeguarding_lead_makes_the_previous_one_a_deputy(school, lead, teacher_membership):
    previous = MembershipFactory(school=school, safeguarding_role=DSL)
    services.membership_set_safeguarding_role(actor=lead, membership=teacher_membership, safeguarding_role=DSL)
    previous.refresh_from_db()
    assert previous.safeguarding_role == DEPUTY
    assert _entries(previous, "upstream.membership.safeguarding_change") == [{"from": "dsl", "to": "deputy"}]


def test_a_school_lead_may_be_the_safeguarding_lead(school, lead):
    membership = lead.memberships.get()
    services.membership_set_safeguarding_role(actor=lead, membership=membership, safeguarding_role=DSL)
    assert selectors.talk_request_recipients(school) == [lead.email]


def test_only_the_school_lead_or_the_vru_sets_safeguarding_roles(school, teacher_membership):
    colleague = MembershipFactory(school=school).user
    other_lead = MembershipFactory(role=Membership.Role.SCHOOL_LEAD).user
    for actor in (colleague, teacher_membership.user, other_lead):
        with pytest.raises(PermissionDenied):
            services.membership_set_safeguarding_role(
                actor=actor, membership=teacher_membership, safeguarding_role=DEPUTY
            )
    officer = UserFactory(groups=[OFFICER])
    services.membership_set_safeguarding_role(actor=officer, membership=teacher_membership, safeguarding_role=DEPUTY)
    assert Membership.objects.get(pk=teacher_membership.pk).safeguarding_role == DEPUTY


def test_someone_waiting_for_approval_cannot_be_made_safeguarding_lead(school, lead):
    pending = MembershipFactory(school=school, status="pending")
    with pytest.raises(ValidationError, match="Approve this person"):
        services.membership_set_safeguarding_role(actor=lead, membership=pending, safeguarding_role=DSL)
    with pytest.raises(ValidationError):
        services.membership_set_safeguarding_role(actor=lead, membership=pending, safeguarding_role="head")


def test_removing_someone_from_the_school_ends_their_safeguarding_role(school, lead):
    membership = MembershipFactory(school=school, safeguarding_role=DSL)
    services.membership_revoke(actor=lead, membership=membership)
    services.membership_approve(actor=lead, membership=membership)  # back later: not safeguarding again
    membership.refresh_from_db()
    assert membership.safeguarding_role == ""
    assert _entries(membership, "upstream.membership.revoke") == [{"safeguarding_role": {"from": "dsl", "to": ""}}]


def test_safeguarding_details_are_saved_and_audited_with_old_and_new_values(school, lead):
    services.school_safeguarding_update(
        actor=lead,
        school=school,
        dsl_name=" Mr Okafor ",
        dsl_contact="Room B12",
        safeguarding_email="Safeguarding@Oak.example",
    )
    school.refresh_from_db()
    assert (school.dsl_name, school.safeguarding_email) == ("Mr Okafor", "safeguarding@oak.example")
    assert _entries(school, "upstream.school.safeguarding_change") == [
        {
            "dsl_name": {"from": "Mrs Ahmed", "to": "Mr Okafor"},
            "safeguarding_email": {"from": "", "to": "safeguarding@oak.example"},
        }
    ]
    # Saving the same again changes and logs nothing.
    services.school_safeguarding_update(
        actor=lead, school=school, dsl_name="Mr Okafor", dsl_contact="Room B12", safeguarding_email=""
    )
    assert len(_entries(school, "upstream.school.safeguarding_change")) == 2


def test_safeguarding_details_refuse_another_schools_lead_and_a_bad_address(school, lead):
    other_lead = MembershipFactory(role=Membership.Role.SCHOOL_LEAD).user
    with pytest.raises(PermissionDenied):
        services.school_safeguarding_update(
            actor=other_lead, school=school, dsl_name="X", dsl_contact="", safeguarding_email=""
        )
    with pytest.raises(ValidationError):
        services.school_safeguarding_update(
            actor=lead, school=school, dsl_name="Mrs Ahmed", dsl_contact="", safeguarding_email="not an address"
        )
    school.refresh_from_db()
    assert school.safeguarding_email == ""


def test_safeguarding_audit_entries_go_after_two_years(school, lead):
    start = timezone.now()
    with freeze_time(start):
        services.school_safeguarding_update(
            actor=lead, school=school, dsl_name="Mr Okafor", dsl_contact="", safeguarding_email="s@oak.example"
        )
    with freeze_time(start + timedelta(days=731)):
        services.staff_data_purge()
    assert not ModelLogEntry.objects.filter(action="upstream.school.safeguarding_change").exists()


# --- The school lead's pages ------------------------------------------------------------


def test_the_school_lead_marks_a_safeguarding_lead_on_the_staff_page(client, school, lead, teacher_membership):
    client.force_login(lead)
    page = client.get(reverse("accounts:school_staff", args=[school.pk])).content.decode()
    assert "Make safeguarding lead" in page and "come to the school leads" in page
    response = client.post(reverse("accounts:membership_action", args=[teacher_membership.pk, "dsl"]))
    assert response.status_code == 302
    teacher_membership.refresh_from_db()
    assert teacher_membership.safeguarding_role == DSL
    page = client.get(reverse("accounts:school_staff", args=[school.pk])).content.decode()
    assert "Pupils are told their request goes to <strong>Mrs Ahmed</strong>" in page
    assert "ahmed@oak.example" in page.split("Requests are e-mailed to:")[1].split("</p>")[0]

    client.post(reverse("accounts:membership_action", args=[teacher_membership.pk, "not_safeguarding"]))
    teacher_membership.refresh_from_db()
    assert teacher_membership.safeguarding_role == ""


def test_the_school_lead_sets_the_name_pupils_hear_and_the_inbox(client, school, lead):
    client.force_login(lead)
    url = reverse("accounts:school_safeguarding", args=[school.pk])
    assert client.get(url).status_code == 200
    bad = client.post(url, {"dsl_name": "Mrs Ahmed", "dsl_contact": "", "safeguarding_email": "nope"})
    assert bad.status_code == 200 and b"Enter a valid email address" in bad.content
    response = client.post(
        url, {"dsl_name": "Mrs Ahmed", "dsl_contact": "Room B12", "safeguarding_email": "safe@oak.example"}
    )
    assert response.status_code == 302
    school.refresh_from_db()
    assert school.safeguarding_email == "safe@oak.example"


def test_teachers_and_other_schools_cannot_set_safeguarding(client, school, teacher_membership):
    url = reverse("accounts:school_safeguarding", args=[school.pk])
    client.force_login(teacher_membership.user)
    assert client.get(url).status_code == 403
    assert client.post(url, {"dsl_name": "Me", "safeguarding_email": "me@evil.example"}).status_code == 403
    client.force_login(MembershipFactory(role=Membership.Role.SCHOOL_LEAD).user)
    assert client.post(url, {"dsl_name": "Me", "safeguarding_email": "me@evil.example"}).status_code == 403
    client.force_login(teacher_membership.user)
    other = MembershipFactory(school=school)
    assert client.post(reverse("accounts:membership_action", args=[other.pk, "dsl"])).status_code == 403
    school.refresh_from_db()
    other.refresh_from_db()
    assert school.safeguarding_email == "" and other.safeguarding_role == ""


def test_an_officer_can_set_a_schools_safeguarding_details(client, school):
    officer = UserFactory(groups=[OFFICER], mfa=True)
    login_with_second_factor(client, officer)
    response = client.post(
        reverse("accounts:school_safeguarding", args=[school.pk]),
        {"dsl_name": "Mrs Ahmed", "dsl_contact": "", "safeguarding_email": "safe@oak.example"},
    )
    assert response.status_code == 302


# --- The staff home ----------------------------------------------------------------------


def _home(client, user) -> str:
    client.force_login(user)
    return client.get(reverse("accounts:home")).content.decode()


def test_the_school_leads_home_counts_teachers_waiting_and_asks_to_name_the_safeguarding_lead(client, school, lead):
    MembershipFactory(school=school, status="pending")
    MembershipFactory(school=school, status="pending")
    MembershipFactory(status="pending")  # another school's
    page = _home(client, lead)
    staff_url = reverse("accounts:school_staff", args=[school.pk])
    assert f'<a href="{staff_url}">Teachers waiting for approval</a>: <strong>2</strong>' in page
    assert "Set your safeguarding lead" in page
    assert reverse("accounts:school_safeguarding", args=[school.pk]) in page


def test_the_nag_goes_once_requests_reach_the_named_safeguarding_lead(client, school, lead):
    MembershipFactory(school=school, safeguarding_role=DSL)
    page = _home(client, lead)
    assert "Set your safeguarding lead" not in page
    assert "Teachers waiting for approval</a>: none" in page


def test_a_teachers_home_shows_no_counts_or_nag(client, school, teacher_membership):
    MembershipFactory(school=school, status="pending")
    page = _home(client, teacher_membership.user)
    assert "Teachers waiting for approval" not in page and "Set your safeguarding lead" not in page
