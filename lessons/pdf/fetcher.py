"""A WeasyPrint URL fetcher that only serves the project's own static and media files.

Documents are rendered with ``base_url=PDF_BASE_URL``, a host that cannot exist
(``.invalid`` is reserved), so ``{% static %}`` and media URLs resolve under it and are
read straight from storage. Every other URL (``file://``, ``http(s)://`` elsewhere,
``data:``) is refused and logged (test plan T23, docs/decisions.md#t23).
"""

from __future__ import annotations

import logging
import mimetypes
import posixpath
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.files.storage import default_storage
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

PDF_BASE_URL = "https://upstream-pdf.invalid/"
_BASE = urlsplit(PDF_BASE_URL)


class RefusedURL(ValueError):
    """Raised for any URL outside the project's static and media files."""


def _safe_relative(path: str, prefix: str) -> str | None:
    if not prefix.startswith("/") or not path.startswith(prefix):
        return None
    relative = posixpath.normpath(path[len(prefix) :])
    if relative.startswith(("../", "/")) or relative in {".", ".."}:
        return None
    return relative


def _read_static(relative: str) -> bytes | None:
    try:
        if staticfiles_storage.exists(relative):
            with staticfiles_storage.open(relative) as handle:
                return handle.read()
    except (NotImplementedError, ValueError, OSError):
        pass
    found = finders.find(relative)
    if found:
        with open(found, "rb") as handle:
            return handle.read()
    return None


def _read_media(relative: str) -> bytes | None:
    if not default_storage.exists(relative):
        return None
    with default_storage.open(relative) as handle:
        return handle.read()


class ProjectFilesURLFetcher(URLFetcher):
    def fetch(self, url, headers=None):
        parsed = urlsplit(url)
        if (parsed.scheme, parsed.netloc) != (_BASE.scheme, _BASE.netloc):
            logger.warning("PDF renderer refused to fetch %s", url[:200])
            raise RefusedURL(f"Refused to fetch {url[:200]}")
        path = unquote(parsed.path)
        body = None
        static_relative = _safe_relative(path, settings.STATIC_URL)
        media_relative = _safe_relative(path, settings.MEDIA_URL)
        if static_relative is not None:
            body = _read_static(static_relative)
        elif media_relative is not None:
            body = _read_media(media_relative)
        else:
            logger.warning("PDF renderer refused to fetch %s", url[:200])
            raise RefusedURL(f"Refused to fetch {url[:200]}")
        if body is None:
            raise RefusedURL(f"Not found: {path[:200]}")
        content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body=body, headers={"Content-Type": content_type})
