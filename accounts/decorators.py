"""View guards for school staff. Other apps use these rather than re-checking roles."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from . import selectors


def approved_staff_required(view_func):
    """Only approved school staff (decision 6). Unapproved users get a 403 page that says
    why and what happens next, rather than a bare error."""

    @login_required
    @wraps(view_func)
    def wrapper(request, *args, **kwargs):
        if not selectors.is_approved_teacher(request.user):
            return render(
                request,
                "accounts/not_approved.html",
                {"pending": selectors.pending_memberships(request.user)},
                status=403,
            )
        return view_func(request, *args, **kwargs)

    return wrapper
