"""CSRF for pupil pages, which send ``Referrer-Policy: no-referrer``.

Under that policy browsers send ``Origin: null`` (and no Referer) with a form post or a
same-origin ``fetch``, which Django's origin check refuses. Pupil views therefore skip the
site-wide check and apply this one instead: a ``null`` origin is accepted only when the
browser does not say the request is cross-site (``Sec-Fetch-Site``), and the CSRF token is
always checked. The session and CSRF cookies are ``SameSite=Lax``, so a cross-site post
carries neither and fails the token check anyway. Any real origin still has to match.
"""

from __future__ import annotations

from django.middleware.csrf import CsrfViewMiddleware
from django.utils.decorators import decorator_from_middleware
from django.views.decorators.csrf import csrf_exempt


class PupilCsrfMiddleware(CsrfViewMiddleware):
    def _origin_verified(self, request):
        if request.headers.get("origin") == "null":
            return request.headers.get("sec-fetch-site", "same-origin") in {"same-origin", "none"}
        return super()._origin_verified(request)


_pupil_csrf = decorator_from_middleware(PupilCsrfMiddleware)


def pupil_csrf_protect(view):
    """Exempt from the site-wide check, protected by ``PupilCsrfMiddleware`` instead."""
    return csrf_exempt(_pupil_csrf(view))
