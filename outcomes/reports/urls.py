from django.urls import path

import accounts.converters  # noqa: F401  (registers <id:...>)

from . import views

app_name = "outcome_reports"

urlpatterns = [
    path("schools/<id:school_pk>/", views.school_reports, name="school"),
    path("<id:pk>/", views.status, name="status"),
    path("<id:pk>/download/", views.download, name="download"),
]
