"""Live page: the camera through streamlit-webrtc, analysed as it comes, with spoken cues.

The only module that imports streamlit_webrtc. The frame callback (`LiveSession.process`)
runs in the WebRTC worker thread and never touches `st.*`; it returns each frame at once with
the last verdict drawn, while the session's own thread analyses the newest frame.

The page's script run ends as soon as the page is drawn: while a stream plays, only the panel
beside the video is redrawn, twice a second (a fragment), from the session's snapshot. So
stale elements never linger (one rate readout; a new START starts with a clean page), and
nothing on the page waits on a script that Streamlit's own "Stop" could interrupt.

A small browser-side helper (a components-v2 component, no iframe) does what only the browser
can: it speaks (Web Speech API, one utterance at a time, each one to its end, as
`present.speech.SpeechPlanner` decides), remembers whether to speak (localStorage), and reads a
refused or missing camera off the WebRTC player so the page can say how to fix it.
"""

from __future__ import annotations

import html
import time

import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from alignment.app import common, journal_ui
from alignment.core.rules import PoseRules
from alignment.estimators.presets import LIVE_QUALITY, open_estimator
from alignment.pipeline.live import LiveSession, LiveSnapshot
from alignment.present.speech import SpeechPlanner
from alignment.present.style import STATUS_MARKDOWN_COLOURS
from alignment.present.words import how_many, score_text, status_label

SESSION_KEY = "live_session"
SPEAK_PREF = "live_speak"  # the remembered choice (outlives the widget)
SPEAK_WIDGET = "live_speak_toggle"  # + a generation: a new toggle when the stored choice comes
SPEAK_GENERATION = "live_speak_generation"
REMEMBER_KEY = "live_speak_remember"  # a new choice for the browser to store
PLANNER_KEY = "live_speech"  # (SpeechPlanner, the stream it plans for)
HELPER_KEY = "live_helper"
STREAMING_KEY, LEFT_KEY = common.LIVE_STREAMING_KEY, common.LIVE_LEFT_KEY
CAMERA_KEY = "live_camera_problem"
SUMMARY_SHOWN_KEY = "live_summary_shown"  # (stream, frames) of the summary on the page
SUMMARY_ASKED_KEY = "live_summary_asked"  # the stopped stream a whole-page run was asked for
WHOLE_PAGE_KEY = "live_whole_page"  # True while the page's own run draws the panel
POLL_S = 0.5
HOLD_HELP = (
    "Seconds in the pose on this side, counted the way the session summary counts them: "
    "a brief moment of doubt inside the hold counts, a moment out of the pose does not."
)
LEAVING_NOTE = "Leaving this page (or closing it) ends the session."

# What the WebRTC player reports when the browser gives no camera, and what to do about it.
CAMERA_PROBLEMS = {
    "NotAllowedError": (
        "The browser did not let this page use the camera.",
        "Allow the camera for this page: click the camera (or lock) icon in the address bar "
        "and choose Allow, or check the site settings. Then press START again.",
    ),
    "SecurityError": (
        "The browser blocked the camera for this page.",
        "Cameras work only on pages served over https:// or from localhost. Open the app "
        "that way (see the README: serving the app to another machine), then press START.",
    ),
    "insecure": (
        "This browser offers no camera to this page: it is not served over https://.",
        "Cameras work only on pages served over https:// or from localhost. Open the app "
        "that way (see the README: serving the app to another machine).",
    ),
    "NotFoundError": (
        "No camera was found.",
        "Plug one in (or switch it on), then press START again.",
    ),
    "OverconstrainedError": (
        "The camera cannot give the picture asked for.",
        "Choose another camera with SELECT DEVICE, then press START again.",
    ),
    "NotReadableError": (
        "The camera is busy or failed to start.",
        "Close any other program or browser tab using it, then press START again.",
    ),
}
OTHER_CAMERA_PROBLEM = (
    "The camera did not start.",
    "Check that it is connected and allowed for this page, then press START again.",
)
TRANSLATIONS = {
    "device_access_denied": "Camera access was refused. Allow the camera for this page (the "
    "camera icon in the address bar) and press START again.",
    "media_api_not_available": "This browser cannot open a camera here: cameras need a page "
    "served over https:// (or from localhost).",
    "device_not_available": "No camera found. Plug one in, or close the program using it.",
}

