"""Photos page: upload photos, see each with its overlay and verdict, download the table.

The analysis is `alignment.pipeline.photo.PhotoChecker` on one shared image-mode estimator. A
file that is not an image gets an error naming it; the others go on.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

import streamlit as st
from PIL import Image

from alignment.app import common, journal_ui
from alignment.core.rules import PoseRules
from alignment.pipeline.photo import IMAGE_SUFFIXES, PhotoResult
from alignment.present.report import CSV_FIELDS, PhotoRecord, csv_row, csv_text
from alignment.present.words import cell, rule_names, score_text, status_label

RESULTS_KEY = "photo_results"
UPLOAD_KEY = "photo_upload"


@dataclass
class ShownPhoto:
    """One uploaded photo: its record (as in `alignment image --json`) and the overlay."""

    name: str
    record: PhotoRecord
    overlay: bytes | None = None  # JPEG of the annotated photo

    @property
    def error(self) -> str | None:
        return self.record["error"]


def analyse_photo(name: str, data: bytes, ready: common.Ready, level: str) -> ShownPhoto:
    """Decode, analyse and draw one upload; an unreadable file gives an error record."""
    shared = common.photo_estimator(ready.quality, tuple(map(str, ready.models)))
    with shared.lock:
        result: PhotoResult = shared.checker(ready.pose, level).check_bytes(data, name)
    drawn = result.annotated()
    if drawn is None:
        return ShownPhoto(name, result.record)
    buffer = io.BytesIO()
    Image.fromarray(drawn).save(buffer, format="JPEG", quality=90)
    return ShownPhoto(name, result.record, buffer.getvalue())


def table_csv(records: list[PhotoRecord]) -> bytes:
    """The results table as CSV (the columns of `alignment image --csv`)."""
    return csv_text(map(csv_row, records), CSV_FIELDS).encode("utf-8")


def show_photo(result: ShownPhoto, pose: PoseRules) -> None:
    """One photo: the overlay beside the verdict."""
    record = result.record
    if result.error:
        st.error(result.error)
        return
    st.markdown(f"#### {result.name}")
    left, right = st.columns([3, 2])
    if result.overlay:
        left.image(result.overlay, caption=f"{result.name}: skeleton, key angles and cues")
    with right:
        scored = score_text(record["score"], record["rules_checked"], record["rules_applied"])
        score = f" · {scored}" if scored else ""
        leg = record.get("extended_leg")
        side = f" · {pose.side_name(leg)}" if leg else ""
        st.markdown(f"**Status:** {common.status_badge(record['status'])}{side}{score}")
        st.markdown(f"**{record['message']}**")
        if record["limits"]:
            st.caption(record["limits"])
        for cue in record["cues"][1:]:
            st.markdown(f"- {cue}")
        if record["faults"]:
            st.caption("Corrections: " + ", ".join(rule_names(pose, record["faults"])))
        for line in record.get("guidance") or []:
            st.warning(line, icon=":material/photo_camera:")
        for note in [*(record.get("doubts") or []), *record["notes"]]:
            st.caption(f"Note: {note}")


def show_results(results: list[ShownPhoto], pose: PoseRules) -> None:
    """The summary table and downloads, then each photo."""
    records = [r.record for r in results]
    good = [r for r in results if not r.error]
    # A static table: its cells wrap, so the message reads at a phone's width too.
    st.table(
        [
            {
                "photo": r.name,
                "status": status_label(r.record["status"]),
                "side": cell(r.record.get("extended_leg")),
                "score": cell(r.record["score"]),
                "message": " ".join(filter(None, (r.record["message"], r.record["limits"]))),
            }
            for r in results
        ],
        hide_index=True,
        border="horizontal",
    )
    cols = st.columns(2)
    cols[0].download_button(
        "Download the table (CSV)",
        table_csv(records),
        file_name="photos.csv",
        mime="text/csv",
        on_click="ignore",
    )
    cols[1].download_button(
        "Download the results (JSON)",
        (json.dumps(records, indent=2) + "\n").encode("utf-8"),
        file_name="photos.json",
        mime="application/json",
        on_click="ignore",
    )
    st.caption(f"{len(good)} of {len(results)} files analysed.")
    for result in results:
        show_photo(result, pose)


def render() -> None:
    """The Photos page."""
    started = common.page_start("Photos")
    if started is None:
        return
    ready, level = started
    st.caption(
        f"Check {ready.pose.name} in photos (level: {level}). Side-on photos of the "
        "whole body work best."
    )
    suffixes = ", ".join(sorted(s.lstrip(".") for s in IMAGE_SUFFIXES))
    uploads = st.file_uploader(
        f"Photos ({suffixes})",
        accept_multiple_files=True,
        key=UPLOAD_KEY,
        help="Analysed on the computer running the app.",
    )
    if not uploads:
        st.info("Upload one or more photos to check them.")
        return
    cache: dict[tuple, ShownPhoto] = st.session_state.setdefault(RESULTS_KEY, {})
    keys = [(u.file_id, u.name, u.size, level, ready.quality, ready.pose.id) for u in uploads]
    missing = [(k, u) for k, u in zip(keys, uploads, strict=True) if k not in cache]
    if missing:
        bar = st.progress(0.0, text="Analysing the photos...")
        for done, (key, upload) in enumerate(missing, start=1):
            cache[key] = analyse_photo(upload.name, upload.getvalue(), ready, level)
            bar.progress(done / len(missing), text=f"Analysed {upload.name}")
        bar.empty()
    for stale in set(cache) - set(keys):  # photos removed from the uploader
        del cache[stale]
    journal_ui.keep_photos({k: cache[k].record for k in keys}, ready.pose, level, ready.quality)
    show_results([cache[k] for k in keys], ready.pose)
