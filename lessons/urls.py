from django.urls import path

from .views import classes, plans

app_name = "lessons"

urlpatterns = [
    path("classes/", classes.group_list, name="group_list"),
    path("classes/new/", classes.group_create, name="group_create"),
    path("classes/<int:pk>/", classes.group_detail, name="group_detail"),
    path("classes/<int:pk>/edit/", classes.group_edit, name="group_edit"),
    path("classes/<int:pk>/archive/", classes.group_archive, name="group_archive"),
    path("classes/<int:pk>/deliveries/new/", classes.delivery_create, name="delivery_create"),
    path("classes/<int:pk>/deliveries/<int:delivery_pk>/edit/", classes.delivery_edit, name="delivery_edit"),
    path("classes/<int:pk>/deliveries/<int:delivery_pk>/delete/", classes.delivery_delete, name="delivery_delete"),
    path("lesson-plans/lessons/<int:page_id>.pdf", plans.lesson_plan, name="lesson_plan"),
    path("lesson-plans/programmes/<int:page_id>/pack/", plans.pack_request, name="pack_request"),
    path("lesson-plans/packs/<int:pk>/", plans.pack_status, name="pack_status"),
    path("lesson-plans/packs/<int:pk>/download/", plans.pack_download, name="pack_download"),
]
