"""A class on one laptop: a fresh server, then N students pressing Train at once with N different experiments.

Starts a real `streamlit run app.py` and drives it with real Chromium pages (one browser session per student):

1. **First page.** One page opens the app's link on a fresh server: seconds until the ψ(θ) figure is on the page
   (it needs no training), and until the default run is there ("models trained in").
2. **A compiled shape again.** A page opens the default experiment with another seed on the Features tab: the shapes
   compiled in 1 come from memory, so this is the time from asking to the run on the page. Then the same page types
   a third seed into the form and presses Train: the time from Train to the new picture. Chromium here has no GPU
   and shares the server's two cores: drawing a 3-D chart costs it about 2 s of CPU (WebGL in software), so the
   same run is also timed for a session without a browser (the agent API, as in 4).
3. **Over the bound.** One page opens the heaviest link the form allows (26 minutes of training), another a
   default run at the same moment: seconds until the first is refused, and until the second has its run. Then the
   same link for a session without a browser (the agent API, as in 4): the server's own part of the refusal.
4. **The class.** N students open the default experiment with N new seeds on the Features tab at the same moment:
   when each has its own run drawn, how the queue trained them (alone or together, from the server's log), and the
   server's peak memory. For comparison, N one-at-a-time runs would take about N times step 2's Train to picture.
   Each student is a session driven over HTTP by Streamlit's agent API (`/_stcore/agent/interact`, a client without
   a browser: in a class every student's device renders its own page, so N Chromium pages on the server's own two
   cores would measure the browsers); `--browsers` uses Chromium pages instead.
5. **The room.** Through 4, the teacher's Room view (`room=1&present=1`, cleared first) is open in Chromium: seconds
   from the last run's end until it counts all N seeds, and until their open-set AUCs are in (measured while the
   server is idle); then the server's CPU over 20 s (`--window`) while the page only watches, and once it is closed.

    python benchmarks/bench_class.py [--students 30] [--timeout 300] [--browsers] [--no-room] [--window 20]

Needs Debian's chromium and the test requirements (`pip install -r requirements-dev.txt`). The server's log is
artifacts/bench_class.log. Exits 1 when a page never got its run or the over-bound link was not refused.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import pathlib
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # run from a checkout, as the app is

from tests.browser import ROOT, chromium, cpu_seconds, finished_runs, rss_mb, serve_app  # noqa: E402

SHOWN = "models trained in"  # the summary that replaces a run's progress bar
REFUSED = "this server allows"  # the refusal's words (sphere_toy.serving.cost.refusal)
HEAVY = {
    "steps": "20000",
    "batch": "1024",
    "hidden": "256,256,256,256",
    "classes": "10",
    "held_out": "0",
    "losses": "softmax,msoftmax,asoftmax:1,asoftmax:2,asoftmax:3,asoftmax:4,asoftmax:5,asoftmax:6",
}
VIEWPORT = {"width": 1280, "height": 720}


def link(url: str, **params) -> str:
    return f"{url}/?{urllib.parse.urlencode(params)}"


def wait_for(page, text: str, timeout: float) -> float | None:
    """Seconds until `page` shows `text` (polled), or None."""
    start = time.monotonic()
    try:
        page.get_by_text(text).first.wait_for(timeout=timeout * 1000)
    except Exception:
        return None
    return time.monotonic() - start


def press_train(page, seed: int, timeout: float) -> float | None:
    """On a page showing its run: type another seed into the form, press Train, and return the seconds until the
    new run's picture is drawn (its summary names the seed, and the tab's figure is on the page), or None."""
    box = page.get_by_label("Seed", exact=True)
    box.fill(str(seed))
    box.press("Tab")  # the page reruns to say the form is not applied yet; nothing trains
    page.get_by_text("Not applied yet").first.wait_for(timeout=30_000)
    start = time.monotonic()
    page.get_by_role("button", name="Train", exact=True).click()
    try:
        page.get_by_text(SHOWN).filter(has_text=f"seed {seed}").first.wait_for(timeout=timeout * 1000)
        page.locator('[role="tabpanel"]:visible .js-plotly-plot, [role="tabpanel"]:visible img').first.wait_for(
            timeout=timeout * 1000
        )
    except Exception:
        return None
    return time.monotonic() - start


def first_figure(page, timeout: float) -> float | None:
    """Seconds until the open tab shows a drawn image (the ψ(θ) figure on the first tab)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        drawn = page.locator('[role="tabpanel"]:visible img').evaluate_all(
            "imgs => imgs.filter(i => i.complete && i.naturalWidth > 0).length"
        )
        if drawn:
            return time.monotonic() - start
        time.sleep(0.05)
    return None


