"""View guards for school staff. Other apps use these rather than re-checking roles."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from . import selectors


def not_approved_response(request):
    """The 403 page for a signed-in account that is not (yet) approved school staff: it
    says why and what happens next, rather than a bare error. Also used outside views
    (``LessonPage.serve``, the document-serving hook)."""
    return render(
        request,
        "accounts/not_approved.html",
        {"pending": selectors.pending_memberships(request.user)},
        status=403,
    )


def approved_staff_required(view_func):
    """Only approved school staff (docs/decisions.md#6). Unapproved users get a 403 page that says
    why and what happens next, rather than a bare error."""

    @login_required
    @wraps(view_func)
    def wrapper(request, *args, **kwargs):
        if not selectors.is_approved_teacher(request.user):
            return not_approved_response(request)
        return view_func(request, *args, **kwargs)

    return wrapper


def lesson_reader_required(view_func):
    """Lesson content: approved school staff and VRU staff (``selectors.can_read_lessons``).
    Visitors are sent to sign in; a teacher waiting for approval gets the same 403 page
    as ``approved_staff_required``, before the view runs (so nothing is written)."""

    @login_required
    @wraps(view_func)
    def wrapper(request, *args, **kwargs):
        if not selectors.can_read_lessons(request.user):
            return not_approved_response(request)
        return view_func(request, *args, **kwargs)

    return wrapper
