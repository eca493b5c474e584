"""CPU per request of three pupil requests, in process, for one copy of the code: to compare
two commits on the same bench database by running this for each in turn (bench/notes.md).

    cd SRC && DJANGO_SETTINGS_MODULE=bench.settings BENCH_DATABASE_URL=... PYTHONPATH=SRC \\
        python bench/ab_cpu.py SRC bench/out/setup.json N

SRC is a snapshot of a commit (``git archive``) with the current bench/*.py in its bench/;
N picks a card no other run used (each run walks a new pupil in from the join page). Prints
the CPU ms per question page GET, per page save (a new sequence number each time) and per
assent page GET, over 150 requests each after 20 of warm-up. With a fourth argument
``calls`` it prints instead the Python function calls per request (cProfile's count), which,
unlike CPU time, does not move with the machine's load.
"""

from __future__ import annotations

import cProfile
import json
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, sys.argv[1])

import django

django.setup()

from django.test import Client  # noqa: E402

from bench.pupil import hidden, questions  # noqa: E402


def main() -> None:
    setup = json.loads(Path(sys.argv[2]).read_text())
    offset = int(sys.argv[3])
    window = setup["windows"][-2 - offset]
    card = window["cards"][-1 - offset][0]
    client = Client(SERVER_NAME="127.0.0.1")
    client.get("/go/")
    response = client.post("/go/", {"code": window["join_code"]})
    response = client.post(response["Location"], {"code": card})
    response = client.post(response["Location"], {"choice": "yes"})
    url = response["Location"]
    page = client.get(url).content.decode()
    key = hidden(page, "key")
    answers = {name[2:]: options[0] for name, options in questions(page).items()}
    seq = [1]

    def save() -> None:
        seq[0] += 1
        body = json.dumps({"key": key, "page": 1, "seq": seq[0], "answers": answers, "final": False})
        assert client.post("/go/save/", data=body, content_type="application/json").status_code == 200

    save()
    for _ in range(20):
        client.get(url)
        save()
    count_calls = sys.argv[4:] == ["calls"]
    out = {}
    for label, work in (
        ("page", lambda: client.get(url)),
        ("save", save),
        ("assent_page", lambda: client.get("/go/start/")),
    ):
        profile = cProfile.Profile() if count_calls else None
        start = time.process_time()
        if profile is not None:
            profile.enable()
        for _ in range(150):
            work()
        if profile is not None:
            profile.disable()
            out[label] = round(pstats.Stats(profile).total_calls / 150, 1)
        else:
            out[label] = round((time.process_time() - start) * 1000 / 150, 3)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
