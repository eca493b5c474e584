from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = "Surveys and outcomes"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals  # noqa: F401
        from .services import outbox, windows

        # surveys' own outbox consumers; other apps register theirs in their own ready().
        outbox.register_consumer("response_completed", windows.response_completed_consume)
        outbox.register_consumer("talk_requested", windows.talk_requested_consume)
