"""The journal in the app: the switch, keeping each live session when it ends (and photos when
asked), the plan shown before START, and the Progress page."""

from __future__ import annotations

import os

import streamlit as st

from alignment.estimators.presets import LIVE_QUALITY
from alignment.journal.entries import from_photo, from_summary
from alignment.journal.places import journal_place, shown
from alignment.journal.store import Journal, JournalError
from alignment.journal.trend import Plan, faults_per_week, next_session, per_day, trend_words
from alignment.present.words import how_many
from alignment.settings import JOURNAL_OFF_ENV

SWITCH_KEY = "journal_on"
PHOTOS_KEPT_KEY = "journal_photos_kept"  # the uploads kept already
PLAN_KEY = "journal_plan"


def journal_on() -> bool:
    if SWITCH_KEY not in st.session_state:
        st.session_state[SWITCH_KEY] = os.environ.get(JOURNAL_OFF_ENV) != "1"
    return bool(st.session_state[SWITCH_KEY])


def switch() -> None:
    """The sidebar's switch: record live sessions in the journal, or not."""
    journal_on()
    st.toggle(
        "Keep a practice journal",
        key=SWITCH_KEY,
        help="Each live session's figures (hold, fold, faults per side; never the video) are "
        f"kept in {shown(journal_place())}, for the Progress page.",
    )


class LiveJournal:
    """Keeps each live stream of one viewer in the journal when it ends, on STOP or when the
    page is closed (`LiveSession`'s `on_end`, called in the WebRTC thread: no Streamlit
    here). The page sets `on` (the switch) and `level` on each run and shows `kept`."""

    def __init__(self, pose, level: str) -> None:  # noqa: ANN001 - PoseRules
        self.pose, self.level, self.on = pose, level, True
        self.kept: dict[int, str] = {}  # stream -> what became of it, in words

    def __call__(self, stream: int, summary: dict) -> None:
        if not self.on:
            return
        entry = from_summary(
            summary, self.pose, source="live", source_name="camera", preset=LIVE_QUALITY,
            level=self.level,
        )  # fmt: skip
        try:
            with Journal(journal_place()) as journal:
                number = journal.add(entry)
        except JournalError as exc:
            self.kept[stream] = f"The session was not kept in the journal: {exc}"
            return
        self.kept[stream] = f"Kept in the practice journal as session {number}."


def keep_photos(photos: dict[object, dict], pose, level: str, preset: str) -> None:  # noqa: ANN001 - PoseRules
    """The Photos page's offer: keep the photos in the pose (`photos`: upload key -> record)
    in the journal, each once, when asked."""
    if not journal_on():
        return
    kept: set = st.session_state.setdefault(PHOTOS_KEPT_KEY, set())
    entries = {
        key: entry
        for key, record in photos.items()
        if key not in kept and (entry := from_photo(record, pose, preset=preset, level=level))
    }
    if not entries:
        if kept & set(photos):
            st.caption("These photos are in the practice journal.")
        return
    if not st.button(
        f"Keep {how_many(len(entries), 'photo')} in the pose in the practice journal",
        help="Each photo's side, fold and corrections (never the picture), for the Progress page.",
    ):
        return
    try:
        with Journal(journal_place()) as journal:
            for key, entry in entries.items():
                journal.add(entry)
                kept.add(key)
    except JournalError as exc:
        st.warning(f"The photos were not kept in the journal: {exc}")
        return
    st.caption(f"Kept {how_many(len(entries), 'photo')} in the practice journal.")


def plan(fresh: bool = False) -> Plan | None:
    """What the journal suggests for the next session (None: no journal, or it is off). Read
    once and kept for the page's reruns (the hold timers redraw twice a second)."""
    if not journal_on():
        return None
    if fresh or PLAN_KEY not in st.session_state:
        try:
            with Journal(journal_place()) as journal:
                entries = journal.entries()
        except JournalError:
            entries = []
        st.session_state[PLAN_KEY] = next_session(entries) if entries else None
    return st.session_state[PLAN_KEY]


def render_progress() -> None:
    """The Progress page: the trend in words, the plan, the plots."""
    from alignment.present.progress import progress_figure

    st.title("Progress")
    where = shown(journal_place())
    try:
        with Journal(journal_place()) as journal:
            entries = journal.entries()
    except JournalError as exc:
        st.error(str(exc))
        return
    if not entries:
        st.info(f"No sessions in the journal yet ({where}). Each live session and each "
                "`alignment video` run is kept there.")  # fmt: skip
        return
    st.markdown(f"**{trend_words(entries)}**")
    st.markdown("**Next session:** " + " ".join(next_session(entries).words))
    st.caption(
        f"{len(entries)} sessions in {where}. The comparison between the sides is information, "
        "not a ranking. `alignment journal delete ID` deletes a session."
    )
    fig = progress_figure(per_day(entries), faults_per_week(entries), entries[-1].unit)
    # Two thirds of a wide screen (the plots stay readable at a glance); a phone stacks the
    # columns, so there the plots take the whole width.
    plots, _ = st.columns([2, 1])
    with plots:
        st.pyplot(fig, use_container_width=True)
