"""The Live page in a real Chromium: `alignment app` serves, a fake camera plays a session clip
(Janu Sirsasana, left leg extended, then the same mirrored), and the page shows the cue, the hold
timer and the frame counter; the cue is handed to the browser's speech synthesis; STOP gives
the summary. No STUN/TURN server: everything runs on the loopback address.

Screenshots go to artifacts/ (git-ignored); a crop of the cue/timer panel, which does not show
the third-party photo, is saved too (docs/app/live_panel.png was copied from it).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from shared_paths import ROOT, SHARED

MODELS = SHARED / "models"
JANU = SHARED / "samples" / "images" / "janu" / "y82ukr_30.jpg"
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts"
CUE = "Lengthen your spine"

pytestmark = [pytest.mark.browser, pytest.mark.shared, pytest.mark.slow]

# Records what the page asks the browser to say (headless Chromium has no voices anyway).
RECORD_SPEECH = """
(() => {
  window.__spoken = [];
  const synth = window.speechSynthesis || (window.speechSynthesis = {cancel() {}});
  synth.speak = (utterance) => { window.__spoken.push(utterance.text); };
  synth.cancel = () => {};
})();
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_serving(url: str, proc: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the app exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(f"the app did not serve within {timeout:.0f} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def requirements() -> None:
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    if not (JANU.is_file() and (MODELS / "pose_landmarker_full.task").is_file()):
        pytest.skip(f"needs the shared photos and models in {SHARED} (not present)")


@pytest.fixture(scope="module")
def camera_clip(requirements: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the fake camera plays (in a loop): 8 s with the left leg extended, 8 s mirrored."""
    from alignment.io.clips import Shot, build_clip

    clip = tmp_path_factory.mktemp("camera") / "session.y4m"
    build_clip([Shot(JANU, 8), Shot(JANU, 8, mirror=True)], clip, fps=30, size=(640, 480))
    return clip


@pytest.fixture(scope="module")
def app_url(requirements: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`alignment app` on a free loopback port; stopped (and checked for errors) afterwards."""
    port = _free_port()
    log = tmp_path_factory.mktemp("app") / "app.log"
    env = {**os.environ, "ALIGNMENT_MODEL": str(MODELS), "GLOG_minloglevel": "2"}
    env.pop("ALIGNMENT_ICE_SERVERS", None)  # no STUN/TURN
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "alignment.cli.main",
                "app",
                "--port",
                str(port),
                "--address",
                "127.0.0.1",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, proc, log, timeout=60)
        yield url
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # `alignment app` passes it on to streamlit
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copy(log, ARTIFACTS / "browser_app.log")
    text = log.read_text(errors="replace")
    assert "Traceback" not in text, text  # nothing failed, not even at exit


def _page_text(page) -> str:  # noqa: ANN001 - playwright Page
    return page.inner_text("body")


def _wait_for(page, predicate, timeout: float, what: str) -> re.Match | bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate(_page_text(page))
        if found:
            return found
        page.wait_for_timeout(250)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "browser_live_failed.png"), full_page=True)
    pytest.fail(
        f"{what} did not appear within {timeout:.0f} s; the page says:\n" + _page_text(page)
    )


def _live_state(text: str) -> re.Match | None:
    """The cue, a non-zero left-leg hold and a frame count > 0, all on the page."""
    frames = re.search(r"frames analysed: (\d+)", text)
    hold = re.search(r"Left leg extended: hold\s+(\d+) s", text)
    if frames and int(frames.group(1)) > 0 and hold and int(hold.group(1)) > 0 and CUE in text:
        return frames
    return None


QUIET_CHROMIUM = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _open_live_page(browser, app_url: str):  # noqa: ANN001, ANN202 - playwright objects
    """The Live page (the app's default page), fully rendered, at the default level."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.add_init_script(RECORD_SPEECH)
    page.goto(app_url, wait_until="domcontentloaded")
    page.get_by_role("heading", name="Live").wait_for(timeout=30_000)
    webrtc = page.frame_locator("iframe[title*='webrtc_streamer']")
    webrtc.get_by_role("button", name=re.compile(r"^start$", re.I)).wait_for(timeout=30_000)
    page.locator("[data-testid='stStatusWidget']").wait_for(state="detached", timeout=30_000)
    assert "level: standard" in _page_text(page)  # the cues below are those of this level
    return page, webrtc


def test_live_page_in_chromium(app_url: str, camera_clip: Path) -> None:
    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={camera_clip}",
                *QUIET_CHROMIUM,
            ],
        )
        try:
            page, webrtc = _open_live_page(browser, app_url)
            webrtc.get_by_role("button", name=re.compile(r"^start$", re.I)).click(timeout=30_000)

            live = _wait_for(page, _live_state, 60, "the cue, the hold timer and frames")
            page.wait_for_timeout(1500)  # a little more hold time for the screenshots
            text = _page_text(page)
            assert CUE in text and "Left leg extended: hold" in text
            frames = int(re.findall(r"frames analysed: (\d+)", text)[-1])
            assert frames >= int(live.group(1)) > 0
            spoken = page.evaluate("window.__spoken")
            assert any(CUE in said for said in spoken), spoken
            # Spoken only when the cue changes, not at every poll of the page.
            assert all(a != b for a, b in zip(spoken, spoken[1:], strict=False)), spoken

            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "browser_live.png"), full_page=True)
            # The cue/timer panel alone (not the video, a third-party photo): the picture that
            # docs/app/live_panel.png in the README was copied from. Tests never write docs/.
            page.locator(".st-key-live_panel").screenshot(path=str(ARTIFACTS / "live_panel.png"))

            # The summary on demand, while the stream goes on.
            page.get_by_role("button", name="Show the session summary").click()
            _wait_for(page, lambda t: "Session summary so far" in t, 30, "the summary so far")

            # STOP: the stream ends, the detector is released, the summary stays.
            webrtc.get_by_role("button", name=re.compile(r"^stop$", re.I)).click()
            summary = _wait_for(
                page,
                lambda t: re.search(
                    r"Session summary\n.*?Left leg extended: held\s+"
                    r"([\d.]+) s",
                    t,
                    re.S,
                ),
                30,
                "the final summary",
            )
            assert float(summary.group(1)) > 0
            # The run after STOP ends (the page is not stuck in the live loop).
            page.locator("[data-testid='stStatusWidget']").wait_for(
                state="detached", timeout=30_000
            )
            page.screenshot(path=str(ARTIFACTS / "browser_live_stopped.png"), full_page=True)
        finally:
            browser.close()
    elapsed = time.monotonic() - started
    print(f"browser test: {elapsed:.1f} s, {frames} frames analysed when checked, spoken: {spoken}")


def test_refused_camera_is_explained(app_url: str) -> None:
    """No permission for the camera: the page says what to do."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--use-fake-device-for-media-stream",
                "--deny-permission-prompts",
                *QUIET_CHROMIUM,
            ],
        )
        try:
            page, webrtc = _open_live_page(browser, app_url)
            webrtc.get_by_role("button", name=re.compile(r"^start$", re.I)).click(timeout=30_000)
            webrtc.get_by_text("NotAllowedError").wait_for(timeout=30_000)
            text = _page_text(page)
            assert "allow the camera for this page" in text
            assert "https://" in text and "frames analysed" not in text
        finally:
            browser.close()
