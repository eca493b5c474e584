from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from accounts import views as accounts_views
from lessons import admin_views as lessons_admin_views

# docs/decisions.md#5: one login path. Every form that would take a password outside allauth is
# replaced: the Django admin's login and password change, Wagtail's /admin/login/ and its
# front-end login for private pages, /_util/login/ (WAGTAIL_FRONTEND_LOGIN_URL already
# sends private pages to allauth; the old path is only a redirect now, for GET and POST).
admin.site.login = accounts_views.admin_login  # type: ignore[method-assign]  # replacing the view is the point
admin.site.password_change = accounts_views.admin_password_change  # type: ignore[method-assign]
admin.site.site_header = "Upstream platform administration"

urlpatterns = [
    # First: every pupil request (/go/...) is matched here without trying the admin's,
    # allauth's and the staff pages' patterns before it (surveys/urls.py has only /go/ and
    # /surveys/ paths, which no other pattern here matches).
    path("", include("surveys.urls")),
    path(
        "admin/login/",
        RedirectView.as_view(pattern_name="account_login", query_string=True),
        name="upstream_admin_login",
    ),
    # Wagtail's external-link chooser with a form that treats a missing URL as empty
    # (lessons/admin_views.py); Wagtail's own pattern behind it stays unreachable.
    path(
        "admin/choose-external-link/",
        lessons_admin_views.external_link_chooser,
        name="upstream_choose_external_link",
    ),
    path("admin/", include(wagtailadmin_urls)),
    path("django-admin/", admin.site.urls),
    # Shared-password privacy is switched off: Wagtail's password forms answer 404.
    path(
        "documents/authenticate_with_password/<int:restriction_id>/",
        accounts_views.shared_password_disabled,
        name="upstream_document_password_disabled",
    ),
    path("documents/", include(wagtaildocs_urls)),
    path("accounts/", include("allauth.urls")),
    # Teachers' and school leads' outcome pages (outcomes/staff_urls.py).
    path("staff/results/", include("outcomes.staff_urls")),
    path("staff/", include("accounts.urls")),
    path("outcome-reports/", include("outcomes.reports.urls")),
    path("", include("lessons.urls")),
]

if settings.DEBUG:
    from django.urls import re_path
    from django.views.static import serve

    # The embedded default serves uploads itself, except documents: those only through
    # /documents/ (Wagtail's serve view and its sign-in check, lessons/wagtail_hooks.py).
    urlpatterns += [
        re_path(
            rf"^{settings.MEDIA_URL.strip('/')}/(?!documents/)(?P<path>.*)$",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    ]

urlpatterns += [
    path(
        "_util/login/",
        RedirectView.as_view(pattern_name="account_login", query_string=True),
        name="upstream_frontend_login",
    ),
    path(
        "_util/authenticate_with_password/<int:page_view_restriction_id>/<int:page_id>/",
        accounts_views.shared_password_disabled,
        name="upstream_page_password_disabled",
    ),
    path("", include(wagtail_urls)),
]
