"""Driving the pupil flow with Django's test client."""

from __future__ import annotations

import json

from surveys.models import Answer, OutboxMessage, PageSave, Participant, Response, TalkRequest


def join_and_assent(client, window, pupil):
    assert client.post("/go/", {"code": window.join_code}).status_code == 302
    assert client.post("/go/card/", {"code": pupil.card_code}).status_code == 302
    assert client.post("/go/start/", {"choice": "yes"}).status_code == 302
    return client.session["pupil"]["k"]


def post_json(client, body, **extra):
    return client.post("/go/save/", data=json.dumps(body), content_type="application/json", **extra)


def stored_counts() -> dict[str, int]:
    models = (Response, Answer, PageSave, OutboxMessage, TalkRequest, Participant)
    return {model.__name__: model.objects.count() for model in models}
