from django.urls import include, path

app_name = "surveys"

urlpatterns: list = []

# Pupil pages at the short address /go/ (surveys/pupil/urls.py).
urlpatterns += [path("go/", include("surveys.pupil.urls"))]

# Staff pages: survey windows, cards, live count, talk requests (surveys/staff_urls.py).
urlpatterns += [path("", include("surveys.staff_urls"))]
