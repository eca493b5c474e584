"""Page weight of every pupil page, measured in Debian's Chromium (headless, via Playwright).

One pupil walks the whole flow with JavaScript on, on a 360 px phone viewport. On every page
the page is loaded again with the browser cache disabled (a cold load: a pupil on a shared
PC or a fresh phone) and every network request it makes is counted with the bytes that
crossed the wire (Chrome DevTools ``encodedDataLength``: headers plus the body as sent,
compressed where the server compressed it). Then the pupil moves on as a pupil would
(the transitions are recorded too, with a warm cache). Every request must be same-origin.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-dev-shm-usage",
]
BUDGET_BYTES = 50 * 1024
BUDGET_REQUESTS = 4


def _kind(resource_type: str, mime: str) -> str:
    mime = (mime or "").lower()
    if resource_type == "Document" or "html" in mime:
        return "html"
    if resource_type == "Stylesheet" or "css" in mime:
        return "css"
    if resource_type == "Script" or "javascript" in mime:
        return "js"
    return "other"


class Meter:
    """Collects network events from a CDP session between ``start`` and ``stop``."""

    def __init__(self, cdp):
        self.cdp = cdp
        self.requests: dict[str, dict] = {}
        self.recording = False
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.loadingFailed", self._failed)
        cdp.on("Network.requestServedFromCache", self._cached)

    def _sent(self, event):
        if not self.recording:
            return
        request = event["request"]
        entry = self.requests.setdefault(event["requestId"], {"bytes": 0, "done": False})
        if event.get("redirectResponse"):
            # The redirect response is its own request on the wire.
            redirect = event["redirectResponse"]
            self.requests[event["requestId"] + f"-r{len(self.requests)}"] = {
                "url": entry.get("url"),
                "method": entry.get("method"),
                "type": "Document",
                "mime": "",
                "status": redirect.get("status"),
                "bytes": int(redirect.get("encodedDataLength") or 0),
                "done": True,
            }
        entry.update(url=request["url"], method=request["method"], type=event.get("type", ""), done=False)

    def _cached(self, event):
        entry = self.requests.get(event["requestId"])
        if entry is not None:
            entry["cached"] = True

    def _response(self, event):
        entry = self.requests.get(event["requestId"])
        if entry is not None:
            entry.update(status=event["response"].get("status"), mime=event["response"].get("mimeType", ""))
            if event["response"].get("fromDiskCache") or event["response"].get("fromPrefetchCache"):
                entry["cached"] = True
            entry["type"] = event.get("type", entry.get("type", ""))

    def _finished(self, event):
        entry = self.requests.get(event["requestId"])
        if entry is not None:
            entry["bytes"] = int(event.get("encodedDataLength") or 0)
            entry["done"] = True

    def _failed(self, event):
        entry = self.requests.get(event["requestId"])
        if entry is not None:
            entry["done"] = True
            entry["failed"] = event.get("errorText", "failed")

    def start(self):
        self.requests = {}
        self.recording = True

    def stop(self, page, origin: str) -> dict:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not all(e["done"] for e in self.requests.values()):
            page.wait_for_timeout(50)
        self.recording = False
        totals = {"html": 0, "css": 0, "js": 0, "other": 0}
        listed = []
        foreign = []
        cached = 0
        for entry in self.requests.values():
            url = entry.get("url") or ""
            if url.startswith("data:"):
                continue
            if entry.get("cached"):
                cached += 1
                continue
            kind = _kind(entry.get("type", ""), entry.get("mime", ""))
            totals[kind] += entry["bytes"]
            listed.append(
                {
                    "method": entry.get("method"),
                    "path": urlsplit(url).path,
                    "status": entry.get("status"),
                    "kind": kind,
                    "bytes": entry["bytes"],
                }
            )
            parts = urlsplit(url)
            if f"{parts.scheme}://{parts.netloc}" != origin:
                foreign.append(url)
        return {
            "requests": len(listed),
            "bytes": totals,
            "total_bytes": sum(totals.values()),
            "list": listed,
            "third_party": foreign,
            "from_cache": cached,
        }


def browser_can_post(browser, origin: str, join_code: str) -> tuple[bool, str]:
    """Does a plain Chromium get past the join form? (Sends what the page makes it send.)"""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{origin}/go/", wait_until="load")
        page.fill("input[name=code]", join_code)
        with page.expect_response(lambda r: r.request.method == "POST") as posted:
            page.click("form button[type=submit]")
        response = posted.value
        sent_origin = response.request.all_headers().get("origin")
        page.wait_for_load_state("load")
        return response.status in (301, 302, 303), f"POST /go/ -> {response.status} (Origin sent: {sent_origin})"
    finally:
        context.close()


def measure(base_url: str, flow, timeout_s: float = 90.0) -> dict:
    join_code, card_code, _hash = flow.take_card()
    flow.take_attempted()
    origin = base_url.rstrip("/")
    pages: list[dict] = []
    transitions: list[dict] = []
    notes: list[str] = []
    started = time.monotonic()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            ok, detail = browser_can_post(browser, origin, join_code)
            extra = {}
            if not ok:
                notes.append(
                    f"FINDING: an unmodified Chromium cannot get past the join page: {detail}. To measure the"
                    " pages anyway, the browser below was made to send the real Origin header on its requests."
                )
                extra = {"extra_http_headers": {"Origin": origin}}
            context = browser.new_context(
                viewport={"width": 360, "height": 740},
                is_mobile=True,
                has_touch=True,
                device_scale_factor=2,
                **extra,
            )
            context.set_default_timeout(15_000)
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            meter = Meter(cdp)

            def cold(name: str) -> None:
                url = page.url
                cdp.send("Network.clearBrowserCache")
                cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
                meter.start()
                page.goto(url, wait_until="networkidle")
                result = meter.stop(page, origin)
                cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
                result.update(name=name, path=urlsplit(url).path)
                pages.append(result)

            def move(name: str, action) -> None:
                meter.start()
                with page.expect_navigation(wait_until="networkidle"):
                    action()
                result = meter.stop(page, origin)
                result.update(name=name, path=urlsplit(page.url).path)
                transitions.append(result)

            page.goto(f"{origin}/go/", wait_until="networkidle")
            cold("join (class code)")
            page.fill("input[name=code]", join_code)
            move("join code sent -> card page", lambda: page.click("form button[type=submit]"))
            cold("card code")
            page.fill("input[name=code]", card_code)
            move("card code sent -> assent", lambda: page.click("form button[type=submit]"))
            cold("assent")
            move("assent yes -> page 1", lambda: page.click("button[name=choice][value=yes]"))
            number = 1
            while "/go/q/" in page.url and number <= 30:
                if time.monotonic() - started > timeout_s:
                    notes.append("page weight stopped early: time limit")
                    break
                cold(f"question page {number}")
                page.evaluate(
                    """() => {
                        const seen = new Set();
                        for (const input of document.querySelectorAll('input[type=radio]')) {
                            if (!seen.has(input.name)) { seen.add(input.name); input.click(); }
                        }
                    }"""
                )
                move(
                    f"page {number} saved -> next",
                    lambda: page.click("form[data-survey] button[name=action][value=next]"),
                )
                number += 1
            if "/go/thanks/" in page.url:
                cold("thank you")
            else:
                notes.append(f"the flow ended on {urlsplit(page.url).path}, not the thank-you page")
        finally:
            browser.close()
    for entry in pages:
        entry["within_budget"] = entry["total_bytes"] < BUDGET_BYTES and entry["requests"] <= BUDGET_REQUESTS
    notes.insert(
        0,
        "Cold load = the page loaded again with the browser cache disabled; bytes are as transferred"
        " (headers + body, Chrome DevTools encodedDataLength). Transitions (warm cache) include the"
        " form POST or the pupil.js save and the redirect or navigation that follows.",
    )
    third = sorted({url for entry in pages + transitions for url in entry["third_party"]})
    notes.append("Third-party requests: " + (", ".join(third) if third else "none (every request same-origin)"))
    return {"pages": pages, "transitions": transitions, "notes": notes, "browser_post_ok": ok}
