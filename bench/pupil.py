"""The simulated pupil: the request sequence a pupil's browser makes in surveys/pupil.

    GET  /go/                 join page (class code form)            kind "join_page"
    POST /go/  code=JOIN      -> 302 /go/card/                        kind "join"
    GET  /go/card/            card code form                          kind "card_page"
    POST /go/card/ code=CARD  -> 302 /go/start/                       kind "card"
    GET  /go/start/           assent screen                           kind "assent_page"
    POST /go/start/ choice=yes -> 302 /go/q/1/                        kind "assent"
    per page n:
      GET  /go/q/n/           questions, submission key and sequence  kind "page"
      JSON: POST /go/save/ {key, page, seq, answers, final}           kind "save" / "submit" (last page)
      form: POST /go/q/n/ q_<code>=value ... -> 302                     kind "save" / "submit" (last page)
    GET  /go/thanks/          thank-you page with signposting         kind "thanks"

The JSON save is what pupil.js sends (fetch, X-CSRFToken header), so it is the default;
``--pupil-mode form`` replays the no-JavaScript path. Static files are not fetched: a
browser has them cached after the first page (WhiteNoise serves them with a year-long
max-age); the page-weight step measures them. Answers are random valid options read from
the page's radio buttons, with some "Don't know" and "Prefer not to say".
"""

from __future__ import annotations

import asyncio
import html
import json
import random
import re
from collections import deque
from urllib.parse import urlsplit

import httpx

from bench.loadgen import ScenarioError, Session

JOIN_URL = "/go/"
INPUT_TAG = re.compile(r"<input\b[^>]*>", re.IGNORECASE)
ATTR = re.compile(r'([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*"([^"]*)"')
FORM_TAG = re.compile(r"<form\b[^>]*>", re.IGNORECASE)


def inputs(page: str) -> list[dict[str, str]]:
    found = []
    for tag in INPUT_TAG.findall(page):
        attrs = {name.lower(): html.unescape(value) for name, value in ATTR.findall(tag)}
        found.append(attrs)
    return found


def hidden(page: str, name: str) -> str | None:
    for attrs in inputs(page):
        if attrs.get("name") == name:
            return attrs.get("value")
    match = re.search(rf'data-{re.escape(name)}="([^"]*)"', page)
    return html.unescape(match.group(1)) if match else None


def questions(page: str) -> dict[str, list[str]]:
    """{field name: [option values]} for the page's radio groups (q_<code>)."""
    groups: dict[str, list[str]] = {}
    for attrs in inputs(page):
        if attrs.get("type", "").lower() == "radio" and attrs.get("name", "").startswith("q_"):
            groups.setdefault(attrs["name"], []).append(attrs.get("value", ""))
    return groups


