"""The matrix's fixture data is built once per module, inside a transaction that is rolled
back when the module ends, so it is fast (one build for thousands of requests) and leaves
nothing behind for the rest of the suite. Each test then runs in its own savepoint (the
ordinary ``db`` fixture), and each request in a savepoint of its own (``matrix.request``).
"""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import transaction
from django.test.utils import override_settings

from tests.factories import restore_reference_data

from .world import build_world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("matrix-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media)):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            restore_reference_data()  # a transactional test earlier in the run may have flushed it
            cache.clear()
            yield build_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            ContentType.objects.clear_cache()
