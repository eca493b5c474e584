"""Wagtail admin for outcomes: the "Outcomes" dashboard and its CSV (outcomes/admin_views.py)
and the "Outcome reports" page (regional PDF reports, outcomes/reports/admin_views.py), for
VRU officers and analysts (and superusers) only, like "Delivery and participation". The
analyst export registers itself in outcomes/analyst_hooks.py."""

from __future__ import annotations

from django.urls import path
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSet

from . import admin_views, analyst_hooks  # noqa: F401  (analyst_hooks: the analyst export's menu item, URL and log action)
from .reports import admin_views as report_admin_views


class OutcomesMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm(admin_views.PERMISSION)


class OutcomesViewSet(ViewSet):
    """Outcome figures across the region (read only), for officers and analysts."""

    name = "outcomes_dashboard"
    url_prefix = "outcomes"
    menu_label = "Outcomes"
    icon = "tasks"
    menu_order = 270
    menu_item_class = OutcomesMenuItem
    add_to_admin_menu = True

    def get_urlpatterns(self):
        return [
            path("", admin_views.index, name="index"),
            path("csv/", admin_views.download_csv, name="csv"),
        ]


class OutcomeReportsMenuItem(MenuItem):
    def is_shown(self, request):
        return report_admin_views.can_request_regional(request.user)


class OutcomeReportsViewSet(ViewSet):
    """Regional PDF reports, rendered by Celery, for officers and analysts."""

    name = "outcome_reports_admin"
    url_prefix = "outcome-reports"
    menu_label = "Outcome reports"
    icon = "doc-full"
    menu_order = 271
    menu_item_class = OutcomeReportsMenuItem
    add_to_admin_menu = True

    def get_urlpatterns(self):
        return [
            path("", report_admin_views.index, name="index"),
            path("<int:pk>/", report_admin_views.status, name="status"),
            path("<int:pk>/download/", report_admin_views.download, name="download"),
        ]


@hooks.register("register_admin_viewset")
def register_outcomes_dashboard():
    return OutcomesViewSet()


@hooks.register("register_admin_viewset")
def register_outcome_reports():
    return OutcomeReportsViewSet()
