"""Read-only admin views of programmes and lessons for VRU officers and analysts: the list
of every programme and lesson with where each stands, and each one shown as teachers see
it (the live version) or as its latest version (a draft, or one waiting for approval).

Why not the page explorer: Wagtail opens the explorer only to groups with a page
permission (add, change, publish, lock...), each of which allows a write. These views
need only the model permissions ``lessons.view_programmepage`` / ``view_lessonpage``
(lessons/roles.py), which no Wagtail page view accepts, so an officer cannot save, publish,
move, copy, lock or delete a page through any admin URL. GET only.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET
from wagtail.models import Page

from . import selectors
from .models import LessonPage, ProgrammePage

VIEW_PERMISSIONS = {ProgrammePage: "lessons.view_programmepage", LessonPage: "lessons.view_lessonpage"}


def can_read(user) -> bool:
    return all(user.has_perm(permission) for permission in VIEW_PERMISSIONS.values())


@require_GET
def programmes(request):
    if not can_read(request.user):
        raise PermissionDenied
    return render(
        request,
        "lessons/admin/programmes.html",
        {
            "page_title": "Programmes and lessons",
            "header_icon": "doc-full-inverse",
            "programmes": selectors.programmes_for_reading(),
        },
    )


@require_GET
def show(request, page_id: int):
    """The programme or lesson rendered with the site's own templates (Wagtail's preview
    machinery, as its revision view uses): the live version by default, the latest version
    with ``?version=latest``. Nothing is saved."""
    page = get_object_or_404(Page.objects.type(*VIEW_PERMISSIONS), pk=page_id).specific
    if not request.user.has_perm(VIEW_PERMISSIONS[type(page)]):
        raise PermissionDenied
    shown = page if page.live and request.GET.get("version") != "latest" else page.get_latest_revision_as_object()
    return shown.make_preview_request(request, shown.default_preview_mode)
