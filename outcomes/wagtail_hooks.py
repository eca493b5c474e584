"""The "Outcomes" admin menu item and its URLs (the dashboard and its CSV), shown to VRU
officers and analysts (and superusers) only, like "Delivery and participation"."""

from __future__ import annotations

from django.urls import path
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSet

from . import admin_views, analyst_hooks  # noqa: F401  (analyst_hooks: the analyst export's menu item, URL and log action)


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


@hooks.register("register_admin_viewset")
def register_outcomes_dashboard():
    return OutcomesViewSet()
