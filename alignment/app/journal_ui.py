"""The journal in the app: the switch, recording a live session on STOP, the plan shown
before START, and the Progress page."""

from __future__ import annotations

import os

import streamlit as st

from alignment.estimators.presets import LIVE_QUALITY
from alignment.journal.entries import from_summary
from alignment.journal.places import journal_place, shown
from alignment.journal.store import Journal, JournalError
from alignment.journal.trend import Plan, faults_per_week, next_session, per_day, trend_words
from alignment.settings import JOURNAL_OFF_ENV

SWITCH_KEY = "journal_on"
RECORDED_KEY = "journal_recorded"
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


def record_live(marker: object, summary: dict, pose, level: str) -> None:  # noqa: ANN001 - PoseRules
    """Keep a stopped live session once (`marker` names it across reruns)."""
    if not journal_on() or st.session_state.get(RECORDED_KEY) == marker:
        return
    st.session_state[RECORDED_KEY] = marker
    entry = from_summary(
        summary, pose, source="live", source_name="camera", preset=LIVE_QUALITY, level=level
    )
    try:
        with Journal(journal_place()) as journal:
            number = journal.add(entry)
    except JournalError as exc:
        st.warning(f"The session was not kept in the journal: {exc}")
        return
    st.caption(f"Kept in the practice journal as session {number}.")


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
