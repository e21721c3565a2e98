"""The explorer in a real browser.

Starts ``govsim app scenarios/baseline.toml`` (as ``python -m sim.app``) on a
free 127.0.0.1 port, opens it in headless Chromium through playwright, checks
the controls (scenario picker, a switch for every mechanism), switches a
mechanism on, resets, steps, and checks that the status, the grid and both
plots change; then plays, closes the page and checks that the server stops
stepping the model. Saves a screenshot in the test's tmp dir and, when
``$GOVSIM_SCREENSHOT_DIR`` is set, there too. Fails on a failed request or a
script error in the page, and on a traceback or warning in the server's log.
A second test breaks the scenario file while the explorer runs: Reset keeps
working, a fresh page shows one message and can pick another scenario.

Needs the ``app`` and ``browser-test`` extras and Chromium
(``.ci/install-browser.sh``). Anything missing fails the test; see
``tests/app/conftest.py`` for the local-only skip switch.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from tests.app.conftest import chromium_executable, require_module
from tests.conftest import ROOT, SCENARIOS

SCREENSHOT_ENV = "GOVSIM_SCREENSHOT_DIR"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
START_TIMEOUT_S = 60
UI_TIMEOUT_MS = 30_000


def _wait_for_server(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the explorer exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}", pytrace=False)
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"the explorer did not answer at {url} within {START_TIMEOUT_S} s:\n{log.read_text(errors='replace')[-3000:]}", pytrace=False)


@dataclasses.dataclass
class Server:
    url: str
    pid: int


@contextlib.contextmanager
def _serve(scenario: Path, tmp_path: Path, env: dict[str, str] | None = None):
    """``govsim app SCENARIO`` on a free port (with ``env`` added); yields its Server.

    Fails if the server logs a traceback or a warning (a planner reads either
    as an error in govsim).
    """
    require_module("solara")
    from sim.app import free_port

    port = free_port()
    log = tmp_path / "explorer.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    env.pop("GOVSIM_APP_SCENARIO", None)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "sim.app", str(scenario), "--port", str(port)],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env,
        )
    try:
        url = f"http://127.0.0.1:{port}/"
        _wait_for_server(url, process, log)
        assert url in log.read_text(errors="replace"), "govsim app must print its address"
        yield Server(url, process.pid)  # govsim app execs the server: the same process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        errors = [line for line in log.read_text(errors="replace").splitlines()
                  if "Traceback" in line or "raised exception" in line or "Warning:" in line]
        assert not errors, f"the server logged errors or warnings:\n{log.read_text(errors='replace')[-4000:]}"


@pytest.fixture
def explorer_server(tmp_path):
    """``govsim app`` serving the baseline on a free port; yields its Server.

    Solara closes a session one second after its page is gone (not 30 s), so
    that the test sees the model stop soon.
    """
    with _serve(SCENARIOS / "baseline.toml", tmp_path, env={"SOLARA_KERNEL_CULL_TIMEOUT": "1s"}) as server:
        yield server


@contextlib.contextmanager
def _browser():
    """A page in headless Chromium, and what went wrong in it: failed requests,
    script errors and requests for assets Solara does not bundle (KaTeX)."""
    require_module("playwright")
    chromium = chromium_executable()
    from playwright.sync_api import sync_playwright

    problems: list[str] = []

    def response(r) -> None:
        if r.status >= 400:
            problems.append(f"HTTP {r.status} {r.url}")

    def request(r) -> None:
        if "/katex" in r.url:
            problems.append(f"requested {r.url}")

    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=chromium, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1300},
        )
        try:
            page = context.new_page()
            page.on("response", response)
            page.on("request", request)
            page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
            yield page, problems
        finally:
            context.close()


def _image(page, css: str) -> bytes:
    """The pixels of the figure inside the component marked ``css``."""
    image = page.locator(f"{css} img").first
    image.wait_for(state="visible", timeout=UI_TIMEOUT_MS)
    return image.screenshot(animations="disabled")


def _wait_for_change(page, css: str, before: bytes, what: str) -> bytes:
    deadline = time.monotonic() + UI_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        now = _image(page, css)
        if now != before:
            return now
        page.wait_for_timeout(200)
    pytest.fail(f"{what} did not change", pytrace=False)


def _save_screenshot(page, tmp_path: Path) -> Path:
    shot = tmp_path / "explorer.png"
    page.screenshot(path=str(shot), full_page=True)
    target = os.environ.get(SCREENSHOT_ENV)
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(target) / shot.name)
    return shot


def _cpu_seconds(pid: int) -> float | None:
    """CPU time the process has used so far (user + system), where /proc tells it."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_until_idle(pid: int, timeout_s: float = 20.0, window_s: float = 2.0) -> float | None:
    """The server's CPU use (cores) over the first quiet ``window_s`` within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        start, started = _cpu_seconds(pid), time.monotonic()
        if start is None:
            return None
        time.sleep(window_s)
        used = (_cpu_seconds(pid) - start) / (time.monotonic() - started)
        if used < 0.15 or time.monotonic() > deadline:
            return used


def test_explorer_in_browser(explorer_server, tmp_path):
    from playwright.sync_api import expect

    from sim.mechanisms import available

    mechanisms = list(available())
    toggled = "burden_reduction" if "burden_reduction" in mechanisms else mechanisms[0]
    timings: dict[str, float] = {}
    with _browser() as (page, problems):
        started = time.monotonic()
        page.goto(explorer_server.url + "?solara-no-close-beacon")  # no close message on unload: see the end
        status = page.locator(".govsim-status")
        expect(status).to_contain_text("Day 0", timeout=60_000)
        grid0, part0, res0 = (_image(page, c) for c in (".govsim-grid", ".govsim-plot-participation", ".govsim-plot-resolution"))
        timings["page_load_s"] = time.monotonic() - started
        expect(status).to_contain_text("Mechanisms on: none")
        # Every slider shows its value, not only while dragged (the baseline has 6,000 residents).
        residents = page.locator(".v-navigation-drawer .v-slider__thumb-label").filter(has_text=re.compile(r"^\s*6000\s*$"))
        expect(residents).to_be_visible()

        # Controls: every scenario file can be picked, every mechanism has a switch.
        sidebar = page.locator(".v-navigation-drawer")
        for name in mechanisms:
            expect(sidebar.get_by_text(re.compile(rf"\b{name}\b"))).to_have_count(1)
        page.locator(".govsim-scenario .v-select").first.click()
        menu = page.locator(".v-menu__content.menuable__content__active")
        for _ in range(10):  # Vuetify renders a long list 20 items at a time, more on scrolling
            menu.evaluate("el => { el.scrollTop = el.scrollHeight; }")
            page.wait_for_timeout(100)
        for scenario in sorted(SCENARIOS.glob("*.toml")):
            expect(menu.get_by_text(scenario.stem, exact=True)).to_have_count(1)
        page.keyboard.press("Escape")

        # Switch a mechanism on; it applies on Reset, as every Mesa model parameter does.
        sidebar.get_by_text(re.compile(rf"\b{toggled}\b")).click()
        page.get_by_role("button", name="Reset").click()
        expect(status).to_contain_text(f"Mechanisms on: {toggled}", timeout=UI_TIMEOUT_MS)

        # Step: the day counter, the grid and both plots change.
        step = page.get_by_role("button", name="Step")
        for day in (1, 2, 3):
            clicked = time.monotonic()
            step.click()
            expect(status).to_contain_text(f"Day {day}", timeout=UI_TIMEOUT_MS)
            timings[f"step_{day}_s"] = time.monotonic() - clicked
        _wait_for_change(page, ".govsim-grid", grid0, "the grid")
        _wait_for_change(page, ".govsim-plot-participation", part0, "the participation plot")
        _wait_for_change(page, ".govsim-plot-resolution", res0, "the resolution plot")

        # Another layer redraws the grid.
        grid3 = _image(page, ".govsim-grid")
        page.locator(".govsim-scenario .v-select").nth(1).click()
        page.locator(".v-menu__content.menuable__content__active").get_by_text("Open problems", exact=True).click()
        _wait_for_change(page, ".govsim-grid", grid3, "the grid after picking another layer")
        page.get_by_role("button", name="Step").click()
        expect(status).to_contain_text("Day 4", timeout=UI_TIMEOUT_MS)
        page.wait_for_timeout(500)
        shot = _save_screenshot(page, tmp_path)

        # Play, then close the page: the server stops stepping the model. The page
        # sends no message on unload (as a killed browser or a sleeping machine does
        # not): Solara closes the session when its cull timeout is up (1 s here).
        page.get_by_role("button", name="▶").click()
        expect(status).to_contain_text("Day 6", timeout=UI_TIMEOUT_MS)
        page.close(run_before_unload=True)
        busy = _wait_until_idle(explorer_server.pid)
    assert not problems, "the page had problems:\n" + "\n".join(problems)
    assert busy is None or busy < 0.15, f"the server still uses {busy:.0%} of a core after its page closed"
    print(f"\nexplorer screenshot: {shot}\nexplorer timings: {json.dumps({k: round(v, 2) for k, v in timings.items()})}")
    assert shot.stat().st_size > 10_000


def test_a_broken_scenario_file_gives_a_message_not_a_traceback(tmp_path):
    """A scenario file edited into an invalid state while the explorer runs:
    Reset keeps working with the scenario as loaded; a fresh page shows one
    message, keeps the sidebar and can switch to another scenario."""
    from playwright.sync_api import expect

    mine = tmp_path / "mine.toml"
    mine.write_text(f'extends = "{(SCENARIOS / "baseline.toml").as_posix()}"\nname = "mine"\n')
    with _serve(mine, tmp_path) as server, _browser() as (page, problems):
        page.goto(server.url)
        status = page.locator(".govsim-status")
        expect(status).to_contain_text("Day 0", timeout=60_000)
        page.get_by_role("button", name="Step").click()
        expect(status).to_contain_text("Day 1", timeout=UI_TIMEOUT_MS)

        mine.write_text("[gridworkers\nadmin_share = 0.2\n")
        page.locator(".v-navigation-drawer").get_by_text(re.compile(r"\bburden_reduction\b")).click()
        page.get_by_role("button", name="Reset").click()
        expect(status).to_contain_text("Mechanisms on: burden_reduction", timeout=UI_TIMEOUT_MS)
        expect(status).to_contain_text("Day 0")

        page.reload()
        error = page.locator(".govsim-error")
        expect(error).to_contain_text("not valid TOML", timeout=60_000)
        expect(error).to_contain_text("mine.toml")
        assert "Traceback" not in page.locator("body").inner_text()
        page.locator(".govsim-scenario .v-select").first.click()
        page.locator(".v-menu__content.menuable__content__active").get_by_text("baseline", exact=True).click()
        expect(status).to_contain_text("Scenario: baseline", timeout=60_000)
        page.screenshot(path=str(tmp_path / "broken.png"), full_page=True)
    assert not problems, "the page had problems:\n" + "\n".join(problems)
