"""A room opening the teacher's link at once: do all the pages get the run, and how soon after it ends?

Starts a real `streamlit run app.py`, opens the same URL in N Chromium pages at the same moment (N browser sessions,
as N students would), and waits until every page shows the trained run ("models trained in", the summary that
replaces the progress bar). Prints, per round, when the run ended (from the server's log), how long after that the
first and the last page showed it, the server's CPU time while the room waited, and its resident memory.

    python benchmarks/bench_room.py [--pages 10] [--rounds 2] [--tab "Target logits"] [--timeout 180]

Each round uses a new seed, so the run trains afresh while the pages wait. Needs Debian's chromium and the test
requirements (`pip install -r requirements-dev.txt`).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time
import urllib.parse

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # run from a checkout, as the app is

from tests.browser import (
    ROOT,
    chromium,
    chromium_cpu_seconds,
    cpu_seconds,
    finished_runs,
    open_room,  # noqa: E402
    rss_mb,
    serve_app,
)

SHOWN = "models trained in"
ROW = "{:>5} {:>11} {:>10} {:>11} {:>10} {:>6} {:>11} {:>12} {:>8} {:>8}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=10, help="pages opened at once (default: 10)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds, each a new experiment (default: 2)")
    parser.add_argument(
        "--tab", default="Target logits", help="the tab in the link (default: Target logits, the app's first)"
    )
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds a page may take (default: 180)")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    log_path = ROOT / "artifacts" / "bench_room.log"
    print(
        f"{args.pages} pages at once on {os.cpu_count()} CPU cores, tab {args.tab!r}; "
        f"a page counts once it shows {SHOWN!r}"
    )
    print(
        ROW.format(
            "round",
            "run started",
            "run ended",
            "first page",
            "last page",
            "pages",
            "server CPU",
            "browser CPU",
            "RSS",
            "trained",
        )
    )
    worst = 0.0
    with serve_app(log_path) as (url, server), sync_playwright() as p:
        for r in range(args.rounds):
            browser = chromium(p)  # a fresh browser each round, as a new room would bring
            seen_runs = len(finished_runs(log_path))
            link = f"{url}/?{urllib.parse.urlencode({'seed': 100 + r, 'tab': args.tab})}"
            opened, cpu0, browser_cpu0 = time.time(), cpu_seconds(server.pid), chromium_cpu_seconds()
            shown = open_room(browser, link, args.pages, SHOWN, timeout=args.timeout)
            cpu = cpu_seconds(server.pid) - cpu0
            browser_cpu = sum(t - browser_cpu0.get(pid, 0.0) for pid, t in chromium_cpu_seconds().items())
            ours = f"seed {100 + r}"
            ends = [t for t, what in finished_runs(log_path)[seen_runs:] if what.endswith(ours)]
            starts = [t for t, what in finished_runs(log_path, "started") if what.endswith(ours)]
            got = [t for t in shown if t is not None]
            if not ends or not got:
                print(f"{r:>5} no run finished or no page showed it; see {log_path}")
                return 1
            end = ends[0]
            late = max(got) - end
            worst = max(worst, late)
            print(
                ROW.format(
                    r,
                    f"{starts[0] - opened:.1f}s",
                    f"{end - opened:.1f}s",
                    f"{min(got) - end:+.1f}s",
                    f"{late:+.1f}s",
                    f"{len(got)}/{args.pages}",
                    f"{cpu:.1f}s",
                    f"{browser_cpu:.1f}s",
                    f"{rss_mb(server.pid):.0f}MB",
                    f"{len(ends)}x",
                )
            )
            print("      each page after the run's end (s): " + " ".join(f"{t - end:+.1f}" for t in sorted(got)))
            if len(got) < args.pages:
                print(f"      {args.pages - len(got)} pages never showed the run within {args.timeout:.0f} s")
                return 1
            browser.close()
    print(
        "'run started/ended': from opening the pages (server log); 'first/last page': from the run's end to each "
        "page showing it;\n'server/browser CPU': CPU time of the server and of all the Chromium processes while the "
        "room waited;\n'trained': how many times the room's run trained.\n"
        f"Worst last page: {worst:.1f} s after its run ended."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
