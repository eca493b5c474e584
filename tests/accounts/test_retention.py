"""Staff-data retention (accounts.services.staff_data_purge and its nightly task): what is
past its period goes, what is not stays, and a second run is a no-op."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from freezegun import freeze_time
from wagtail.models import ModelLogEntry

from accounts import services, tasks
from accounts.models import Invitation, Membership, User
from tests.factories import MembershipFactory, SchoolFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead():
    school = SchoolFactory(staff_email_domains="oak.example")
    return MembershipFactory(school=school, role=Membership.Role.SCHOOL_LEAD).user


def test_finished_invitations_go_after_ninety_days_open_ones_stay(lead):
    school = lead.memberships.get().school
    start = timezone.now()
    with freeze_time(start):
        old, _ = services.invitation_create(inviter=lead, school=school, email="old@oak.example", role="teacher")
    with freeze_time(start + timedelta(days=97)):
        fresh, _ = services.invitation_create(inviter=lead, school=school, email="new@oak.example", role="teacher")

    with freeze_time(start + timedelta(days=98)):
        counts = services.staff_data_purge()

    assert counts["invitations"] == 1
    assert list(Invitation.objects.values_list("email", flat=True)) == ["new@oak.example"]
    assert fresh.is_usable


def test_sign_ups_never_verified_go_after_thirty_days():
    start = timezone.now()
    with freeze_time(start):
        ghost = UserFactory(email="ghost@oak.example", verified=False)
        MembershipFactory(user=ghost, status=Membership.Status.PENDING)
        real = UserFactory(email="real@oak.example")
        unverified_but_used = UserFactory(email="used@oak.example", verified=False, last_login=start)
        unverified_vru = UserFactory(email="vru@vru.example", verified=False, groups=["VRU officers"])

    with freeze_time(start + timedelta(days=29)):
        assert services.staff_data_purge()["unverified_signups"] == 0
    with freeze_time(start + timedelta(days=31)):
        counts = services.staff_data_purge()

    assert counts["unverified_signups"] == 1
    remaining = set(User.objects.values_list("email", flat=True))
    assert ghost.email not in remaining
    assert {real.email, unverified_but_used.email, unverified_vru.email} <= remaining
    assert not Membership.objects.filter(user_id=ghost.pk).exists()
    assert not EmailAddress.objects.filter(email=ghost.email).exists()


def test_a_long_standing_membership_revoked_recently_is_kept_for_a_year(lead):
    school = lead.memberships.get().school
    start = timezone.now()
    with freeze_time(start):
        member = MembershipFactory(school=school)
    with freeze_time(start + timedelta(days=700)):
        services.membership_revoke(actor=lead, membership=member)
    with freeze_time(start + timedelta(days=701)):
        assert services.staff_data_purge()["revoked_memberships"] == 0
    with freeze_time(start + timedelta(days=700 + 366)):
        assert services.staff_data_purge()["revoked_memberships"] == 1


def test_revoked_memberships_go_after_a_year_approved_ones_stay():
    start = timezone.now()
    with freeze_time(start):
        revoked = MembershipFactory(status=Membership.Status.REVOKED)
        approved = MembershipFactory()

    with freeze_time(start + timedelta(days=366)):
        counts = services.staff_data_purge()

    assert counts["revoked_memberships"] == 1
    assert list(Membership.objects.values_list("pk", flat=True)) == [approved.pk]
    assert User.objects.filter(pk=revoked.user_id).exists()  # the account itself stays


def test_old_session_records_and_expired_sessions_go():
    user = UserFactory()
    start = timezone.now()
    with freeze_time(start):
        store = SessionStore()
        store["x"] = 1
        store.create()
        UserSession.objects.create(user=user, ip="192.0.2.1", session_key=store.session_key, user_agent="test")

    with freeze_time(start + timedelta(seconds=settings.SESSION_COOKIE_AGE + 1)):
        first = services.staff_data_purge()
        assert first["sessions"] == 1
        assert first["user_sessions"] == 0
    with freeze_time(start + timedelta(days=31)):
        assert services.staff_data_purge()["user_sessions"] == 1

    assert not Session.objects.exists()
    assert not UserSession.objects.exists()


def test_staff_audit_entries_go_after_two_years(lead):
    school = lead.memberships.get().school
    start = timezone.now()
    with freeze_time(start):
        services.membership_approve(actor=lead, membership=MembershipFactory(school=school, status="pending"))

    with freeze_time(start + timedelta(days=729)):
        assert services.staff_data_purge()["audit_entries"] == 0
    with freeze_time(start + timedelta(days=731)):
        assert services.staff_data_purge()["audit_entries"] >= 1

    assert not ModelLogEntry.objects.filter(action="upstream.membership.approve").exists()


def test_access_change_audit_entries_go_after_two_years():
    from django.contrib.auth.models import Group

    root = UserFactory(is_superuser=True)
    officer = UserFactory()
    start = timezone.now()
    with freeze_time(start):
        before = services.user_access_snapshot(officer)
        officer.groups.add(Group.objects.get(name="VRU officers"))
        services.user_access_record(actor=root, user=officer, before=before)

    with freeze_time(start + timedelta(days=729)):
        services.staff_data_purge()
        assert ModelLogEntry.objects.filter(action="upstream.user.access_change").exists()
    with freeze_time(start + timedelta(days=731)):
        services.staff_data_purge()

    assert not ModelLogEntry.objects.filter(action="upstream.user.access_change").exists()


def test_purge_twice_is_a_no_op_the_second_time(lead):
    school = lead.memberships.get().school
    services.invitation_create(inviter=lead, school=school, email="old@oak.example", role="teacher")
    UserFactory(email="ghost@oak.example", verified=False)
    MembershipFactory(status=Membership.Status.REVOKED)

    with freeze_time(timezone.now() + timedelta(days=800)):
        first = tasks.purge_staff_data()
        second = tasks.purge_staff_data()

    assert sum(first.values()) > 0
    assert set(second.values()) == {0}


def test_purge_runs_nightly_from_celery_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["accounts-purge-staff-data"]

    assert entry["task"] == tasks.purge_staff_data.name
    assert entry["schedule"] == 24 * 3600
