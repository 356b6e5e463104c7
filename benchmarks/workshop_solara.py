"""The workshop's view served by Solara (Mesa's SolaraViz runs on it) instead of Voilà, for the
choice the README explains: the same SVG frames, Play and Reset, measured the same way.

    .venv/bin/pip install solara==1.58.2 solara-ui==1.58.2 solara-server==1.58.2 \
        solara-assets==1.58.2             # not dependencies of the project
    .venv/bin/python benchmarks/workshop_solara.py [--visitors 4] [--out FILE]

Offline, Solara's page loads its front end through the server's CDN proxy, which serves it from
`solara-assets` when that package holds the very versions asked for, else fetches it from a CDN:
solara 1.64.1 with the newest solara-assets (1.58.2) draws nothing without the internet, hence
the pins above.

Measures: seconds from starting `solara run` to a live page, frames a second while playing the
whole replay at 48 simulated hours a second, the server's memory with one visitor and with
`--visitors` pages open (Solara keeps every visitor in the one server process), and what the page
asks of other hosts (offline operation). `benchmarks/workshop.py --browser` measures Voilà.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()

try:  # the app itself, when `solara run` loads this file
    import threading

    import solara

    from streetchief.workshop import PAGE_CSS, Workshop, font_face_css

    @solara.component
    def Page():
        w = solara.use_memo(Workshop, [])  # one per visitor, as a Voilà kernel holds one
        t, set_t = solara.use_state(w.t)
        playing, set_playing = solara.use_state(False)

        def loop():
            if not playing:
                return None
            stop = threading.Event()

            def run():
                period = 1 / w.fps
                while not stop.is_set() and w.t < w.end:
                    w.advance(48 * period)
                    set_t(w.t)
                    time.sleep(period)
                set_playing(False)

            threading.Thread(target=run, daemon=True).start()
            return stop.set

        solara.use_effect(loop, [playing])

        def reset():
            w.reset()
            set_t(w.t)

        solara.Style(font_face_css() + PAGE_CSS)
        with solara.Row():
            solara.Button("↺ 重置", on_click=reset)
            solara.Button("▶ 播放", on_click=lambda: set_playing(True), disabled=playing)
        solara.HTML(tag="div", unsafe_innerHTML=w.view.value)

except ImportError:  # measuring needs only selenium and psutil
    pass


FPS_JS = """
window.scFrames = [];
const seen = () => { const v = document.querySelector('.sc-view');
  const t = v && v.dataset.t; const f = window.scFrames;
  if (t && (!f.length || f[f.length - 1][1] !== t)) f.push([performance.now(), t]); };
new MutationObserver(seen).observe(document.body, {subtree: true, childList: true,
  attributes: true, characterData: true});
"""


def measure(visitors: int = 4) -> dict:
    import psutil
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    solara_bin = Path(sys.executable).parent / "solara"
    t0 = time.perf_counter()
    server = subprocess.Popen(
        [str(solara_bin), "run", str(HERE), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"},
        start_new_session=True,
    )
    from workshop import headless_chromium, wait_for_server  # benchmarks/workshop.py, beside

    browser = None
    url = f"http://127.0.0.1:{port}/"

    def rss():
        p = psutil.Process(server.pid)
        return sum(q.memory_info().rss for q in [p, *p.children(recursive=True)]) / 2**20

    try:
        browser = headless_chromium()
        wait_for_server(server, port)
        browser.get(url)
        wait = WebDriverWait(browser, 120, poll_frequency=0.05)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".sc-clock"))
        live = time.perf_counter() - t0
        time.sleep(1)
        one = rss()
        browser.execute_script(FPS_JS)
        play = browser.find_element(By.XPATH, "//button[contains(., '播放')]")
        browser.execute_script("arguments[0].click()", play)
        clock = "return document.querySelector('.sc-clock').textContent"
        wait.until(lambda d: "回放结束" in d.execute_script(clock))
        frames = browser.execute_script("return window.scFrames")
        seconds = (frames[-1][0] - frames[0][0]) / 1000
        outside = browser.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
            ".filter(u => !u.startsWith(location.origin) && !u.startsWith('data:'))"
        )
        cdn = browser.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
            ".filter(u => u.includes('/cdn/'))"
        )
        for _ in range(visitors - 1):  # more visitors, each in its own tab, all open
            browser.switch_to.new_window("tab")
            browser.get(url)
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".sc-clock"))
        time.sleep(1)
        many = rss()
        return {
            "server_start_to_live_page_s": live,
            "frames_per_s_in_browser": (len(frames) - 1) / seconds,
            "play_seconds": seconds,
            "server_rss_one_visitor_mib": one,
            f"server_rss_{visitors}_visitors_mib": many,
            "mib_per_extra_visitor": (many - one) / max(1, visitors - 1),
            "requests_to_other_hosts": outside,
            "requests_through_solara_cdn_proxy": len(cdn),
        }
    finally:
        if browser is not None:
            browser.quit()
        os.killpg(server.pid, 15)
        server.wait(timeout=30)


def main():
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--visitors", type=int, default=4)
    p.add_argument("--out", type=Path)
    args = p.parse_args()
    r = measure(args.visitors)
    print(json.dumps(r, indent=2))
    if args.out:
        args.out.write_text(json.dumps(r, indent=2), encoding="utf-8")


if __name__ == "__main__" and Path(sys.argv[0]).name != "solara":  # solara runs it as __main__
    main()
