"""Demo data (accounts.demo and the seed_demo command): idempotent, every demo login works
the way the printed instructions say, and ``make run`` prints little before the logins."""

from __future__ import annotations

import logging
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.management import call_command

from accounts import demo
from accounts.models import Invitation, LocalAuthority, Membership, School, User
from accounts.roles import is_vru_staff

pytestmark = pytest.mark.django_db


def _accounts_state() -> dict:
    return {
        "users": sorted(User.objects.values_list("email", "first_name", "is_staff", "is_superuser")),
        "schools": sorted(School.objects.values_list("urn", "name", "staff_email_domains")),
        "authorities": LocalAuthority.objects.count(),
        "memberships": sorted(Membership.objects.values_list("user__email", "school__urn", "role", "status")),
        "invitations": Invitation.objects.count(),
        "emails": sorted(EmailAddress.objects.values_list("email", "verified", "primary")),
        "authenticators": sorted(Authenticator.objects.values_list("user__email", "type")),
        "group_members": sorted(User.groups.through.objects.values_list("user__email", "group__name")),
        "group_perms": sorted(Group.permissions.through.objects.values_list("group__name", "permission__codename")),
    }


def _project_counts() -> dict:
    return {
        model._meta.label: model.objects.count()
        for label in ("accounts", "lessons", "surveys")
        for model in apps.get_app_config(label).get_models()
    }


def test_accounts_demo_is_idempotent():
    demo.seed()
    first = _accounts_state()

    demo.seed()

    assert _accounts_state() == first
    assert len(first["schools"]) == len(demo.SCHOOLS)
    assert len(first["users"]) == len(demo.VRU_USERS) + len(demo.SCHOOL_USERS)


def test_seed_demo_command_twice_gives_the_same_counts():
    call_command("seed_demo", stdout=StringIO())
    first = _project_counts()
    accounts_first = _accounts_state()

    out = StringIO()
    call_command("seed_demo", stdout=out)

    assert _project_counts() == first
    assert _accounts_state() == accounts_first
    assert "officer@vru.example" in out.getvalue()
    assert demo.DEMO_PASSWORD in out.getvalue()


def test_demo_vru_accounts_have_totp_and_school_staff_do_not_need_it():
    demo.seed()

    for email, *_ in demo.VRU_USERS:
        user = User.objects.get(email=email)
        assert is_vru_staff(user)
        assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    for email, *_ in demo.SCHOOL_USERS:
        assert not is_vru_staff(User.objects.get(email=email))


def test_demo_teacher_can_sign_in_with_the_printed_password(client):
    demo.seed()

    response = client.post(
        "/accounts/login/", {"login": "teacher@oakfield-academy.example", "password": demo.DEMO_PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == "/staff/"


def test_demo_has_a_pending_teacher_for_the_school_lead_to_approve():
    demo.seed()

    pending = Membership.objects.get(user__email="newteacher@oakfield-academy.example")
    assert pending.status == Membership.Status.PENDING
    assert Membership.objects.get(user__email="lead@oakfield-academy.example", school=pending.school).is_approved


def test_seed_demo_prints_a_short_set_up_and_every_login_last(settings, capsys, caplog):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"  # the embedded default's
    out = StringIO()
    with caplog.at_level(logging.INFO):
        call_command("seed_demo", stdout=out)

    printed = capsys.readouterr()
    assert "Subject:" not in printed.out + printed.err  # no raw e-mail from the moderation step
    assert not [r for r in caplog.records if r.levelno < logging.WARNING]  # no page-by-page INFO lines
    assert logging.root.manager.disable == logging.NOTSET  # logging is back on afterwards
    lines = out.getvalue().splitlines()
    start = lines.index(f"Demo logins (password for all: {demo.DEMO_PASSWORD})")
    assert start <= 8  # a few lines of set-up, then the logins
    logins = "\n".join(lines[start:])
    for email, *_ in [*demo.VRU_USERS, *demo.SCHOOL_USERS]:
        assert email in logins
    assert "Teacher waiting for approval" in logins and "Safeguarding lead" in logins
    assert lines[-1].strip().split()[0].endswith(".example")  # the last line is a login, not a log line


def test_seed_demo_with_verbosity_2_keeps_the_log(settings, caplog):
    with caplog.at_level(logging.INFO):
        call_command("seed_demo", stdout=StringIO(), verbosity=2)
    assert any(r.name == "wagtail" and r.levelno == logging.INFO for r in caplog.records)


def test_make_run_creates_the_cache_table_quietly():
    from django.conf import settings as django_settings

    makefile = (django_settings.BASE_DIR / "Makefile").read_text()
    assert "manage.py createcachetable -v0" in makefile  # no 'already exists' on a restart


def test_the_demo_safeguarding_lead_receives_oakfields_requests():
    from accounts import selectors

    demo.seed()
    oakfield = School.objects.get(urn="140001")
    assert selectors.talk_request_recipients(oakfield) == [
        "dsl@oakfield-academy.example",
        "safeguarding@oakfield-academy.example",
    ]
    assert selectors.talk_requests_reach_safeguarding_lead(oakfield)
    assert not selectors.talk_requests_reach_safeguarding_lead(School.objects.get(urn="140002"))