HELPER_JS = r"""
export default function (component) {
  const { data, setStateValue } = component;
  const live = window.__alignmentLive || (window.__alignmentLive = {
    handled: 0, speaking: null, enabledBefore: null, camera: undefined, askedStored: false,
  });
  live.set = setStateValue;
  const synth = window.speechSynthesis;
  const enabled = !!(data && data.speak);

  // The choice to speak, remembered by this browser.
  try {
    if (data && data.remember !== null && data.remember !== undefined) {
      localStorage.setItem("alignment.speak", data.remember ? "1" : "0");
    } else if (data && data.ask && !live.askedStored) {
      live.askedStored = true;
      const stored = localStorage.getItem("alignment.speak");
      if (stored !== null) setStateValue("stored", stored === "1");
    }
  } catch (e) { /* no storage: not remembered */ }

  // Speech off while something is being said: stop it (the user asked for silence).
  if (live.enabledBefore && !enabled && synth && live.speaking !== null) synth.cancel();
  live.enabledBefore = enabled;

  // One utterance at a time, each one to its end.
  const say = data && data.say;
  if (say && say.id > live.handled) {
    live.handled = say.id;
    const done = () => {
      if (live.speaking === say.id) live.speaking = null;
      live.set("done", say.id);
    };
    if (!enabled || !synth || synth.speaking || synth.pending) {
      done();  // not said; the planner moves on
    } else {
      const utterance = new SpeechSynthesisUtterance(say.text);
      utterance.onend = done;
      utterance.onerror = done;
      live.speaking = say.id;
      synth.speak(utterance);
    }
  }

  // A refused or missing camera: the WebRTC player shows the browser's error name.
  if (!live.watch) {
    const report = (problem) => {
      if (problem !== live.camera) { live.camera = problem; live.set("camera", problem); }
    };
    const check = () => {
      if (!window.isSecureContext || !navigator.mediaDevices) { report("insecure"); return; }
      let problem = null;
      for (const frame of document.querySelectorAll('iframe[title*="webrtc_streamer"]')) {
        let text = "";
        try { text = frame.contentDocument.body.innerText || ""; } catch (e) { continue; }
        const found = text.match(
          /\b(NotAllowedError|NotFoundError|NotReadableError|OverconstrainedError|SecurityError|AbortError|TypeError)\b[^\n]*/);
        if (found) problem = found[0];
      }
      report(problem);
    };
    live.watch = setInterval(check, 500);
    check();
  }
}
"""

_helper = st.components.v2.component("alignment_live_helper", js=HELPER_JS)

STYLE = """
<style>
.st-key-live_cue p { font-size: 2.1rem; font-weight: 650; line-height: 1.22; margin: 0.1rem 0; }
@media (max-width: 700px) {
  /* A phone: the panel (cue, timers) above the video and compact, so that both fit on the
     screen; the rows inside the panel stay rows. */
  div[data-testid="stColumn"]:has(.st-key-live_panel) { order: -1; }
  .st-key-live_panel div[data-testid="stHorizontalBlock"] { flex-wrap: nowrap; gap: 0.75rem; }
  .st-key-live_panel div[data-testid="stHorizontalBlock"] > div[data-testid="stColumn"] {
    width: auto; flex: 1 1 0; min-width: 0;
  }
  .st-key-live_cue p { font-size: 1.3rem; line-height: 1.2; }
  .st-key-live_panel [data-testid="stMetricValue"] { font-size: 1.5rem; }
  .st-key-live_panel [data-testid="stMetricLabel"] p { font-size: 0.8rem; }
  .st-key-live_speed { display: none; }
  h1 { font-size: 1.9rem; }
}
.st-key-live_helper { display: none; }
</style>
"""


