"""factory_boy factories for people and organisations.

Usage::

    teacher = MembershipFactory(role="teacher").user          # approved teacher at a new school
    lead = MembershipFactory(school=teacher_school, role="school_lead").user
    officer = UserFactory(groups=["VRU officers"], mfa=True)  # VRU user with TOTP enrolled
    login_with_second_factor(client, officer)                # signed in with password and TOTP
"""

from __future__ import annotations

import time

import factory
from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group

from accounts.models import LocalAuthority, Membership, School, User

PASSWORD = "a-long-test-password-42"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@school{n}.example")
    first_name = "Sam"
    last_name = factory.Sequence(lambda n: f"Person{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        obj.save()
        if create and extracted is not False:
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)

    @factory.post_generation
    def groups(obj, create, extracted, **kwargs):
        for name in extracted or []:
            obj.groups.add(Group.objects.get(name=name))

    @factory.post_generation
    def mfa(obj, create, extracted, **kwargs):
        if create and extracted:
            TOTP.activate(obj, TOTP_SECRET)


def login_with_second_factor(client, user) -> None:
    """Sign ``user`` in on the test client as allauth's login with a TOTP code would: the
    session holds a password record and an mfa record of type totp for this user id, which
    is what ``accounts.middleware.RequireMFAMiddleware`` checks. ``client.force_login``
    alone is a password-only session, and a VRU user is signed out again on their first
    request. The user must have TOTP enrolled (``UserFactory(mfa=True)``)."""
    totp = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    client.force_login(user)
    session = client.session
    now = time.time()
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": now, "email": user.email},
        {"method": "mfa", "at": now, "id": totp.pk, "type": Authenticator.Type.TOTP.value},
    ]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    name = factory.Sequence(lambda n: f"Test School {n}")
    urn = factory.Sequence(lambda n: f"{200000 + n:06d}")
    phase = School.Phase.SECONDARY
    local_authority = factory.LazyFunction(lambda: LocalAuthority.objects.get(slug="birmingham"))
    staff_email_domains = factory.Sequence(lambda n: f"testschool{n}.example")
    dsl_name = "Mrs Safe"
    dsl_contact = "Room 1"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    school = factory.SubFactory(SchoolFactory)
    role = Membership.Role.TEACHER
    status = Membership.Status.APPROVED


def restore_reference_data() -> None:
    """Re-create the rows migrations seed (Wagtail's default locale, root page, home page and
    site, the seven local authorities, the VRU role groups) after a transactional test's
    flush removed them. Idempotent; the ``reference_data`` fixture and unittest
    ``setUpTestData`` methods both call it."""
    from importlib import import_module

    from django.conf import settings
    from wagtail.coreutils import get_supported_content_language_variant
    from wagtail.models import Locale, Page, Site

    from accounts.roles import ensure_role_groups

    locale, _ = Locale.objects.get_or_create(
        language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE)
    )
    if not Page.objects.filter(depth=1).exists():
        root = Page.add_root(instance=Page(title="Root", slug="root", locale=locale))
        home = root.add_child(instance=Page(title="Welcome to your new Wagtail site!", slug="home", locale=locale))
        if not Site.objects.exists():
            Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True)
    seed = import_module("accounts.migrations.0002_seed_authorities_and_roles")
    for name, slug, code in seed.AUTHORITIES:
        LocalAuthority.objects.update_or_create(gss_code=code, defaults={"name": name, "slug": slug})
    ensure_role_groups()
