"""Production: refuses to start without its secrets and hosts (fail closed).

Run ``python manage.py check --deploy --fail-level WARNING --settings=config.settings.production``
before every release; CI does.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *
from .base import env, env_bool

# REDIS_URL too: without a broker, base settings run every Celery task eagerly inside the
# web request (PDF packs, e-mail, the outbox relay), which production must never do.
_missing = [name for name in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL") if not env(name)]
if _missing:
    raise ImproperlyConfigured(
        "Production settings need these environment variables: "
        + ", ".join(_missing)
        + ". See .env.example and the README."
    )
if len(SECRET_KEY or "") < 50:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 random characters.")

DEBUG = False
CELERY_TASK_ALWAYS_EAGER = False  # a worker runs tasks; REDIS_URL is required above
UPSTREAM_PSEUDONYM_KEY = env("PSEUDONYM_KEY")
if not UPSTREAM_PSEUDONYM_KEY:
    raise ImproperlyConfigured("PSEUDONYM_KEY (keyed hashes of participant codes) is required.")

# Trusted only because the load balancer always overwrites X-Forwarded-Proto; behind a
# proxy that passes a client's header through, plain HTTP would look like HTTPS.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = 31_536_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# The preload directive alone changes nothing: a domain is only preloaded once someone
# submits it to hstspreload.org, which is hard to undo. Sending it keeps security.W021
# quiet without silencing a check; submit only after a month of stable HSTS on every
# subdomain. SECURE_HSTS_PRELOAD=0 drops the directive (and W021 will then say so).
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
DATABASES["default"]["CONN_MAX_AGE"] = int(env("DB_CONN_MAX_AGE", "60") or 60)
