"""Wagtail admin for outcomes: the "Outcome reports" page (regional PDF reports) for VRU
officers and analysts (outcomes/reports/admin_views.py)."""

from __future__ import annotations

from django.urls import path
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSet

from .reports import admin_views as report_admin_views


class OutcomeReportsMenuItem(MenuItem):
    def is_shown(self, request):
        return report_admin_views.can_request_regional(request.user)


class OutcomeReportsViewSet(ViewSet):
    name = "outcome_reports_admin"
    url_prefix = "outcome-reports"
    menu_label = "Outcome reports"
    icon = "doc-full"
    menu_order = 270
    menu_item_class = OutcomeReportsMenuItem
    add_to_admin_menu = True

    def get_urlpatterns(self):
        return [
            path("", report_admin_views.index, name="index"),
            path("<int:pk>/", report_admin_views.status, name="status"),
            path("<int:pk>/download/", report_admin_views.download, name="download"),
        ]


@hooks.register("register_admin_viewset")
def register_outcome_reports():
    return OutcomeReportsViewSet()
