"""CPU per request of every step of the pupil flow, in process, for one copy of the code,
Django's side and PostgreSQL's: to compare two commits on the same bench database by
running this for each in turn, alternating (bench/notes.md, "Measuring a change").

    cd SRC && DJANGO_SETTINGS_MODULE=bench.settings BENCH_DATABASE_URL=... PYTHONPATH=SRC \\
        python bench/flow_cpu.py SRC bench/out/setup.json N [PUPILS]

SRC is a snapshot of a commit (``git archive``) with the current bench/*.py in its bench/;
N picks a window no other run used (each run walks PUPILS new pupils, 30 by default,
through the whole flow as pupil.js does: the 17 requests of bench/flow.lua). A first pupil
warms the process up and is not counted. Prints one JSON object: per step the CPU ms of
this process per request (the view, the middleware, the template, the test client's own
small share) and, over the whole flow, the CPU of the PostgreSQL backend that served this
process's connection (from /proc, in clock ticks of 10 ms: read it over many requests).
``bench/ab_cpu.py`` measures three requests in a tighter loop.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, sys.argv[1])

import django

django.setup()

from django.core.signals import request_finished, request_started  # noqa: E402
from django.db import close_old_connections, connection  # noqa: E402
from django.test import Client  # noqa: E402

from bench.pupil import hidden, questions  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def _as_served(**_kwargs) -> None:
    """What Django's WSGI handler does at the start and end of every request under gunicorn
    (the test client switches it off): close a connection that is too old or broken, and
    check a reused connection's health before its first query (``CONN_HEALTH_CHECKS``)."""
    close_old_connections()


request_started.connect(_as_served, dispatch_uid="bench.flow_cpu")
request_finished.connect(_as_served, dispatch_uid="bench.flow_cpu")


def backend_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def walk(client: Client, join_code: str, card_code: str, cpu: dict[str, list[float]]) -> None:
    client.cookies.clear()  # a new pupil on a new device (one Client: its handler loads the middleware once)

    def step(label: str, method: str, url: str, **kwargs):
        start = time.process_time()
        response = getattr(client, method)(url, **kwargs)
        cpu[label].append(time.process_time() - start)
        assert response.status_code in (200, 302), (label, response.status_code)
        return response

    step("join page GET", "get", "/go/")
    response = step("join code POST", "post", "/go/", data={"code": join_code})
    card_url = response["Location"]
    step("card page GET", "get", card_url)
    response = step("card code POST", "post", card_url, data={"code": card_code})
    assent_url = response["Location"]
    step("assent page GET", "get", assent_url)
    response = step("assent POST (yes)", "post", assent_url, data={"choice": "yes"})
    url = response["Location"]
    number = 1
    while True:
        html = step("question page GET", "get", url).content.decode()
        answers = {name[2:]: options[0] for name, options in questions(html).items()}
        final = "data-final" in html
        body = json.dumps(
            {
                "key": hidden(html, "key"),
                "page": number,
                "seq": int(hidden(html, "seq") or "1"),
                "answers": answers,
                "final": final,
            }
        )
        label = "final submit POST" if final else "page save POST"
        saved = step(label, "post", "/go/save/", data=body, content_type="application/json").json()
        assert saved["ok"], saved
        if final:
            break
        url = saved["next"]
        number += 1
    step("thank-you page GET", "get", saved["next"])


def main() -> None:
    setup = json.loads(Path(sys.argv[2]).read_text())
    offset = int(sys.argv[3])
    pupils = int(sys.argv[4]) if len(sys.argv) > 4 else 30
    window = setup["windows"][offset]
    cards = [card for card, _hash in window["cards"]]
    assert len(cards) > pupils, "not enough cards in one window"
    client = Client(SERVER_NAME="127.0.0.1")
    warm: dict[str, list[float]] = defaultdict(list)
    walk(client, window["join_code"], cards[0], warm)
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    cpu: dict[str, list[float]] = defaultdict(list)
    pg_before, start = backend_seconds(pid), time.process_time()
    for card in cards[1 : pupils + 1]:
        walk(client, window["join_code"], card, cpu)
    django_seconds, pg_seconds = time.process_time() - start, backend_seconds(pid) - pg_before
    requests = sum(len(times) for times in cpu.values())
    out = {label: round(sum(times) * 1000 / len(times), 3) for label, times in cpu.items()}
    out["all (per request)"] = round(django_seconds * 1000 / requests, 3)
    out["postgres (per request)"] = round(pg_seconds * 1000 / requests, 3)
    out["requests"] = requests
    print(json.dumps(out))


if __name__ == "__main__":
    main()