def _latest_frame_relay() -> None:
    """streamlit-webrtc passes every track through one aiortc MediaRelay per server, whose
    proxies queue every frame by default. When the encoder of the video going back is slower
    than the camera (two people on a busy 2-core machine), frames pile up there without bound
    and the lag grows by seconds a minute. Video proxies that keep only the newest frame drop
    frames instead. Installed before the first stream; audio keeps its queue."""
    from aiortc.contrib.media import MediaRelay
    from streamlit.runtime import Runtime
    from streamlit_webrtc import relay

    class LatestFrameRelay(MediaRelay):
        def subscribe(self, track, buffered: bool = True):  # noqa: ANN001, ANN201 - aiortc's
            return super().subscribe(track, buffered=buffered and track.kind != "video")

    name = getattr(relay, "_SERVER_GLOBAL_RELAY_ATTR_NAME_", None)
    if name and Runtime.exists() and not hasattr(Runtime.instance(), name):
        setattr(Runtime.instance(), name, LatestFrameRelay())


def _session(ready: common.Ready, level: str) -> tuple[LiveSession, journal_ui.LiveJournal]:
    """This browser session's LiveSession and the journal keeper of its streams (created
    once, kept in st.session_state)."""
    session, keeper = st.session_state.get(SESSION_KEY, (None, None))
    if session is None or session.pose is not ready.live_pose:
        if session is not None:
            session.close()
        models = ready.live_models

        def factory():  # noqa: ANN202 - a PoseEstimator
            return open_estimator(LIVE_QUALITY, "video", models, allow_download=False)

        keeper = journal_ui.LiveJournal(ready.live_pose, level)
        session = LiveSession(factory, ready.live_pose, level, on_end=keeper)
        st.session_state[SESSION_KEY] = (session, keeper)
    session.set_level(level)
    keeper.on, keeper.level = journal_ui.journal_on(), level
    return session, keeper


# ---------------------------------------------------------------------------- speech


def _remember_speech() -> None:
    """The toggle changed: keep the choice for this session, and in the browser."""
    st.session_state[SPEAK_PREF] = bool(st.session_state.get(_speak_widget()))
    st.session_state[REMEMBER_KEY] = st.session_state[SPEAK_PREF]


def _stored_speech() -> None:
    """The browser's remembered choice arrived (once per page load): it holds unless the
    toggle was used in this session already."""
    stored = _helper_state("stored")
    if stored is not None and SPEAK_PREF not in st.session_state:
        st.session_state[SPEAK_PREF] = bool(stored)
        # A toggle under a new key starts from the stored choice (changing the state of the
        # one on the page would race with the value the browser holds for it).
        st.session_state[SPEAK_GENERATION] = st.session_state.get(SPEAK_GENERATION, 0) + 1


def _speak_widget() -> str:
    return f"{SPEAK_WIDGET}_{st.session_state.get(SPEAK_GENERATION, 0)}"


def _helper_state(name: str):  # noqa: ANN202 - JSON value
    state = st.session_state.get(HELPER_KEY)
    try:
        return state.get(name) if state is not None else None
    except AttributeError:
        return getattr(state, name, None)


def _plan_speech(snap: LiveSnapshot, playing: bool) -> dict | None:
    """The next utterance for the browser, as the planner decides (None: nothing new)."""
    planner, stream = st.session_state.get(PLANNER_KEY, (None, None))
    if planner is None:
        planner = SpeechPlanner()
    if stream != snap.stream:
        planner.reset()
    st.session_state[PLANNER_KEY] = (planner, snap.stream)
    if not (playing and st.session_state.get(SPEAK_PREF, True) and snap.frames):
        return None
    speaking = planner.speaking
    finished = speaking is not None and _helper_state("done") == speaking.id
    said = planner.step(time.monotonic(), snap.status, snap.cue, snap.guidance, finished)
    return {"id": said.id, "text": said.text} if said else None


def _mount_helper(say: dict | None) -> None:
    _helper(
        key=HELPER_KEY,
        data={
            "say": say,
            "speak": bool(st.session_state.get(SPEAK_PREF, True)),
            "remember": st.session_state.pop(REMEMBER_KEY, None),
            "ask": SPEAK_PREF not in st.session_state,
        },
        height=0,
        on_done_change=lambda: None,
        on_camera_change=lambda: None,
        on_stored_change=_stored_speech,
    )


# ---------------------------------------------------------------------------- panel


