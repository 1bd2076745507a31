"""Headless Chromium (Debian's ``chromium`` package) for the console's screenshot and its browser test: one
throw-away profile per call, loopback only, no background networking.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
READY_MARK = "data-ready="


def chromium() -> str:
    """The chromium executable; a clear error when it is not installed."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise FileNotFoundError("chromium not found: install it (Debian: apt-get install -y chromium)")


def _run(url: str, extra: list[str], timeout: float) -> str:
    with tempfile.TemporaryDirectory(prefix="console-chromium-") as profile:
        argv = [chromium(), *FLAGS, f"--user-data-dir={profile}", *extra, url]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"chromium exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


def dump_dom(url: str, budget_ms: int = 5000, timeout: float = 60.0) -> str:
    """The page's DOM after its scripts ran (``budget_ms`` of virtual time)."""
    return _run(url, [f"--virtual-time-budget={budget_ms}", "--dump-dom"], timeout)


def ready_dom(url: str, timeout: float = 90.0) -> str:
    """The DOM once the console says it has rendered an execution (``<body data-ready=...>``); polls until
    ``timeout``."""
    deadline = time.monotonic() + timeout
    budget = 3000
    while True:
        dom = dump_dom(url, budget_ms=budget)
        if READY_MARK in dom:
            return dom
        if time.monotonic() > deadline:
            raise TimeoutError(f"the console did not render within {timeout:.0f} s; last DOM:\n{dom[:3000]}")
        budget = min(budget * 2, 20000)


def screenshot(url: str, target: Path, width: int = 1400, height: int = 1000, colours: int = 128) -> Path:
    """A PNG of the page, reduced to a ``colours`` palette so it stays small enough for the docs."""
    from PIL import Image

    with tempfile.TemporaryDirectory(prefix="console-shot-") as folder:
        raw = Path(folder) / "page.png"
        _run(url, ["--virtual-time-budget=8000", f"--window-size={width},{height}", f"--screenshot={raw}"], 90.0)
        image = Image.open(io.BytesIO(raw.read_bytes())).convert("RGB")
    target.parent.mkdir(parents=True, exist_ok=True)
    image.quantize(colors=colours, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)
    return target
