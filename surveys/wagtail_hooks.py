"""Wagtail admin for surveys: instruments and their versions (with scales and questions
inline), grouped under a "Surveys" menu, plus publish / new-version / preview actions and
the paper-survey import; and "Delivery and participation" (read only) for officers and
analysts. Only groups granted the surveys permissions (surveys/roles.py) see them."""

from __future__ import annotations

from django.urls import path
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, FieldRowPanel, HelpPanel, InlinePanel, MultiFieldPanel, ObjectList
from wagtail.admin.viewsets.base import ViewSet, ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from . import admin_views, participation_views
from .models import Instrument, InstrumentVersion

INSTRUMENT_PANELS = [
    FieldPanel("name"),
    FieldPanel("slug", help_text="Short web name, e.g. 'upstream-attitudes'. Never change it once used."),
    FieldPanel("description"),
    FieldRowPanel([FieldPanel("min_age"), FieldPanel("max_age")], heading="Ages it suits"),
    MultiFieldPanel(
        [FieldPanel("licence_status"), FieldPanel("licence_reference"), FieldPanel("source_url")],
        heading="Licence and source",
        help_text="Publishing is refused while permission is pending or the instrument needs a commercial licence.",
    ),
]

VERSION_PANELS = [
    HelpPanel(
        content=(
            "<p>A version holds the scales (what is measured) and the questions pupils answer. "
            "Once pupils have answered a version it is frozen; use <strong>New version</strong> to change wording. "
            "Write for a 9-year-old: short sentences, everyday words, one idea per question. "
            "There are no free-text questions, on purpose.</p>"
        )
    ),
    FieldPanel("instrument"),
    FieldPanel("notes"),
    InlinePanel(
        "scales",
        heading="Scales",
        label="Scale",
        help_text="Each scale is scored as the mean of its questions. Untick 'higher is better' for e.g. approval of violence.",
    ),
    InlinePanel(
        "items",
        heading="Questions",
        label="Question",
        help_text="The scale code must match a scale above. Demographic questions (gender, ethnic group) have no scale.",
    ),
]


class InstrumentViewSet(ModelViewSet):
    model = Instrument
    name = "surveys_instrument"
    url_prefix = "surveys/instruments"
    icon = "clipboard-list"
    menu_label = "Instruments"
    list_display = ["name", "licence_status", "min_age", "max_age"]
    list_filter = ["licence_status"]
    search_fields = ["name", "description"]
    copy_view_enabled = False
    inspect_view_enabled = True
    panels = INSTRUMENT_PANELS
    delete_view_class = admin_views.InstrumentDeleteView


class InstrumentVersionViewSet(ModelViewSet):
    model = InstrumentVersion
    name = "surveys_instrumentversion"
    url_prefix = "surveys/versions"
    icon = "doc-full"
    menu_label = "Instrument versions"
    list_display = ["__str__", "status", "published_at", "created_at"]
    list_filter = ["status", "instrument"]
    search_fields = ["notes", "instrument__name"]
    copy_view_enabled = False
    inspect_view_enabled = True
    edit_view_class = admin_views.InstrumentVersionEditView
    inspect_view_class = admin_views.InstrumentVersionInspectView
    delete_view_class = admin_views.InstrumentVersionDeleteView
    edit_handler = ObjectList(VERSION_PANELS, base_form_class=admin_views.InstrumentVersionForm)


class ImportMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm(admin_views.IMPORT_PERMISSION)


class PaperImportViewSet(ViewSet):
    """The paper-survey upload, listed in the Surveys menu for those allowed to import."""

    name = "surveys_import"
    url_prefix = "surveys/import"
    menu_label = "Import paper surveys"
    icon = "upload"
    menu_item_class = ImportMenuItem

    def get_urlpatterns(self):
        return [path("", admin_views.import_upload, name="index")]


class ParticipationMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm(participation_views.PERMISSION)


class ParticipationViewSet(ViewSet):
    """Delivery and participation across schools (read only), for officers and analysts."""

    name = "surveys_participation"
    url_prefix = "surveys/participation"
    menu_label = "Delivery and participation"
    icon = "table"
    menu_order = 260
    menu_item_class = ParticipationMenuItem
    add_to_admin_menu = True

    def get_urlpatterns(self):
        return [
            path("", participation_views.index, name="index"),
            path("csv/", participation_views.download_csv, name="csv"),
        ]


class SurveysGroup(ViewSetGroup):
    menu_label = "Surveys"
    menu_icon = "clipboard-list"
    menu_order = 250
    items = (InstrumentViewSet, InstrumentVersionViewSet, PaperImportViewSet)


@hooks.register("register_admin_viewset")
def register_surveys():
    return SurveysGroup()


@hooks.register("register_admin_viewset")
def register_participation():
    return ParticipationViewSet()


@hooks.register("register_admin_urls")
def register_survey_admin_urls():
    return [
        path(
            "surveys/",
            (
                [
                    path("preview/<int:version_id>/", admin_views.preview, name="preview"),
                    path(
                        "preview/<int:version_id>/page/<int:number>/",
                        admin_views.preview_page,
                        name="preview_page",
                    ),
                    path("versions/<int:pk>/publish/", admin_views.publish, name="publish"),
                    path("versions/<int:pk>/new-version/", admin_views.new_version, name="new_version"),
                ],
                "surveys_admin",
                "surveys_admin",
            ),
        )
    ]


@hooks.register("register_log_actions")
def register_log_actions(actions):
    actions.register_action("upstream.pupil.withdraw", "Withdraw pupil data", "A pupil's survey data withdrawn")
    actions.register_action("upstream.window.recount", "Recount", "Answers beyond the class size counted")