def _camera_problem() -> tuple[str, str] | None:
    """What the browser said about the camera, in plain words (None: no problem seen)."""
    reported = _helper_state("camera")
    if not reported:
        return None
    name = str(reported).split(":")[0].strip()
    return CAMERA_PROBLEMS.get(name, OTHER_CAMERA_PROBLEM)


def render_panel(snap: LiveSnapshot, playing: bool, pose: PoseRules) -> None:
    """The cue in large text, the extra cues and camera advice, the hold timers, one rate
    readout and the cost of each stage."""
    if snap.error:
        st.error(f"Analysis failed on a frame: {snap.error}")
    cue = snap.cue if snap.frames else "Starting the camera analysis..."
    colour = STATUS_MARKDOWN_COLOURS.get(snap.status, "gray") if snap.frames else "gray"
    with st.container(key="live_cue"):
        st.markdown(f":{colour}[{html.escape(cue)}]")
    if snap.frames:
        scored = score_text(snap.score, snap.checked, snap.checks)
        st.caption(status_label(snap.status) + (f" · {scored}" if scored else ""))
        if snap.limits:
            st.caption(snap.limits)
    for extra in snap.active_cues[1:]:
        st.markdown(f"- {extra}")
    guidance = list(snap.guidance)
    if snap.status == "no_person" and snap.frames:
        guidance.insert(
            0,
            "Nobody in view: place the camera side-on, about 3 m away at hip "
            "height, with your whole body in the picture.",
        )
    for line in guidance:
        st.warning(line, icon=":material/photo_camera:")
    _timers(snap, pose)
    st.caption(
        f"Analysed {how_many(snap.frames, 'frame')} · {snap.fps:.0f} of {snap.camera_fps:.0f} "
        "frames/s",
        help="Each new analysis takes the newest camera frame; frames that arrive while the "
        "model is busy are shown with the last verdict drawn on them, not analysed.",
    )
    if snap.stage_ms:
        names = {
            "model": "model",
            "analysis": "analysis",
            "draw": "drawing",
            "convert": "converting",
            "wait": "waiting",
        }
        costs = " · ".join(
            f"{label} {snap.stage_ms[key]:.1f} ms"
            for key, label in names.items()
            if key in snap.stage_ms
        )
        with st.container(key="live_speed"):
            st.caption(f"Speed per frame ({snap.model}): {costs}")


def _timers(snap: LiveSnapshot, pose: PoseRules, final: bool = False) -> None:
    """The hold time of each side, as the summary counts it (after STOP: the summary's own
    figures, to the tenth), with the journal's target for each side."""
    cols = st.columns(len(pose.sides))
    plan = journal_ui.plan()
    for col, side in zip(cols, pose.sides, strict=True):
        held = snap.hold_s.get(side, 0.0)
        target = f" (target {plan.targets[side]:.0f} s)" if plan and side in plan.targets else ""
        col.metric(
            f"{pose.side_name(side).capitalize()}: hold{target}",
            f"{held:.1f} s" if final else f"{held:.0f} s",
            delta="holding now" if snap.side == side else None,
            delta_arrow="off",
            help=HOLD_HELP,
        )


def _panel(session: LiveSession, ctx, pose: PoseRules) -> None:  # noqa: ANN001 - webrtc
    """The panel beside the video: redrawn twice a second while a stream plays."""
    snap = session.snapshot()
    playing = bool(ctx.state.playing)
    if playing and not snap.running:
        snap = LiveSnapshot()  # START again, before the new stream's first frame: a clean panel
    st.session_state[STREAMING_KEY] = playing
    if playing:
        st.session_state[LEFT_KEY] = False
        st.session_state.pop(CAMERA_KEY, None)
        render_panel(snap, True, pose)
        _mount_helper(_plan_speech(snap, True))
        return
    _plan_speech(snap, False)
    _mount_helper(None)
    problem = _camera_problem()
    if problem:
        what, fix = problem
        st.error(f"**{what}** {fix}", icon=":material/videocam_off:")
    elif ctx.state.signalling:
        st.info("Connecting to the camera...", icon=":material/hourglass_top:")
        return
    elif snap.frames and st.session_state.get(LEFT_KEY):
        st.info(
            "The last session ended when you left this page. Its summary is below; press "
            "START to begin a new one."
        )
    elif snap.frames:
        st.info("Stopped. The summary of this session is below; press START to begin a new one.")
    else:
        st.markdown(
            "Press **START** under the video to begin. Set up the camera side-on, about 3 m "
            "away at hip height, so that it sees your whole body."
        )
        plan = journal_ui.plan(fresh=True)
        if plan:
            st.info("**From your journal:** " + " ".join(plan.words), icon=":material/event_note:")
    if snap.frames:
        _timers(snap, pose, final=True)
        st.caption(f"Analysed {how_many(snap.frames, 'frame')}")
        _summary_follows(snap)


