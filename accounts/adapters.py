"""allauth adapters: sign-up is for school staff; SSO never links accounts by e-mail; MFA
secrets are encrypted at rest."""

from __future__ import annotations

import base64
import hashlib

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.shortcuts import render

from . import selectors


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return True  # the sign-up form itself refuses addresses outside school domains

    def get_login_redirect_url(self, request):
        return super().get_login_redirect_url(request)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        """New accounts through Google or Microsoft only for allow-listed school domains."""
        email = (sociallogin.user.email or "").lower()
        return bool(email and selectors.schools_for_email(email))

    def is_auto_signup_allowed(self, request, sociallogin) -> bool:
        return False

    def get_app(self, request, provider, client_id=None):
        """Google and Microsoft are installed, but usable only when their client id and
        secret are set. allauth raises ``SocialApp.DoesNotExist`` (a 500) for the login
        and callback URLs of a provider without an app; answer a page that says so, with
        a 404, instead. The button is not shown in that case, so only a typed or stale
        link lands here."""
        if not self.list_apps(request, provider=provider, client_id=client_id):
            from allauth.socialaccount.providers import registry

            provider_class = registry.get_class(provider)
            name = provider_class.name if provider_class is not None else provider
            raise ImmediateHttpResponse(
                render(request, "accounts/sso_not_configured.html", {"provider": name}, status=404)
            )
        return super().get_app(request, provider, client_id=client_id)


class MFAAdapter(DefaultMFAAdapter):
    """Encrypts TOTP secrets and recovery-code seeds before allauth stores them, so a copy
    of the database alone does not let anyone generate a VRU officer's codes.

    Keys come from ``MFA_ENCRYPTION_KEYS`` (Fernet keys, newest first) or, when that is not
    set, are derived from ``SECRET_KEY`` and ``SECRET_KEY_FALLBACKS``: rotating the secret
    key keeps old secrets readable while the old key is a fallback. Values stored before
    encryption was introduced (no prefix) are read as they are.
    """

    PREFIX = "fernet:"

    @staticmethod
    def _derived(secret: str) -> bytes:
        return base64.urlsafe_b64encode(hashlib.sha256(b"upstream-mfa-secrets:" + secret.encode()).digest())

    def _fernet(self) -> MultiFernet:
        keys = [key.encode() for key in getattr(settings, "UPSTREAM_MFA_ENCRYPTION_KEYS", [])]
        if not keys:
            secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
            keys = [self._derived(secret) for secret in secrets if secret]
        return MultiFernet([Fernet(key) for key in keys])

    def encrypt(self, text: str) -> str:
        return self.PREFIX + self._fernet().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        if not encrypted_text.startswith(self.PREFIX):
            return encrypted_text
        return self._fernet().decrypt(encrypted_text[len(self.PREFIX) :].encode()).decode()
