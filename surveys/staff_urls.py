"""Staff (teacher and school lead) survey pages, included from ``surveys/urls.py``."""

from django.urls import path

from . import staff_views

urlpatterns = [
    path("surveys/classes/<int:group_id>/", staff_views.group_windows, name="group_windows"),
    path("surveys/classes/<int:group_id>/new/", staff_views.window_create, name="window_create"),
    path("surveys/classes/<int:group_id>/cards/", staff_views.cards_create, name="cards_create"),
    path("surveys/windows/<int:pk>/", staff_views.window_detail, name="window_detail"),
    path("surveys/windows/<int:pk>/count.json", staff_views.window_count, name="window_count"),
    path("surveys/windows/<int:pk>/qr.png", staff_views.window_qr, name="window_qr"),
    path("surveys/windows/<int:pk>/close/", staff_views.window_close, name="window_close"),
    path("surveys/windows/<int:pk>/recount/", staff_views.window_recount, name="window_recount"),
    path("surveys/talk-requests/", staff_views.talk_requests, name="talk_requests"),
    path("surveys/withdraw/", staff_views.withdraw, name="withdraw"),
    path("surveys/talk-requests/<int:pk>/seen/", staff_views.talk_request_seen, name="talk_request_seen"),
]
