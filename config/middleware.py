"""Project middleware that is not about people (those rules are in accounts/middleware.py)."""

from __future__ import annotations

import http.client
from dataclasses import asdict

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

#: The settings' policies as header text, by report-only; see ``policy_text``.
_POLICIES: dict[bool, str] = {}


def policy_text(parts, *, report_only: bool) -> str:
    """``csp.utils.build_policy`` for these parts, kept when they are the settings' policy
    alone (no response's own policy, update or replacement, no nonce): that text is the same
    for every response until the settings change."""
    plain = parts.config is None and parts.update is None and parts.replace is None and parts.nonce is None
    if plain and report_only in _POLICIES:
        return _POLICIES[report_only]
    text = build_policy(**asdict(parts), report_only=report_only)
    if plain:
        _POLICIES[report_only] = text
    return text


@receiver(setting_changed)
def _settings_changed(*, setting, **kwargs) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _POLICIES.clear()


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware (docs/decisions.md#4), with the settings' policy built once.

    django-csp 4.0 builds the header text on every response, twice (the policy and the
    report-only one), copying and joining every directive: about a tenth of a millisecond
    of each pupil request's CPU. Here the text of a response with no policy of its own (the
    admin's, ``AdminContentSecurityPolicyMiddleware``), no decorator's update or replacement
    and no nonce comes from ``policy_text``; every other response is built as before. The
    rest of ``process_response`` is django-csp's own (which headers are set when, and the
    error for a nonce read after the header was written)."""

    def process_response(self, request, response):
        if response.status_code in (http.client.INTERNAL_SERVER_ERROR, http.client.NOT_FOUND) and settings.DEBUG:
            return response
        for header, report_only, exempt, setting in (
            (HEADER, False, "_csp_exempt", "CONTENT_SECURITY_POLICY"),
            (HEADER_REPORT_ONLY, True, "_csp_exempt_ro", "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
        ):
            parts = self.get_policy_parts(request=request, response=response, report_only=report_only)
            csp = policy_text(parts, report_only=report_only)
            if csp and getattr(response, exempt, False) is False and header not in response:
                prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES", None) or ()
                if not request.path_info.startswith(tuple(prefixes)):
                    response[header] = csp
        if getattr(request, "_csp_nonce", None) is None:
            request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
