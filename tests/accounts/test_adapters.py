"""allauth adapters (accounts.adapters) and SSO configuration: buttons only for configured
providers; a provider's e-mail claim never logs anyone into an existing account (nOAuth);
new SSO accounts only for allow-listed school domains, never automatically."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount, SocialLogin
from django.test import RequestFactory, override_settings
from django.urls import reverse

from accounts.adapters import SocialAccountAdapter
from accounts.models import User
from tests.factories import MembershipFactory, SchoolFactory

pytestmark = pytest.mark.django_db

CONFIGURED = {
    "google": {"APPS": [{"client_id": "g-id", "secret": "g-secret"}], "SCOPE": ["openid", "email", "profile"]},
    "microsoft": {
        "APPS": [{"client_id": "m-id", "secret": "m-secret", "settings": {"tenant": "organizations"}}],
    },
}


def _sociallogin(email: str, provider: str = "microsoft", uid: str = "attacker-oid", request=None) -> SocialLogin:
    account = SocialAccount(provider=provider, uid=uid, extra_data={"mail": email})
    return SocialLogin(
        user=User(email=email),
        account=account,
        email_addresses=[EmailAddress(email=email, verified=True, primary=True)],
        provider=account.get_provider(request) if request is not None else None,
    )


@override_settings(SOCIALACCOUNT_PROVIDERS={})
def test_login_page_has_no_sso_buttons_when_no_provider_is_configured(client):
    body = client.get(reverse("account_login")).content.decode()

    assert "Google" not in body
    assert "Microsoft" not in body


@override_settings(SOCIALACCOUNT_PROVIDERS=CONFIGURED)
def test_login_page_shows_google_and_microsoft_when_configured(client):
    body = client.get(reverse("account_login")).content.decode()

    assert "Google" in body
    assert "Microsoft" in body
    assert "/accounts/google/login/" in body
    assert "/accounts/microsoft/login/" in body


@override_settings(SOCIALACCOUNT_PROVIDERS={"google": CONFIGURED["google"]})
def test_only_the_configured_provider_appears(client):
    body = client.get(reverse("account_login")).content.decode()

    assert "/accounts/google/login/" in body
    assert "/accounts/microsoft/login/" not in body


@override_settings(SOCIALACCOUNT_PROVIDERS=CONFIGURED)
@pytest.mark.parametrize("provider", ["microsoft", "google"])
def test_sso_email_claim_does_not_find_an_existing_account(rf, provider):
    from allauth.core import context

    teacher = MembershipFactory(user__email="teacher@oak.example").user
    request = rf.get("/")
    sociallogin = _sociallogin(teacher.email, provider=provider, request=request)

    with context.request_context(request):
        sociallogin.lookup()

    assert not sociallogin.is_existing
    assert sociallogin.user.pk is None
    assert not SocialAccount.objects.filter(user=teacher).exists()


@override_settings(SOCIALACCOUNT_PROVIDERS=CONFIGURED, SOCIALACCOUNT_EMAIL_AUTHENTICATION=True)
def test_the_takeover_is_real_if_email_authentication_were_switched_on(rf):
    """Guards the test above: the same social login does land in the teacher's account
    when e-mail authentication is enabled, which is why it must stay off."""
    from allauth.core import context

    teacher = MembershipFactory(user__email="teacher@oak.example").user
    request = rf.get("/")
    sociallogin = _sociallogin(teacher.email, request=request)

    with context.request_context(request):
        sociallogin.lookup()

    assert sociallogin.user == teacher


def test_no_provider_setting_switches_email_authentication_back_on():
    from django.conf import settings

    for name, config in settings.SOCIALACCOUNT_PROVIDERS.items():
        assert not config.get("EMAIL_AUTHENTICATION"), name
        for app in config.get("APPS", []):
            assert not app.get("settings", {}).get("email_authentication"), name


def test_sso_sign_up_is_open_only_for_allow_listed_school_domains():
    SchoolFactory(staff_email_domains="oak.example")
    adapter = SocialAccountAdapter()
    request = RequestFactory().get("/")

    assert adapter.is_open_for_signup(request, _sociallogin("new@oak.example"))
    assert not adapter.is_open_for_signup(request, _sociallogin("someone@outlook.example"))
    assert not adapter.is_open_for_signup(request, _sociallogin(""))


def test_sso_never_signs_up_automatically():
    SchoolFactory(staff_email_domains="oak.example")

    assert (
        SocialAccountAdapter().is_auto_signup_allowed(RequestFactory().get("/"), _sociallogin("n@oak.example")) is False
    )


# --- MFA secrets at rest -------------------------------------------------------------


def test_totp_secret_is_encrypted_in_the_database_and_still_verifies():
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value, yield_hotp_counters_from_time

    from tests.factories import TOTP_SECRET, UserFactory

    user = UserFactory(mfa=True)
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)

    stored = authenticator.data["secret"]
    assert stored.startswith("fernet:")
    assert TOTP_SECRET not in stored
    import time

    if 30 - time.time() % 30 < 3:
        time.sleep(30 - time.time() % 30 + 0.2)
    code = format_hotp_value(hotp_value(TOTP_SECRET, next(iter(yield_hotp_counters_from_time()))))
    assert TOTP(authenticator).validate_code(code)
    assert not TOTP(authenticator).validate_code("000000" if code != "000000" else "111111")


def test_secrets_stored_before_encryption_are_still_read():
    from accounts.adapters import MFAAdapter

    assert MFAAdapter().decrypt("JBSWY3DPEHPK3PXP") == "JBSWY3DPEHPK3PXP"


def test_secrets_survive_a_secret_key_rotation(settings):
    from accounts.adapters import MFAAdapter

    stored = MFAAdapter().encrypt("JBSWY3DPEHPK3PXP")
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 50
    settings.SECRET_KEY_FALLBACKS = [old_key]

    assert MFAAdapter().decrypt(stored) == "JBSWY3DPEHPK3PXP"


def test_explicit_encryption_keys_take_precedence(settings):
    from cryptography.fernet import Fernet, InvalidToken

    from accounts.adapters import MFAAdapter

    derived = MFAAdapter().encrypt("JBSWY3DPEHPK3PXP")
    settings.UPSTREAM_MFA_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    assert MFAAdapter().decrypt(MFAAdapter().encrypt("JBSWY3DPEHPK3PXP")) == "JBSWY3DPEHPK3PXP"
    with pytest.raises(InvalidToken):
        MFAAdapter().decrypt(derived)


# --- SSO routes when the provider is not configured (issue 7) ----------------------------


@override_settings(SOCIALACCOUNT_PROVIDERS={})
@pytest.mark.parametrize("who", ["anonymous", "teacher", "officer"])
@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/accounts/google/login/", "Google"),
        ("/accounts/google/login/callback/", "Google"),
        ("/accounts/microsoft/login/", "Microsoft"),
        ("/accounts/microsoft/login/callback/", "Microsoft"),
    ],
)
def test_sso_routes_without_a_configured_provider_answer_a_clear_404(client, who, path, name):
    from tests.factories import UserFactory, login_with_second_factor

    if who == "teacher":
        client.force_login(MembershipFactory().user)
    elif who == "officer":
        login_with_second_factor(client, UserFactory(groups=["VRU officers"], mfa=True))

    for response in (client.get(path), client.post(path)):
        assert response.status_code == 404
        assert f"Sign-in with {name} is not available" in response.content.decode()


@override_settings(SOCIALACCOUNT_PROVIDERS=CONFIGURED)
def test_a_configured_provider_still_starts_its_sign_in(client):
    response = client.post("/accounts/google/login/")

    assert response.status_code == 302
    assert response["Location"].startswith("https://accounts.google.com/")
