"""The Streamlit entry point (`alignment app` runs `streamlit run` on this file).

Sidebar: the level, the pose, the journal switch; pages: Live (camera), Video (a recorded
session), Photos, Progress (the practice journal).
Each page module is imported only when its page runs, so streamlit-webrtc is loaded by the
Live page alone.
"""

from __future__ import annotations

import streamlit as st

from alignment.app import common
from alignment.estimators.presets import LIVE_QUALITY, PRESETS


def live_page() -> None:
    from alignment.app import live

    live.render()


def video_page() -> None:
    from alignment.app import video_page as page

    page.render()


def photos_page() -> None:
    from alignment.app import photos_page as page

    page.render()


def progress_page() -> None:
    from alignment.app import journal_ui

    journal_ui.render_progress()


def left_live_page() -> None:
    """Leaving the Live page while its camera streams ends the session: say so, here."""
    if st.session_state.get(common.LIVE_STREAMING_KEY):
        st.session_state[common.LIVE_STREAMING_KEY] = False
        st.session_state[common.LIVE_LEFT_KEY] = True
        st.toast(
            "Leaving the Live page ended your live session. Its summary is on the Live page.",
            icon=":material/videocam_off:",
        )


def sidebar(settings: common.Settings, quality: str) -> None:
    """What every page works with: the pose and the models this page runs (the preset
    `quality`). The level is chosen on each page itself (`common.page_start`), where a phone's
    collapsed sidebar cannot hide it."""
    if common.LEVEL_KEY not in st.session_state:
        st.session_state[common.LEVEL_KEY] = settings.level
    with st.sidebar:
        if settings.pose is not None:
            st.markdown(f"**Pose:** {settings.pose.name}")
        from alignment.app import journal_ui

        journal_ui.switch()
        if settings.models:
            st.caption(f"Models on this page ({quality}): {PRESETS[quality].description}")
        st.caption(
            "The app checks what a camera can see. It does not replace a teacher; "
            "stop if anything hurts."
        )


def main() -> None:
    settings = common.settings()
    name = settings.pose.name if settings.pose else "Pose"
    st.set_page_config(
        page_title=f"{name}: alignment", page_icon=":material/self_improvement:", layout="wide"
    )
    live = st.Page(
        live_page, title="Live", icon=":material/videocam:", url_path="live", default=True
    )
    pages = [
        live,
        st.Page(video_page, title="Video", icon=":material/movie:", url_path="video"),
        st.Page(photos_page, title="Photos", icon=":material/photo_library:", url_path="photos"),
        st.Page(
            progress_page, title="Progress", icon=":material/trending_up:", url_path="progress"
        ),
    ]
    navigation = st.navigation(pages)
    on_live = navigation.title == live.title  # (the default page's url_path is "")
    if not on_live:
        left_live_page()
    page_quality = {live.title: LIVE_QUALITY, "Video": settings.video_quality}
    sidebar(settings, page_quality.get(navigation.title, settings.quality))
    navigation.run()


if __name__ == "__main__":  # streamlit runs this file as __main__
    main()
