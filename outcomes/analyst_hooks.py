"""Wagtail admin registration of the analyst export (``outcomes.analyst_views``): the menu
item "Analyst export", shown to analysts only, its URL, and the audit log action. Imported
by ``outcomes/wagtail_hooks.py``; kept apart so other outcome pages register their own."""

from __future__ import annotations

from django.urls import path
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSet

import accounts.converters  # noqa: F401 - registers <id:...>

from . import analyst, analyst_views


class AnalystExportMenuItem(MenuItem):
    def is_shown(self, request):
        return analyst.may_export(request.user)


class AnalystExportViewSet(ViewSet):
    """Pseudonymised record-level data for VRU analysts (issue 9)."""

    name = "outcomes_analyst_export"
    url_prefix = "analyst-export"
    menu_label = "Analyst export"
    icon = "download"
    menu_order = 270
    menu_item_class = AnalystExportMenuItem
    add_to_admin_menu = True

    def get_urlpatterns(self):
        return [
            path("", analyst_views.export, name="index"),
            path("<id:pk>/", analyst_views.status, name="status"),
            path("<id:pk>/download/", analyst_views.download, name="download"),
        ]


@hooks.register("register_admin_viewset")
def register_analyst_export():
    return AnalystExportViewSet()


@hooks.register("register_log_actions")
def register_analyst_log_actions(actions):
    actions.register_action(
        analyst.LOG_ACTION, "Analyst export", "Pseudonymised record-level data exported (filters recorded, no data)"
    )
    actions.register_action(
        analyst.DOWNLOAD_LOG_ACTION,
        "Analyst export downloaded",
        "An analyst export's file was downloaded (its reference)",
    )