def interact(url: str, body: dict, timeout: float) -> dict:
    """One request to Streamlit's agent API: it runs the app for a session and answers when the run has finished
    (or, after server.agentWaitTimeout, with `wait_timed_out`: asking again with the session waits on)."""
    request = urllib.request.Request(
        f"{url}/_stcore/agent/interact", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.load(response)
    except urllib.error.HTTPError as e:
        return json.loads(e.read() or b"{}")


def student(url: str, seed: int, timeout: float) -> float | None:
    """A student's session opening the default experiment with `seed` on the Features tab: seconds until the run is
    on its page (the script's run, which waits for the training and then draws it, has finished), or None."""
    start = time.monotonic()
    reply = interact(url, {"query_params": {"seed": [str(seed)], "tab": ["Features"]}}, timeout)
    while SHOWN not in json.dumps(reply, ensure_ascii=False) and time.monotonic() - start < timeout:
        if "session_id" not in reply:
            return None
        reply = interact(url, {"session_id": reply["session_id"]}, timeout)  # wait on for the same run
    return time.monotonic() - start if SHOWN in json.dumps(reply, ensure_ascii=False) else None


def refused_alone(url: str, timeout: float) -> float | None:
    """A session without a browser opening the over-bound link (the agent API, as `student`): seconds until its page
    says it is refused (the script's run ends there), or None."""
    start = time.monotonic()
    reply = interact(url, {"query_params": {key: [value] for key, value in {**HEAVY, "seed": "8"}.items()}}, timeout)
    return time.monotonic() - start if REFUSED in json.dumps(reply, ensure_ascii=False) else None


def browser_students(browser, url: str, seeds: list[int], timeout: float) -> list[float | None]:
    """The same with one Chromium page each, on the default tab: seconds until each page shows its run."""
    pages = [browser.new_page(viewport=VIEWPORT) for _ in seeds]
    try:
        opened = time.monotonic()
        for page, seed in zip(pages, seeds):  # navigation only starts each load; the pages then load side by side
            page.goto(link(url, seed=seed), wait_until="commit")
        shown: list[float | None] = [None] * len(pages)
        while None in shown and time.monotonic() - opened < timeout:
            for i, page in enumerate(pages):
                if shown[i] is None and page.get_by_text(SHOWN).count() > 0:
                    shown[i] = time.monotonic() - opened
            time.sleep(0.1)
        return shown
    finally:
        for page in pages:
            page.close()


def clear_room(page) -> None:
    """The teacher's Clear on the Room view (the runs of steps 1-3 leave), once the page is drawn."""
    page.get_by_text("The students' link").first.wait_for(timeout=60_000)
    clear = page.get_by_role("button", name="Clear the room")
    if clear.count():  # an empty room has nothing to clear
        clear.first.click()
        page.get_by_role("button", name="Clear the room").last.click()
        page.get_by_text("No run has finished on this server yet").first.wait_for(timeout=30_000)


def room_report(teacher, pid: int, log_path: pathlib.Path, n: int, timeout: float, window: float = 20.0) -> bool:
    """5. The teacher's Room view, open through the class: seconds from the last run's end (the server's log) until
    it counts all n seeds, and until their open-set AUCs are in; then the server's CPU while the page only watches."""
    import re

    found = teacher.get_by_text(re.compile(rf"Mean θ_y: .* of {n} seeds"))
    measured = teacher.get_by_text(re.compile(rf"Open-set AUC: .* of {n} seeds"))
    try:
        found.first.wait_for(timeout=timeout * 1000)
        counted = time.time()
        measured.first.wait_for(timeout=timeout * 1000)
        aucs = time.time()
    except Exception:
        shot = ROOT / "artifacts" / "bench_class_room.png"
        teacher.screenshot(path=str(shot))
        print(f"5. the room: the teacher's page never counted {n} seeds (its page: {shot})")
        return False
    last = max(when for when, _what in finished_runs(log_path))
    box = teacher.locator('[data-testid="stMainBlockContainer"] img').first.bounding_box()
    bottom = None if box is None else box["y"] + box["height"]
    if bottom is None or bottom > VIEWPORT["height"]:
        print(f"5. the room: the teacher's paired figure is not entirely on the first screen (it ends at {bottom})")
        return False
    time.sleep(0.75 * window)  # the server's own idle work (the kept runs' open-set reports) ends first

    def share(seconds: float = window) -> float:
        cpu = cpu_seconds(pid)
        time.sleep(seconds)
        return (cpu_seconds(pid) - cpu) / seconds

    watching = share()
    teacher.close()
    alone = share()
    print(
        f"5. the room: the teacher's Room view counted all {n} seeds {counted - last:.1f} s after the last run "
        f"ended, with their open-set AUCs {aucs - last:.1f} s after it, its paired figure entirely on the first "
        f"screen (it ends at {bottom:.0f} px of {VIEWPORT['height']}); the server used {100 * watching:.1f}% of a "
        f"core while the page watched the room, {100 * alone:.1f}% once it was closed (the live pictures' budget: "
        "30%)"
    )
    return True


class PeakRSS:
    """The server's resident memory, sampled every 0.2 s in a thread: its peak."""

    def __init__(self, pid: int):
        self.pid, self.peak, self._stop = pid, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self):
        while not self._stop.wait(0.2):
            try:
                self.peak = max(self.peak, rss_mb(self.pid))
            except OSError:
                return

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=30, help="pages pressing Train at once (default: 30)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds a page may wait (default: 300)")
    parser.add_argument("--browsers", action="store_true", help="the class as Chromium pages, not agent API sessions")
    parser.add_argument("--no-room", action="store_true", help="no teacher's Room view open during the class (5)")
    parser.add_argument("--window", type=float, default=20.0, help="seconds of the server's CPU measured in 5")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    log_path = ROOT / "artifacts" / "bench_class.log"
    print(f"{args.students} students on {os.cpu_count()} CPU cores; the server's log: {log_path}")
    failed = False
    with serve_app(log_path, "--server.enableAgentApi", "true") as (url, server), sync_playwright() as p:
        memory = PeakRSS(server.pid)
        browser = chromium(p)

        page = browser.new_page(viewport=VIEWPORT)
        start = time.monotonic()
        page.goto(link(url, seed=1), wait_until="commit")
        psi = first_figure(page, 60)
        run = wait_for(page, SHOWN, 120)
        run = None if run is None else time.monotonic() - start
        print(
            f"1. fresh server, first page: ψ(θ) figure after {psi:.1f} s, the default run after {run:.1f} s"
            if psi is not None and run is not None
            else "1. fresh server: the first page never showed its run"
        )
        failed |= psi is None or run is None
        page.close()

        page = browser.new_page(viewport=VIEWPORT)
        start = time.monotonic()
        page.goto(link(url, seed=2, tab="Features"), wait_until="commit")
        single = wait_for(page, SHOWN, 120)
        pressed = None if single is None else press_train(page, seed=5, timeout=120)
        page.close()
        served = student(url, 6, 120)  # the same without a browser on the server's cores
        print(
            f"2. a compiled shape again (tab Features): a new page has its run {single:.1f} s after opening; "
            f"Train pressed on it with another seed, the new picture is drawn {pressed:.1f} s later; a session "
            f"without a browser has its run {served:.1f} s after asking"
            if None not in (single, pressed, served)
            else f"2. a compiled shape again: a run never came (new "
            f"page {single}, Train pressed {pressed}, without a browser {served})"
        )
        failed |= None in (single, pressed, served)

        heavy, normal = browser.new_page(viewport=VIEWPORT), browser.new_page(viewport=VIEWPORT)
        start = time.monotonic()
        heavy.goto(link(url, seed=3, **HEAVY), wait_until="commit")
        normal.goto(link(url, seed=4), wait_until="commit")
        refused, beside = wait_for(heavy, REFUSED, 30), wait_for(normal, SHOWN, 120)
        beside = None if beside is None else time.monotonic() - start
        heavy.close(), normal.close()
        served = refused_alone(url, 30)
        print(
            f"3. over the bound: refused after {refused:.1f} s; the default run opened beside it had its run "
            f"after {beside:.1f} s; a session without a browser is refused {served:.1f} s after asking"
            if None not in (refused, beside, served)
            else f"3. over the bound: refused {refused}, the run beside it {beside}, without a browser {served}"
        )
        failed |= None in (refused, beside, served)

        teacher = None if args.no_room else browser.new_page(viewport=VIEWPORT)  # 5. projected through the class
        if teacher is not None:
            teacher.goto(link(url, room=1, present=1), wait_until="commit")
            clear_room(teacher)
        seeds = [100 + i for i in range(args.students)]
        seen_runs = len(finished_runs(log_path))
        if args.browsers:
            shown = browser_students(browser, url, seeds, args.timeout)
        else:
            with concurrent.futures.ThreadPoolExecutor(len(seeds)) as pool:
                shown = list(pool.map(lambda seed: student(url, seed, args.timeout), seeds))
        peak = memory.stop()
        got = sorted(t for t in shown if t is not None)
        runs = [what for _, what in finished_runs(log_path)[seen_runs:]]
        finished = [line for line in log_path.read_text(errors="replace").splitlines() if "jobs: run finished" in line]
        together = [line for line in finished[seen_runs:] if "trained together" in line]
        who = "pages" if args.browsers else "students (agent API sessions, tab Features)"
        print(
            f"4. the class: {len(got)}/{len(seeds)} {who} have their own run; first after {got[0]:.1f} s, median "
            f"{got[len(got) // 2]:.1f} s, last after {got[-1]:.1f} s"
            if got
            else "4. the class: no run arrived"
        )
        if pressed:
            print(
                f"   the queue: {len(runs)} runs finished, {len(together)} of them trained together with others; "
                f"one at a time they would take about {args.students * pressed:.0f} s ({args.students} x Train to "
                "picture in step 2)"
            )
        print(f"   the server's peak resident memory over the whole benchmark: {peak:.0f} MB")
        failed |= len(got) < len(seeds)
        if teacher is not None:
            failed |= not room_report(teacher, server.pid, log_path, len(seeds), args.timeout, args.window)
        browser.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
