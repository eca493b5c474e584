"""Teachers' and school leads' outcome pages, included from ``config/urls.py`` at
``/staff/results/`` (outcomes is last in the import chain, so lessons and surveys, whose
pages link here by URL name in templates only, never import it)."""

from django.urls import path

import accounts.converters  # noqa: F401  (registers <id:...>)

from . import staff_views

app_name = "outcomes_staff"

urlpatterns = [
    path("", staff_views.my_results, name="my_results"),
    path("classes/<id:pk>/", staff_views.class_results, name="class_results"),
    path("schools/<id:school_pk>/", staff_views.school_results, name="school_results"),
]
