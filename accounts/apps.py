from django.apps import AppConfig
from wagtail.users.apps import WagtailUsersAppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "People and organisations"
    default_auto_field = "django.db.models.BigAutoField"
    default = True  # this module also holds WagtailUsersConfig

    def ready(self) -> None:
        from . import signals  # noqa: F401


class WagtailUsersConfig(WagtailUsersAppConfig):
    """``wagtail.users`` with our user viewset (privilege rules and audit,
    accounts/wagtail_users.py); INSTALLED_APPS names this instead of ``wagtail.users``."""

    default = False
    user_viewset = "accounts.wagtail_users.UserViewSet"
