"""The Celery application. Workers default to production settings (fail closed)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("upstream")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
