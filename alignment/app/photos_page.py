"""Photos page: upload photos, see each with its overlay and verdict, download the table.

Decoding is `alignment.images.decode_rgb`, the analysis `alignment.batch.analyse_rgb` on one
shared image-mode detector, the drawing `alignment.batch.annotate`. A file that is not an
image gets an error naming it; the others go on.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import streamlit as st

from alignment.app import common
from alignment.batch import analyse_rgb, annotate
from alignment.images import IMAGE_SUFFIXES, ImageError, decode_rgb
from alignment.report import CSV_FIELDS, csv_row, verdict_record

RESULTS_KEY = "photo_results"
UPLOAD_KEY = "photo_upload"
STATUS_LABEL = {
    "good": ":green[good alignment]",
    "faults": ":orange[corrections]",
    "not_in_pose": ":blue[not in the pose]",
    "uncertain": ":gray[can't judge]",
    "no_person": ":gray[nobody found]",
    "error": ":red[not an image]",
}


@dataclass
class PhotoResult:
    """One uploaded photo: its record (as in `alignment image --json`) and the overlay."""

    name: str
    record: dict[str, Any]
    overlay: bytes | None = None  # JPEG of the annotated photo

    @property
    def error(self) -> str | None:
        return self.record.get("error")


def analyse_photo(name: str, data: bytes, ready: common.Ready, level: str) -> PhotoResult:
    """Decode, analyse and draw one upload; an unreadable file gives an error record."""
    try:
        rgb = decode_rgb(data, name)
    except ImageError as exc:
        return PhotoResult(name, verdict_record(name, None, None, error=str(exc)))
    shared = common.image_detector(str(ready.model))
    with shared.lock:
        skeleton, verdict, record = analyse_rgb(shared.detector, rgb, name, ready.pose, level)
    drawn = annotate(rgb, skeleton, verdict)
    ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(np.ascontiguousarray(drawn),
                                                cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90])
    return PhotoResult(name, record, jpeg.tobytes() if ok else None)


def table_csv(records: list[dict[str, Any]]) -> bytes:
    """The results table as CSV (the columns of `alignment image --csv`)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS)
    writer.writeheader()
    for record in records:
        writer.writerow(csv_row(record))
    return buffer.getvalue().encode("utf-8")


def show_photo(result: PhotoResult) -> None:
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
        label = STATUS_LABEL.get(record["status"], record["status"])
        score = "" if record["score"] is None else f" · score {record['score']}"
        side = f" · {record['extended_leg']} leg extended" if record.get("extended_leg") else ""
        st.markdown(f"**Status:** `{record['status']}` {label}{side}{score}")
        st.markdown(f"**{record['message']}**")
        for cue in record["cues"][1:]:
            st.markdown(f"- {cue}")
        if record["faults"]:
            st.caption("Faults: " + ", ".join(record["faults"]))
        for line in record.get("guidance") or []:
            st.warning(line, icon=":material/photo_camera:")
        for doubt in record.get("doubts") or []:
            st.caption(f"Note: {doubt}")


def show_results(results: list[PhotoResult]) -> None:
    """The summary table and downloads, then each photo."""
    records = [r.record for r in results]
    good = [r for r in results if not r.error]
    st.dataframe([{"photo": r.name, "status": r.record["status"],
                   "side": r.record.get("extended_leg") or "", "score": r.record["score"],
                   "message": r.record["message"]} for r in results], hide_index=True)
    cols = st.columns(2)
    cols[0].download_button("Download the table (CSV)", table_csv(records),
                            file_name="photos.csv", mime="text/csv", on_click="ignore")
    cols[1].download_button("Download the results (JSON)",
                            (json.dumps(records, indent=2) + "\n").encode("utf-8"),
                            file_name="photos.json", mime="application/json",
                            on_click="ignore")
    st.caption(f"{len(good)} of {len(results)} files analysed.")
    for result in results:
        show_photo(result)


def render() -> None:
    """The Photos page."""
    started = common.page_start("Photos")
    if started is None:
        return
    ready, level = started
    st.caption(f"Check {ready.pose.name} in photos (level: {level}). Side-on photos of the "
               "whole body work best.")
    suffixes = ", ".join(sorted(s.lstrip(".") for s in IMAGE_SUFFIXES))
    uploads = st.file_uploader(f"Photos ({suffixes})", accept_multiple_files=True,
                               key=UPLOAD_KEY, help="Analysed on the computer running the app.")
    if not uploads:
        st.info("Upload one or more photos to check them.")
        return
    cache: dict[tuple, PhotoResult] = st.session_state.setdefault(RESULTS_KEY, {})
    keys = [(u.file_id, u.name, u.size, level, str(ready.model), ready.pose.id)
            for u in uploads]
    missing = [(k, u) for k, u in zip(keys, uploads, strict=True) if k not in cache]
    if missing:
        bar = st.progress(0.0, text="Analysing the photos...")
        for done, (key, upload) in enumerate(missing, start=1):
            cache[key] = analyse_photo(upload.name, upload.getvalue(), ready, level)
            bar.progress(done / len(missing), text=f"Analysed {upload.name}")
        bar.empty()
    for stale in set(cache) - set(keys):  # photos removed from the uploader
        del cache[stale]
    show_results([cache[k] for k in keys])
