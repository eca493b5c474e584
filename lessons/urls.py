from django.urls import path

import accounts.converters  # noqa: F401  (registers <id:...>)

from .views import classes, plans

app_name = "lessons"

urlpatterns = [
    path("classes/", classes.group_list, name="group_list"),
    path("classes/new/", classes.group_create, name="group_create"),
    path("classes/<id:pk>/", classes.group_detail, name="group_detail"),
    path("classes/<id:pk>/edit/", classes.group_edit, name="group_edit"),
    path("classes/<id:pk>/archive/", classes.group_archive, name="group_archive"),
    path("classes/<id:pk>/deliveries/new/", classes.delivery_create, name="delivery_create"),
    path("classes/<id:pk>/deliveries/<id:delivery_pk>/edit/", classes.delivery_edit, name="delivery_edit"),
    path("classes/<id:pk>/deliveries/<id:delivery_pk>/delete/", classes.delivery_delete, name="delivery_delete"),
    path("lesson-plans/lessons/<id:page_id>.pdf", plans.lesson_plan, name="lesson_plan"),
    path("lesson-plans/programmes/<id:page_id>/pack/", plans.pack_request, name="pack_request"),
    path("lesson-plans/packs/<id:pk>/", plans.pack_status, name="pack_status"),
    path("lesson-plans/packs/<id:pk>/download/", plans.pack_download, name="pack_download"),
]
