"""The project's URLs plus the floor view (before Wagtail's catch-all)."""

from django.urls import path

from bench.floor import floor_view
from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("bench/floor/", floor_view, name="bench_floor"), *project_urlpatterns]
