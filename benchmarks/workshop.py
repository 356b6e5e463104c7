"""The planner's and the workshop's speed: what a planner waits after a change, the frames a
second the workshop can draw, and, in a real browser, what a room sees.

    .venv/bin/python benchmarks/workshop.py [--days 365] [--repeat 5] [--browser] [--out FILE]

- planner: seconds from a control change to the new figure (every arrangement run again on the
  same issues, the ledger table and the dashboard drawn), a year of the seed's district, one and
  three replications. In the notebook a drag waits `debounce` (0.4 s) after the last movement first.
- workshop, kernel side: milliseconds to build one frame (the SVG of every arrangement's map,
  the clock and the counters) while playing the seed's week, the frames a second that allows, and
  the bytes each frame sends to the browser.
- workshop, in the browser (--browser: Debian's chromium and chromium-driver): the app served as
  `make workshop` serves it; seconds from starting the server to the first live page, frames a
  second while playing at full speed (counted in the page as the clock changes), and the memory
  of one visitor's kernel.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def planner(days: float = 365, repeat: int = 5) -> dict:
    """Seconds from a control change to a new figure, best and median of `repeat` changes."""
    from streetchief.widgets import Planner

    out = {}
    for replications in (1, 3):
        p = Planner(days=days, display_figure=False, folder=ROOT / "results" / "bench_planner")
        p.replications.value = replications
        crews = p.crews["sanitation"]
        times = []
        for k in range(repeat):
            before = p.image.value
            t0 = time.perf_counter()
            crews.value = crews.value + (1 if k % 2 == 0 else -1)  # runs and redraws at once
            times.append(time.perf_counter() - t0)
            assert p.image.value != before
        out[f"replications_{replications}"] = {
            "best_s": min(times),
            "median_s": statistics.median(times),
        }
    out["days"] = days
    return out


def workshop_frames(step_hours: float = 0.5) -> dict:
    """Kernel-side frame time while playing the whole replay, `step_hours` a frame."""
    from streetchief.workshop import Workshop

    w = Workshop()
    w.reset()
    times, sizes = [], []
    while w.t < w.end:
        t0 = time.perf_counter()
        w.advance(step_hours)
        times.append(time.perf_counter() - t0)
        sizes.append(len(w.view.value.encode()) + len(w.story.value.encode()))
    ms = 1000 * statistics.median(times)
    return {
        "frames": len(times),
        "frame_ms_median": ms,
        "frame_ms_p95": 1000 * sorted(times)[int(0.95 * len(times))],
        "frames_per_s_possible": 1000 / ms,
        "frame_kib_median": statistics.median(sizes) / 1024,
    }


FPS_JS = """
window.scFrames = [];
const seen = () => { const v = document.querySelector('.sc-view');
  const t = v && v.dataset.t; const f = window.scFrames;
  if (t && (!f.length || f[f.length - 1][1] !== t)) f.push([performance.now(), t]); };
new MutationObserver(seen).observe(document.body, {subtree: true, childList: true});
"""


def headless_chromium(width: int = 1280, height: int = 720):
    """Debian's chromium, headless, at a projector's size: the browser both app benchmarks drive."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium")
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", f"--window-size={width},{height}"):
        opts.add_argument(a)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)


def wait_for_server(server, port: int, seconds: float = 120) -> None:
    """Until the server answers on `port`; an error if it exits or takes longer."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with code {server.returncode} before answering")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the server did not answer on port {port} within {seconds:.0f} s")


def browser_playback() -> dict:
    """The app as `make workshop` serves it, in headless Chromium: start-up, frames a second
    while playing the whole replay at full speed, one visitor's kernel memory."""
    import psutil
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.perf_counter()
    server = subprocess.Popen(  # as make workshop serves it; -o: never rebuild .venv meanwhile
        ["make", "--no-print-directory", "-o", ".venv/.installed", "workshop", f"PORT={port}"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHON": sys.executable},
        start_new_session=True,
    )
    b = None
    try:
        b = headless_chromium()
        wait_for_server(server, port)
        b.get(f"http://127.0.0.1:{port}/")
        wait = WebDriverWait(b, 120, poll_frequency=0.05)
        wait.until(lambda d: d.find_elements(By.XPATH, "//button[contains(., '播放')]"))
        first_page = time.perf_counter() - t0
        readout = b.find_element(By.CSS_SELECTOR, ".sc-app .widget-slider .widget-readout")
        readout.click()
        readout.send_keys(Keys.CONTROL, "a")
        readout.send_keys("48", Keys.ENTER)
        wait.until(lambda d: readout.text == "48")
        b.execute_script(FPS_JS)
        play = b.find_element(By.XPATH, "//button[contains(., '播放')]")
        b.execute_script("arguments[0].click()", play)
        clock = "return document.querySelector('.sc-clock').textContent"
        wait.until(lambda d: "回放结束" in d.execute_script(clock))
        frames = b.execute_script("return window.scFrames")
        seconds = (frames[-1][0] - frames[0][0]) / 1000
        voila = psutil.Process(server.pid).children()[0]
        kernels = [
            p for p in voila.children(recursive=True) if "ipykernel" in " ".join(p.cmdline())
        ]
        return {
            "server_start_to_live_page_s": first_page,
            "frames": len(frames),
            "play_seconds": seconds,
            "frames_per_s_in_browser": (len(frames) - 1) / seconds,
            "kernel_rss_mib": sum(k.memory_info().rss for k in kernels) / 2**20,
            "server_rss_mib": voila.memory_info().rss / 2**20,
        }
    finally:
        if b is not None:
            b.quit()
        os.killpg(server.pid, 15)
        server.wait(timeout=30)


def run(days: float = 365, repeat: int = 5, browser: bool = False) -> dict:
    out = {"planner": planner(days, repeat), "workshop": workshop_frames()}
    if browser and shutil.which("chromium") and shutil.which("chromedriver"):
        out["workshop_in_browser"] = browser_playback()
    return out


def report(r: dict) -> None:
    p = r["planner"]
    for k in ("replications_1", "replications_3"):
        print(
            f"planner, {p['days']:g} days, {k.replace('_', ' ')}: change → new figure "
            f"{p[k]['median_s']:.2f} s (median; best {p[k]['best_s']:.2f} s)"
        )
    w = r["workshop"]
    print(
        f"workshop frame (kernel side): {w['frame_ms_median']:.1f} ms median, "
        f"{w['frame_ms_p95']:.1f} ms p95 → up to {w['frames_per_s_possible']:.0f} frames/s; "
        f"{w['frame_kib_median']:.0f} KiB a frame"
    )
    if "workshop_in_browser" in r:
        b = r["workshop_in_browser"]
        print(
            f"workshop in Chromium: live page {b['server_start_to_live_page_s']:.1f} s after the "
            f"server starts; {b['frames_per_s_in_browser']:.1f} frames/s over "
            f"{b['play_seconds']:.1f} s of play; a visitor's kernel {b['kernel_rss_mib']:.0f} MiB, "
            f"the server {b['server_rss_mib']:.0f} MiB"
        )


def main():
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--days", type=float, default=365)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--browser", action="store_true")
    p.add_argument("--out", type=Path)
    args = p.parse_args()
    r = run(args.days, args.repeat, args.browser)
    report(r)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(r, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