def _summary_follows(snap: LiveSnapshot) -> None:
    """The panel says the summary is below: make it so. The summary is drawn by the whole
    page's run, and the run that STOP brings may come while the stream is still winding
    down (no summary yet); the panel's own later run then asks for the whole page, once for
    each stopped stream."""
    marker = (snap.stream, snap.frames)
    if st.session_state.get(WHOLE_PAGE_KEY):
        return  # the page's own run, which draws the summary after this panel
    if marker in (st.session_state.get(SUMMARY_SHOWN_KEY), st.session_state.get(SUMMARY_ASKED_KEY)):
        return
    st.session_state[SUMMARY_ASKED_KEY] = marker
    st.rerun()


# ---------------------------------------------------------------------------- page


def render() -> None:
    """The Live page."""
    started = common.page_start("Live", show_level=False)
    if started is None:
        return
    ready, level = started
    session, keeper = _session(ready, level)
    st.html(STYLE)
    st.caption(f"Pose: {ready.pose.name} · level: {level}.")
    left, right = st.columns([3, 2], gap="large")
    _latest_frame_relay()
    with left:
        ctx = webrtc_streamer(
            key="live",
            mode=WebRtcMode.SENDRECV,
            rtc_configuration={"iceServers": ready.ice_servers},
            media_stream_constraints={
                "video": {
                    "width": {"ideal": 640},
                    "height": {"ideal": 480},
                    "frameRate": {"ideal": 30, "max": 30},
                },
                "audio": False,
            },
            video_frame_callback=session.process,
            on_video_ended=session.stop,
            # Async: the callback runs in streamlit-webrtc's worker thread, off the event loop
            # that carries every viewer's video. It sends back the frame processed one call
            # earlier (a frame of lag: 60 ms at 15 fps); inline processing saves that for one
            # viewer, but with two at 30 fps it starved one of them (benchmarks/live_browser.py).
            async_processing=True,
            translations=TRANSLATIONS,
        )
    playing = bool(ctx.state.playing)
    with right, st.container(key="live_panel"):
        top = st.columns([1, 1], vertical_alignment="bottom")
        with top[0]:
            common.level_selector("live")
        with top[1]:
            st.toggle(
                "Speak the cues",
                value=st.session_state.get(SPEAK_PREF, True),
                key=_speak_widget(),
                on_change=_remember_speech,
                help="Your browser reads the cues aloud (Web Speech API), one at a time.",
            )
        panel = st.fragment(_panel, run_every=POLL_S if playing else None)
        st.session_state[WHOLE_PAGE_KEY] = True
        try:
            panel(session, ctx, ready.live_pose)
        finally:
            st.session_state[WHOLE_PAGE_KEY] = False
    with left:
        show_summary = False
        if playing:
            st.caption(LEAVING_NOTE)
            show_summary = st.button(
                "Show the session summary so far",
                help="This session's summary up to now; it also appears when you press STOP.",
            )

    snap = session.snapshot()
    if show_summary or (not playing and snap.frames and not ctx.state.signalling):
        summary = session.summary()
        if summary is not None:
            st.subheader("Session summary" + (" so far" if playing else ""))
            common.render_summary(summary, ready.live_pose)
            if not playing:
                st.session_state[SUMMARY_SHOWN_KEY] = (snap.stream, snap.frames)
                kept = keeper.kept.get(snap.stream)
                if kept:
                    st.caption(kept)