def choose(options: list[str], rng: random.Random) -> str:
    numeric = [value for value in options if value.isdigit()]
    other = [value for value in options if not value.isdigit() and value not in ("", "skip")]
    roll = rng.random()
    if numeric and roll < 0.9:
        return rng.choice(numeric)
    if other:
        return rng.choice(other)
    return rng.choice(options)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class PupilFlow:
    def __init__(self, setup: dict, mode: str):
        self.mode = mode
        self.pool: deque = deque()
        reserved = {code for code, _ in setup["windows"][-1]["cards"][-5:]}  # for bench/queries.py
        for window in setup["windows"]:
            for code, code_hash in window["cards"]:
                if code not in reserved:
                    self.pool.append((window["join_code"], code, code_hash))
        # Interleave windows so concurrent pupils spread over classes, as in a real school.
        cards = list(self.pool)
        random.Random(7).shuffle(cards)
        self.pool = deque(cards)
        self.instrument = setup["instrument"]
        self.expected_answers = setup["instrument"]["scored_items"]
        self.page_count: int | None = setup.get("pages")
        self.attempted: list[str] = []
        self.rng = random.Random(11)
        self.think: tuple[float, float] | None = None  # seconds a pupil reads/answers before each POST
        self.pages_seen: list[dict] = []

    def describe(self) -> dict:
        save = "POST /go/save/ (JSON, as pupil.js)" if self.mode == "json" else "POST /go/q/<n>/ (form, no JavaScript)"
        return {
            "mode": self.mode,
            "pages": self.page_count,
            "instrument": self.instrument,
            "sequence": (
                "GET /go/, POST /go/ (join code), GET /go/card/, POST /go/card/ (card code), GET /go/start/,"
                f" POST /go/start/ (assent), then per page GET /go/q/<n>/ + {save}, the last one with"
                " final=true (submit), then GET /go/thanks/"
            ),
        }

    async def pause(self) -> None:
        if self.think:
            await asyncio.sleep(self.rng.uniform(*self.think))

    def take_card(self) -> tuple[str, str, str]:
        if not self.pool:
            raise ScenarioError("no participant cards left")
        card = self.pool.popleft()
        self.attempted.append(card[2])
        return card

    def take_attempted(self) -> list[str]:
        attempted, self.attempted = self.attempted, []
        return attempted

    async def scenario(self, session: Session) -> None:
        join_code, card_code, code_hash = self.take_card()
        response = await session.request("join_page", "GET", JOIN_URL)
        token = session.csrf_from(response.text)
        await self.pause()
        response = await session.request(
            "join", "POST", JOIN_URL, data={"code": join_code, "csrfmiddlewaretoken": token}, expect=(302, 303)
        )
        card_url = path_of(response.headers["location"])
        response = await session.request("card_page", "GET", card_url)
        token = session.csrf_from(response.text)
        await self.pause()
        response = await session.request(
            "card", "POST", card_url, data={"code": card_code, "csrfmiddlewaretoken": token}, expect=(302, 303)
        )
        assent_url = path_of(response.headers["location"])
        response = await session.request("assent_page", "GET", assent_url)
        token = session.csrf_from(response.text)
        await self.pause()
        response = await session.request(
            "assent", "POST", assent_url, data={"choice": "yes", "csrfmiddlewaretoken": token}, expect=(302, 303)
        )
        page_url = path_of(response.headers["location"])
        number = 1
        while True:
            if number > 50:
                raise ScenarioError("more than 50 pages")
            response = await session.request("page", "GET", page_url)
            page = response.text
            groups = questions(page)
            if not groups:
                raise ScenarioError(f"no questions on {page_url}")
            form_tag = next((tag for tag in FORM_TAG.findall(page) if "data-survey" in tag), "")
            last = "data-final" in form_tag if form_tag else number == self.page_count
            kind = "submit" if last else "save"
            answers = {name: choose(options, self.rng) for name, options in groups.items()}
            await self.pause()
            if self.mode == "json":
                key = hidden(page, "key")
                seq = hidden(page, "seq")
                token = session.csrf_from(page)
                body = {
                    "key": key,
                    "page": number,
                    "seq": int(seq) if seq and seq.isdigit() else 1,
                    "answers": {name[2:]: value for name, value in answers.items()},
                    "final": last,
                }
                response = await session.request(
                    kind,
                    "POST",
                    "/go/save/",
                    content=json.dumps(body),
                    headers={"Content-Type": "application/json", "X-CSRFToken": token, "Accept": "application/json"},
                )
                try:
                    result = response.json()
                except ValueError:
                    raise ScenarioError(f"{kind}: not JSON")
                if not result.get("ok"):
                    raise ScenarioError(f"{kind}: refused {result.get('error')}")
                if result.get("completed"):
                    session.recorder.acknowledge(code_hash)
                    next_url = result.get("next") or "/go/thanks/"
                    break
                if last:
                    raise ScenarioError("final save not acknowledged as completed")
                page_url = path_of(result["next"])
            else:
                data = dict(answers)
                data["csrfmiddlewaretoken"] = session.csrf_from(page)
                for name in ("seq", "key"):
                    value = hidden(page, name)
                    if value is not None:
                        data[name] = value
                response = await session.request(kind, "POST", page_url, data=data, expect=(302, 303))
                location = path_of(response.headers["location"])
                if "/q/" not in location:
                    session.recorder.acknowledge(code_hash)
                    next_url = location
                    break
                page_url = location
            number += 1
        await session.request("thanks", "GET", next_url)


async def _probe(base_url: str) -> str | None:
    async with httpx.AsyncClient(base_url=base_url, trust_env=False, timeout=10) as client:
        response = await client.get(JOIN_URL)
        if response.status_code != 200:
            return f"GET {JOIN_URL} answered {response.status_code}"
        if "csrfmiddlewaretoken" not in response.text:
            return f"GET {JOIN_URL} has no form"
    return None


def prepare(base_url: str, setup: dict, mode: str = "json"):
    """(flow, None) when the pupil flow can be driven, else (None, reason)."""
    if not setup.get("windows"):
        return None, "no survey windows could be seeded"
    try:
        problem = asyncio.run(_probe(base_url))
    except httpx.HTTPError as exc:
        problem = f"GET {JOIN_URL} failed: {type(exc).__name__}"
    if problem:
        return None, problem
    return PupilFlow(setup, mode), None
