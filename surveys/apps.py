from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = "Surveys and outcomes"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts import staff_home

        from . import selectors, signals  # noqa: F401
        from .services import outbox, windows

        # What the staff home shows school and safeguarding leads as waiting for them.
        staff_home.register(selectors.talk_requests_waiting)

        # surveys' own outbox consumers; other apps register theirs in their own ready().
        outbox.register_consumer("talk_requested", windows.talk_requested_consume)
