"""Pupil pages under the short address /go/ (included from surveys/urls.py, so names are
in the ``surveys`` namespace: ``surveys:pupil_join`` and so on)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.join, name="pupil_join"),
    path("card/", views.card, name="pupil_card"),
    path("start/", views.assent, name="pupil_assent"),
    path("q/<int:no>/", views.page, name="pupil_page"),
    path("save/", views.save, name="pupil_save"),
    path("stop/", views.stop, name="pupil_stop"),
    path("stopped/", views.stopped, name="pupil_stopped"),
    path("no-thanks/", views.no_thanks, name="pupil_no_thanks"),
    path("thanks/", views.thanks, name="pupil_thanks"),
    path("talk/", views.talk, name="pupil_talk"),
    path("talk/sent/", views.talk_sent, name="pupil_talk_sent"),
]
