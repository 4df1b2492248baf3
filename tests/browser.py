"""A real server and a real browser, shared by the end-to-end tests and the room benchmark.

`serve_app` starts `streamlit run app.py` on a free loopback port and waits for its health check; `chromium` launches
Debian's Chromium through Playwright with the flags this machine needs (root in a container, a network that is only
loopback). Nothing here downloads a browser.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import socket
import subprocess
import sys
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("SPHERE_TOY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve_app(log_path: pathlib.Path, *options: str, timeout: float = 60.0):
    """Yield (url, process) of a fresh `streamlit run app.py` (with streamlit's `options`, e.g. "--server.x", "true");
    its output goes to `log_path`. Stopped on exit."""
    port = free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(ROOT / "app.py"),
                "--server.headless",
                "true",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--browser.gatherUsageStats",
                "false",
                *options,
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                        break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"streamlit did not answer /_stcore/health; see {log_path}") from None
                    time.sleep(0.3)
            yield url, proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def chromium(playwright):
    """Debian's Chromium, headless."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def rss_mb(pid: int) -> float:
    """Resident set size of process `pid` now, from /proc."""
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def cpu_seconds(pid: int) -> float:
    """User + system CPU time process `pid` has used so far, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def chromium_cpu_seconds() -> dict[int, float]:
    """CPU time used so far by each running Chromium process on this machine (the browser and its renderers)."""
    used = {}
    for proc in pathlib.Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and (proc / "comm").read_text().strip().startswith("chromium"):
                used[int(proc.name)] = cpu_seconds(int(proc.name))
        except OSError:  # the process ended meanwhile
            pass
    return used


def open_room(
    browser, url: str, n: int, text: str, *, timeout: float = 180.0, viewport: dict | None = None
) -> list[float | None]:
    """Open `url` in `n` pages (n browser sessions) at once, as a class opening the teacher's link, and return the
    wall-clock time (time.time()) at which each page first showed `text`, or None for a page that never did."""
    pages = [browser.new_page(viewport=viewport or {"width": 1280, "height": 720}) for _ in range(n)]
    try:
        for page in pages:  # navigation only starts each load; the pages then load side by side
            page.goto(url, wait_until="commit")
        shown: list[float | None] = [None] * n
        deadline = time.monotonic() + timeout
        while None in shown and time.monotonic() < deadline:
            for i, page in enumerate(pages):
                if shown[i] is None and page.get_by_text(text).count() > 0:
                    shown[i] = time.time()
            time.sleep(0.1)
        return shown
    finally:
        for page in pages:
            page.close()


def finished_runs(log_path: pathlib.Path, event: str = "finished") -> list[tuple[float, str]]:
    """The "run finished" (or "run started") lines `sphere_toy.serving.jobs` wrote to the server's log: (wall-clock
    time,
    the experiment)."""
    import datetime

    runs = []
    for line in log_path.read_text(errors="replace").splitlines():
        if f" sphere_toy.serving.jobs: run {event}" in line:
            stamp = datetime.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
            runs.append((stamp.timestamp(), line.rsplit(": ", 1)[-1]))
    return runs
