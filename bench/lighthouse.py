"""Lighthouse (npm ``lighthouse``, mobile profile: simulated slow 4G and a mid-range phone)
on Debian's Chromium, for the join page and a question page.

The CLI is taken from PATH or from bench/out/node (installed there with npm on first use,
with a time limit). The question page needs a pupil session: the bench walks join, card and
assent with httpx and hands Lighthouse the session cookie (``--extra-headers``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import httpx

from bench.pupil import hidden, path_of

VERSION = "12.8.2"
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --disable-background-networking"
CATEGORIES = ("performance", "accessibility", "best-practices")


def cli(out: Path) -> tuple[str | None, str]:
    found = shutil.which("lighthouse")
    if found:
        return found, f"lighthouse from PATH ({found})"
    local = out / "node" / "node_modules" / ".bin" / "lighthouse"
    if local.exists():
        return str(local), f"lighthouse {VERSION} from bench/out/node"
    if not shutil.which("npm"):
        return None, "npm is not installed, so Lighthouse could not be installed"
    (out / "node").mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(
            ["npm", "install", "--prefix", str(out / "node"), "--no-audit", "--no-fund", f"lighthouse@{VERSION}"],
            check=True,
            timeout=240,
            capture_output=True,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        return None, f"npm install lighthouse failed: {type(exc).__name__}"
    return (str(local), f"lighthouse {VERSION} installed into bench/out/node") if local.exists() else (None, "no CLI")


def pupil_session(base_url: str, flow) -> tuple[str, str]:
    """(cookie header, question page path) for a fresh pupil who has given assent."""
    join_code, card_code, _ = flow.take_card()
    flow.take_attempted()
    origin = base_url.rstrip("/")
    with httpx.Client(base_url=base_url, trust_env=False, timeout=15, headers={"Origin": origin}) as client:
        page = client.get("/go/")
        response = client.post(
            "/go/", data={"code": join_code, "csrfmiddlewaretoken": hidden(page.text, "csrfmiddlewaretoken")}
        )
        card_url = path_of(response.headers["location"])
        page = client.get(card_url)
        token = hidden(page.text, "csrfmiddlewaretoken")
        response = client.post(card_url, data={"code": card_code, "csrfmiddlewaretoken": token})
        assent_url = path_of(response.headers["location"])
        page = client.get(assent_url)
        token = hidden(page.text, "csrfmiddlewaretoken")
        response = client.post(assent_url, data={"choice": "yes", "csrfmiddlewaretoken": token})
        question_url = path_of(response.headers["location"])
        cookies = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    return cookies, question_url


def run_one(binary: str, url: str, name: str, out: Path, headers: dict | None) -> dict:
    report = out / f"lighthouse-{name.split()[0]}.json"
    command = [
        binary,
        url,
        "--output=json",
        f"--output-path={report}",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={CHROME_FLAGS}",
        "--quiet",
    ]
    if headers:
        command.append(f"--extra-headers={json.dumps(headers)}")
    env = {**os.environ, "CHROME_PATH": "/usr/bin/chromium"}
    completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=150)
    if completed.returncode != 0 or not report.exists():
        raise RuntimeError(f"lighthouse exited {completed.returncode}: {completed.stderr.strip()[-300:]}")
    data = json.loads(report.read_text())
    scores = {
        key: (round(cat["score"] * 100) if cat.get("score") is not None else None)
        for key, cat in data["categories"].items()
    }
    failing = []
    for key, category in data["categories"].items():
        for ref in category["auditRefs"]:
            audit = data["audits"][ref["id"]]
            if ref.get("weight", 0) > 0 and audit.get("score") is not None and audit["score"] < 1:
                failing.append(f"{key}: {ref['id']}")
    metrics = data["audits"].get("metrics", {}).get("details", {}).get("items", [{}])[0]
    runtime = data.get("runtimeError")
    return {
        "name": name,
        "url": url,
        "final_url": data.get("finalDisplayedUrl"),
        "scores": scores,
        "failing": failing,
        "fcp_ms": metrics.get("firstContentfulPaint"),
        "lcp_ms": metrics.get("largestContentfulPaint"),
        "tbt_ms": metrics.get("totalBlockingTime"),
        "cls": metrics.get("cumulativeLayoutShift"),
        "runtime_error": runtime.get("message") if runtime else None,
        "lighthouse": data.get("lighthouseVersion"),
    }


def measure(base_url: str, flow, out: Path) -> dict:
    binary, how = cli(out)
    if binary is None:
        return {"error": how, "pages": []}
    notes = [
        how,
        "Mobile profile (Lighthouse default: Moto G Power emulation, simulated slow 4G, 4x CPU slowdown),"
        " headless Debian Chromium. The server is on the same machine, so network times are simulated.",
    ]
    pages = []
    origin = base_url.rstrip("/")
    targets = [("join page", f"{origin}/go/", None)]
    try:
        cookies, question_path = pupil_session(base_url, flow)
        targets.append(("question page", f"{origin}{question_path}", {"Cookie": cookies}))
    except Exception as exc:  # noqa: BLE001 - reported
        notes.append(f"could not open a pupil session for the question page: {type(exc).__name__}: {exc}")
    for name, url, headers in targets:
        # Lighthouse sometimes fails to record a trace (NO_NAVSTART) on a busy machine: a
        # failed page is tried up to three times, and every failure is reported.
        for attempt in range(1, 4):
            try:
                pages.append(run_one(binary, url, name, out, headers))
                break
            except Exception as exc:  # noqa: BLE001
                notes.append(f"{name}, attempt {attempt}: {type(exc).__name__}: {str(exc)[:300]}")
    return {"pages": pages, "notes": notes}
