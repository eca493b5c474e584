"""Wagtail admin for lessons: the Theme snippet; read-only views of programmes and lessons,
classes, the delivery log and programme packs for VRU staff with the model permissions;
what a moderator's approval from the page editor did; guards that turn malformed admin
requests into clear answers (``admin_views``); who lesson documents are served to."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import path
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSet, ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.models import Page
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from accounts.admin_views import InUseDeleteView
from accounts.converters import parse_id
from accounts.decorators import not_approved_response
from accounts.selectors import can_read_lessons

from . import read_views
from .admin_views import CreateDocumentFromUploadView, SnippetChooserWithoutCreation
from .models import LessonDelivery, LessonPage, ProgrammePack, ProgrammePage, TeachingGroup, Theme


class ThemeViewSet(SnippetViewSet):
    model = Theme
    icon = "tag"
    menu_label = "Programme themes"
    list_display = ["name", "slug"]
    search_fields = ["name"]
    add_to_admin_menu = False
    chooser_viewset_class = SnippetChooserWithoutCreation  # no "Create" in the chooser: 404, not a 500


class TeachingGroupViewSet(ModelViewSet):
    model = TeachingGroup
    icon = "group"
    menu_label = "Classes"
    list_display = ["name", "school", "year_group", "programme", "teacher", "academic_year", "archived_at"]
    list_filter = ["year_group", "academic_year", "school__local_authority"]
    search_fields = ["name", "school__name", "school__urn"]
    form_fields = ["name", "year_group", "pupil_count", "archived_at"]
    inspect_view_enabled = True
    delete_view_class = InUseDeleteView


class LessonDeliveryViewSet(ModelViewSet):
    model = LessonDelivery
    icon = "date"
    menu_label = "Delivery log"
    list_display = ["lesson", "group", "delivered_on", "minutes", "revision"]
    list_filter = ["delivered_on"]
    search_fields = ["group__name", "group__school__name"]
    form_fields = ["delivered_on", "minutes", "adaptations", "note"]
    inspect_view_enabled = True
    delete_view_class = InUseDeleteView


class ProgrammePackViewSet(ModelViewSet):
    model = ProgrammePack
    icon = "doc-full"
    menu_label = "Programme packs"
    list_display = ["programme", "status", "lessons_done", "lessons_total", "attempts", "updated_at"]
    list_filter = ["status"]
    form_fields = ["status", "attempts"]
    inspect_view_enabled = True
    delete_view_class = InUseDeleteView


class ReadingMenuItem(MenuItem):
    def is_shown(self, request):
        return read_views.can_read(request.user)


class ProgrammesReadViewSet(ViewSet):
    """Programmes and lessons, read only (lessons/read_views.py), for officers and analysts."""

    name = "lessons_read"
    url_prefix = "lessons/read"
    menu_label = "Programmes and lessons"
    icon = "doc-full-inverse"
    menu_item_class = ReadingMenuItem

    def get_urlpatterns(self):
        return [
            path("", read_views.programmes, name="index"),
            path("<id:page_id>/", read_views.show, name="show"),
        ]


class LessonDeliveryGroup(ViewSetGroup):
    menu_label = "Lesson delivery"
    menu_icon = "time"
    menu_order = 250
    items = (ProgrammesReadViewSet, TeachingGroupViewSet, LessonDeliveryViewSet, ProgrammePackViewSet)


register_snippet(ThemeViewSet)


@hooks.register("register_admin_viewset")
def register_lesson_delivery_viewsets():
    return LessonDeliveryGroup()


@hooks.register("after_edit_page")
def say_what_the_approval_did(request, page):
    """After "Approve" in the page editor, say plainly whether the lesson is now published,
    or why it is still in moderation (someone else changed it since it was submitted:
    lessons/models/workflow.py), instead of only Wagtail's "Page … has been updated"."""
    if request.POST.get("workflow-action-name") != "approve" or not request.POST.get("action-workflow-action"):
        return None
    page = Page.objects.get(pk=page.pk)
    if page.current_workflow_state is not None:
        messages.warning(
            request,
            f"“{page.title}” is still waiting for approval: someone else changed it after it was submitted. "
            "Check their changes, then approve it again.",
        )
    elif page.live and not page.has_unpublished_changes:
        messages.success(request, f"“{page.title}” is approved and published: teachers can see it now.")
    return None


@hooks.register("before_delete_page")
def keep_pages_the_delivery_log_points_to(request, page):
    """The delivery log and classes point at lessons and programmes (PROTECT), so deleting
    one would fail; say why and suggest unpublishing instead of showing a server error."""
    specific = page.specific_class
    in_use = (specific is LessonPage and LessonDelivery.objects.filter(lesson_id=page.pk).exists()) or (
        specific is ProgrammePage
        and (
            TeachingGroup.objects.filter(programme_id=page.pk).exists()
            or LessonDelivery.objects.filter(lesson__path__startswith=page.path).exists()
        )
    )
    if in_use:
        messages.error(
            request,
            f"“{page.title}” has been taught to classes and is part of their delivery log, so it cannot be "
            "deleted. Unpublish it instead: teachers will no longer see it, and the log stays intact.",
        )
        return redirect("wagtailadmin_pages:edit", page.pk)
    return None


@hooks.register("before_copy_page")
def refuse_a_copy_with_no_destination(request, page):
    """Wagtail's copy view reads ``new_parent_page`` straight from the POST (to prefill the
    form) before validating it, so a POST without it, or with an id that is no page, was a
    server error. Its form always sends it; anything else is a malformed request (400).
    Runs after Wagtail's own permission check."""
    if request.method == "POST":
        parent_id = parse_id(request.POST.get("new_parent_page"))
        if parent_id is None or not Page.objects.filter(pk=parent_id).exists():
            return HttpResponseBadRequest("Choose where to copy the page to.")
    return None


@hooks.register("register_admin_urls", order=-1)
def register_document_upload_fix():
    """Placed before Wagtail's documents URLs (``order=-1``) so that this path reaches
    ``admin_views.CreateDocumentFromUploadView``; Wagtail still reverses its own URL name to
    the same path."""
    return [
        path(
            "documents/multiple/create_from_uploaded_document/<int:uploaded_file_id>/",
            CreateDocumentFromUploadView.as_view(),
            name="upstream_create_document_from_upload",
        )
    ]


@hooks.register("before_serve_document")
def documents_for_the_lessons_audience(document, request):
    """Documents are lesson resources (worksheets, slides, handouts) chosen in a lesson's
    body, so they go to the same audience as lesson pages (``LessonPage.serve``):
    approved school staff and VRU staff (``accounts.selectors.can_read_lessons``).
    Anonymous visitors, pupils included, are sent to sign in; a teacher waiting for
    approval gets the "you need to be approved first" page. Wagtail serves every document
    through this view (``WAGTAILDOCS_SERVE_METHOD = "serve_view"``); its own collection
    privacy still applies on top."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not can_read_lessons(request.user):
        return not_approved_response(request)
    return None
