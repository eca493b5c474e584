"""Project configuration (the design card's ``site/``: see README, "Why config/ and not site/")."""

from .celery_app import app as celery_app

__all__ = ("celery_app",)
