"""The Streamlit entry point (`alignment app` runs `streamlit run` on this file).

Sidebar: the level and the pose; pages: Live (camera), Video (a recorded session), Photos.
Each page module is imported only when its page runs, so streamlit-webrtc is loaded by the
Live page alone.
"""

from __future__ import annotations

import streamlit as st

from alignment.app import common
from alignment.settings import LEVELS


def live_page() -> None:
    from alignment.app import live

    live.render()


def video_page() -> None:
    from alignment.app import video_page as page

    page.render()


def photos_page() -> None:
    from alignment.app import photos_page as page

    page.render()


def sidebar(settings: common.Settings) -> None:
    """The settings every page uses: the level; the pose and the model are shown."""
    with st.sidebar:
        if common.LEVEL_KEY not in st.session_state:
            st.session_state[common.LEVEL_KEY] = settings.level
        st.selectbox("Level", LEVELS, key=common.LEVEL_KEY, help=common.LEVEL_HELP)
        if settings.pose is not None:
            st.markdown(f"**Pose:** {settings.pose.name}")
        if settings.models:
            st.caption("Models: " + ", ".join(m.name for m in settings.models))
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
    pages = [
        st.Page(live_page, title="Live", icon=":material/videocam:", url_path="live", default=True),
        st.Page(video_page, title="Video", icon=":material/movie:", url_path="video"),
        st.Page(photos_page, title="Photos", icon=":material/photo_library:", url_path="photos"),
    ]
    navigation = st.navigation(pages)
    sidebar(settings)
    navigation.run()


if __name__ == "__main__":  # streamlit runs this file as __main__
    main()
