"""The workshop app in a real browser: `make workshop`'s server, headless Chromium, Selenium."""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="no browser: install Debian's chromium and chromium-driver (`apt-get install chromium "
    "chromium-driver`, as .ci/run does) to run the workshop end-to-end test",
)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _other_addresses() -> set[str]:
    """This machine's non-loopback IPv4 addresses: the hostname's and the one packets leave by."""
    out = {a[4][0] for a in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))  # no packet is sent: this only picks the interface
            out.add(s.getsockname()[0])
        except OSError:
            pass
    return {a for a in out if not a.startswith("127.")}


@pytest.mark.slow
def test_workshop_app_plays_and_steps_in_a_browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    port = _free_port()
    server = subprocess.Popen(
        ["make", "--no-print-directory", "workshop", f"PORT={port}"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHON": sys.executable},
        start_new_session=True,
    )
    try:
        address = None
        deadline = time.time() + 120
        while time.time() < deadline and address is None:
            line = server.stdout.readline()
            if "http://127.0.0.1:" in line:
                address = line[line.index("http://") :].split()[0]
        assert address == f"http://127.0.0.1:{port}/", address
        import urllib.request

        while time.time() < deadline:  # the server answers once the app is ready
            try:
                urllib.request.urlopen(address, timeout=5).read(100)
                break
            except OSError:
                time.sleep(0.5)
        # bound to localhost only: the machine's other addresses do not answer
        for ip in _other_addresses():
            with socket.socket() as s, pytest.raises(OSError):
                s.settimeout(2)
                s.connect((ip, port))
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1100"):
            opts.add_argument(a)
        browser = webdriver.Chrome(service=Service(DRIVER), options=opts)
        try:
            browser.get(address)
            wait = WebDriverWait(browser, 180)
            wait.until(
                EC.element_to_be_clickable((By.XPATH, "//button[contains(., 'Step')]"))
            )  # the app is up
            from selenium.common.exceptions import (
                NoSuchElementException,
                StaleElementReferenceException,
            )

            def text_of(xpath):  # widgets re-render: read again if the element was just replaced
                for _ in range(20):
                    try:
                        return browser.find_element(By.XPATH, xpath).text
                    except (StaleElementReferenceException, NoSuchElementException):
                        time.sleep(0.1)
                raise AssertionError(f"no element {xpath}")

            def clock():
                return text_of("//h3[contains(., '2019')]")

            def counters():
                return text_of("//table[contains(., 'resolved')]")

            c0, n0 = clock(), counters()
            for _ in range(8):
                wait.until(
                    EC.element_to_be_clickable((By.XPATH, "//button[contains(., 'Step')]"))
                ).click()
                time.sleep(0.3)
            wait.until(lambda b: clock() != c0)
            assert counters() != n0
            c1 = clock()
            play = browser.find_element(
                By.CSS_SELECTOR, ".widget-play button, button[title='Play']"
            )
            play.click()
            wait.until(lambda b: clock() != c1)
            page = browser.page_source
            assert "Traceback" not in page and "Error" not in browser.title
            out = ROOT / "results" / "workshop"
            out.mkdir(parents=True, exist_ok=True)
            browser.save_screenshot(str(out / "workshop_e2e.png"))
        finally:
            browser.quit()
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
