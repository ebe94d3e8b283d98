"""Live page: the camera through streamlit-webrtc, analysed frame by frame, with spoken cues.

The only module that imports streamlit_webrtc. The frame callback (`LiveSession.process`)
runs in the WebRTC worker thread and never touches `st.*`; this page polls the session's
snapshot under its lock while the stream plays.
"""

from __future__ import annotations

import html
import json
import time

import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from alignment.app import common
from alignment.pipeline.live import LiveSession, LiveSnapshot
from alignment.pipeline.setup import LIVE_QUALITY, open_estimator
from alignment.present.style import STATUS_LABELS

SESSION_KEY = "live_session"
SPEAK_KEY = "speak_cues"
SPOKEN_KEY = "live_last_spoken"
POLL_S = 0.25
CONNECT_HINT = (
    'If the video does not start (or a message such as "NotAllowedError: Permission denied" '
    "appears under it): allow the camera for this page (the camera icon in the address bar), "
    "check that no other program is using it, then press START again. Browsers only give "
    "camera access to pages served over https:// or from localhost."
)
TRANSLATIONS = {
    "device_access_denied": "Camera access was refused. Allow the camera for this page (the "
    "camera icon in the address bar) and press START again.",
    "media_api_not_available": "This browser cannot open a camera here: cameras need a page "
    "served over https:// (or from localhost).",
    "device_not_available": "No camera found. Plug one in, or close the program using it.",
}


def _session(ready: common.Ready, level: str) -> LiveSession:
    """This browser session's LiveSession (created once, kept in st.session_state)."""
    session = st.session_state.get(SESSION_KEY)
    if session is None or session.pose.id != ready.pose.id:
        if session is not None:
            session.close()
        models = ready.live_models

        def factory():  # noqa: ANN202 - a PoseEstimator
            return open_estimator(LIVE_QUALITY, "video", models, allow_download=False)

        session = LiveSession(factory, ready.pose, level)
        st.session_state[SESSION_KEY] = session
    session.set_level(level)
    return session


def speak(text: str, serial: int) -> None:
    """Say `text` with the browser's speech synthesis (Web Speech API). `serial` makes each
    new cue a new snippet, so it is spoken once."""
    script = f"""<script>
    // cue {serial}
    const synth = (window.parent && window.parent.speechSynthesis) || window.speechSynthesis;
    if (synth) {{
      const Utterance = (window.parent && window.parent.SpeechSynthesisUtterance)
                        || window.SpeechSynthesisUtterance;
      synth.cancel();
      synth.speak(new Utterance({json.dumps(text)}));
    }}
    </script>"""
    if hasattr(st, "iframe"):  # streamlit >= 1.52: the successor of components.html
        st.iframe(script, height=1)
    else:  # pragma: no cover - older streamlit
        import streamlit.components.v1 as components

        components.html(script, height=0)


def render_panel(snap: LiveSnapshot, playing: bool, pose: common.PoseRules) -> None:
    """The cue in large text, guidance, the hold timers and the frame counter."""
    if snap.error:
        st.error(f"Analysis failed on a frame: {snap.error}")
    if not playing and not snap.frames:
        st.markdown("Press **START** under the video to begin.")
        return
    if not playing:
        st.info("Stopped. The summary of this session is below; press START to begin a new one.")
        _timers(snap, False, pose)
        return
    cue = snap.cue or "Waiting for the first frame..."
    st.markdown(
        f"<div class='live-cue' style='font-size:2.1rem;font-weight:650;"
        f"line-height:1.25;margin:0.2rem 0 0.6rem'>{html.escape(cue)}</div>",
        unsafe_allow_html=True,
    )
    st.caption(
        STATUS_LABELS.get(snap.status, snap.status)
        + (f" · score {snap.score}" if snap.score is not None else "")
    )
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
    _timers(snap, True, pose)
    if snap.fps:
        st.caption(f"{snap.fps:.0f} frames/s analysed")


def _timers(snap: LiveSnapshot, playing: bool, pose: common.PoseRules) -> None:
    """The hold timer of each side and the frame counter."""
    cols = st.columns(2)
    for col, side in zip(cols, ("left", "right"), strict=True):
        held = snap.hold_s.get(side, 0.0)
        col.metric(f"{pose.side_name(side).capitalize()}: hold", f"{held:.0f} s")
    if snap.side and playing:
        st.caption(f"Holding now: {pose.side_name(snap.side)}")
    st.markdown(f"frames analysed: {snap.frames}")


def render() -> None:
    """The Live page."""
    started = common.page_start("Live")
    if started is None:
        return
    ready, level = started
    session = _session(ready, level)
    st.caption(
        f"Pose: {ready.pose.name} · level: {level}. "
        "Set up the camera side-on so it sees your whole body, then press START."
    )
    left, right = st.columns([3, 2], gap="large")
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
            async_processing=True,
            translations=TRANSLATIONS,
        )
    with right, st.container(key="live_panel"):
        st.toggle(
            "Speak the cues",
            value=True,
            key=SPEAK_KEY,
            help="Your browser reads each new cue aloud (Web Speech API).",
        )
        show_summary = st.button(
            "Show the session summary",
            help="The summary so far; it also appears when you press STOP.",
        )
        panel = st.empty()
        speech = st.empty()
        note = st.empty()

    playing = ctx.state.playing
    if not playing:
        st.session_state[SPOKEN_KEY] = ""  # a new stream speaks its first cue
        if ctx.state.signalling:
            note.info("Connecting to the camera... " + CONNECT_HINT)
        elif not session.snapshot().frames:
            note.info(CONNECT_HINT, icon=":material/videocam_off:")
        with panel.container():
            render_panel(session.snapshot(), False, ready.pose)

    summary = session.summary()
    if show_summary and summary is None:
        st.info("Nothing to summarise yet: press START and get into the pose.")
    if summary and (show_summary or not playing):
        st.subheader("Session summary" + (" so far" if playing else ""))
        common.render_summary(summary, ready.pose)

    spoken = st.session_state.get(SPOKEN_KEY, "")
    serial = 0
    while ctx.state.playing:
        snap = session.snapshot()
        with panel.container():
            render_panel(snap, True, ready.pose)
        if st.session_state.get(SPEAK_KEY) and snap.cue and snap.cue != spoken and snap.frames:
            serial += 1
            spoken = snap.cue
            st.session_state[SPOKEN_KEY] = spoken
            with speech.container():
                speak(spoken, serial)
        time.sleep(POLL_S)
