"""The embedded default: a laptop with only Python. SQLite, tasks in process, console mail.

``make run`` uses these settings. They are for demonstration and development only.
"""

from .base import *
from .base import env, env_list

DEBUG = True
SECRET_KEY = env("SECRET_KEY", "dev-only-not-secret-7f3c1e9a2b8d4f6e0a1c3e5b7d9f2a4c6e8b0d2f")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http"
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
WHITENOISE_USE_FINDERS = True
# No beat runs in the embedded default: relay outbox rows in process after commit.
UPSTREAM_OUTBOX_RELAY_ON_COMMIT = True
