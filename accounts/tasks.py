"""E-mail tasks. Queued after commit by services; idempotent enough to retry (an e-mail
sent twice is a nuisance, never a data problem), with backoff on SMTP failures."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


@shared_task(
    bind=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
    acks_late=True,
)
def send_templated_email(self, template: str, to: str, context: dict) -> None:
    """Render ``<template>_subject.txt``, ``.txt`` and ``.html`` and send them to ``to``."""
    subject = render_to_string(f"{template}_subject.txt", context).strip()
    text = render_to_string(f"{template}.txt", context)
    html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(
        subject=f"[Upstream] {subject}", body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[to]
    )
    message.attach_alternative(html, "text/html")
    message.send()


@shared_task(acks_late=True)
def purge_staff_data() -> dict[str, int]:
    """Nightly (CELERY_BEAT_SCHEDULE): staff data past its retention period. Idempotent."""
    from .services import staff_data_purge

    return staff_data_purge()
