"""A practice session over time: smoothing, steady cues, hold times, the timeline.

Used by the video analysis and by the live camera. Feed it one frame at a time
(`tracker.update(time_s, skeleton)`); it keeps only small per-frame records, so memory grows
by about 1 KB a frame (some 20 MB for 10 minutes at 30 fps) whatever the video's resolution.

Time makes the feedback better than any single frame:
- joints are smoothed with a One Euro filter (little lag on real movement, less jitter);
- a mistake is shown only after it has lasted `cue_on_s`, and stops being shown only after it
  has been gone for `cue_off_s` (hysteresis), so the advice does not flicker;
- a frame with nobody in view, or with a skeleton we do not trust, claims nothing new; a
  moment of doubt shorter than `bridge_s` inside a pose does not end the pose (the hold timer
  and what is shown carry over it), a longer one does. If the pose does not resume, the
  records of those frames are cleared (they claim nothing).

What a frame says is `alignment.core.feedback.feedback(verdict, shown_faults)`: the same
function a photo uses, given the mistakes that have lasted.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from alignment.core.analysis import Verdict, analyse
from alignment.core.feedback import Feedback, feedback
from alignment.core.rules import BOTH_SIDES, PoseRules
from alignment.core.skeleton import Skeleton
from alignment.core.status import IN_POSE, UNCERTAIN, state_of
from alignment.session.smoothing import OneEuroFilter
from alignment.session.summary import Summary, summarise
from alignment.session.timeline import FrameRecord, Segment, build_segments
from alignment.settings import DEFAULT_LEVEL


@dataclass
class LiveState:
    """What a display needs after each frame."""

    verdict: Verdict  # this frame's own verdict
    feedback: Feedback  # what to show and say now
    skeleton: Skeleton | None  # the smoothed skeleton the verdict was made on
    record: FrameRecord
    side: str | None  # side held now
    hold_s: dict[str, float]  # seconds held so far, per side


@dataclass
class _CueTimer:
    since: float | None = None  # when the current fault streak began
    clear_since: float | None = None  # when the current ok streak began (while active)
    active: bool = False

    def reset(self) -> None:
        self.since, self.clear_since, self.active = None, None, False


@dataclass
class SessionTracker:
    pose: PoseRules
    level: str = DEFAULT_LEVEL
    cue_on_s: float = 1.0
    cue_off_s: float = 1.0
    smooth: bool = True
    bridge_s: float = 1.5
    records: list[FrameRecord] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._image_filter = OneEuroFilter(min_cutoff=1.0, beta=0.02)
        self._world_filter = OneEuroFilter(min_cutoff=1.0, beta=10.0)
        self._visibility_filter = OneEuroFilter(min_cutoff=1.0, beta=0.0)
        self._timers = {rule.id: _CueTimer() for rule in self.pose.rules}
        self._hold = dict.fromkeys(self.pose.sides, 0.0)
        self._last_pose: tuple[float, str | None] | None = None  # time and side, last in pose
        self._last_shown: Feedback | None = None  # what the last in-pose frame showed
        # Uncertain frames since the last in-pose frame that carried its cues over (the
        # bridge). They are provisional: if the pose does not resume, they claim nothing.
        self._bridged: list[tuple[FrameRecord, str]] = []  # with the frame's own message

    # ------------------------------------------------------------------ per frame
    def _smoothed(self, skeleton: Skeleton | None, time_s: float) -> Skeleton | None:
        if skeleton is None:
            for f in (self._image_filter, self._world_filter, self._visibility_filter):
                f.reset()
            return None
        if not self.smooth:
            return skeleton
        world = None
        if skeleton.world is not None:
            world = self._world_filter(skeleton.world, time_s)
        # Everything else the reading says (its sides, the fusion's agreement, the silhouette)
        # stands as it is: only the points are smoothed.
        return replace(
            skeleton,
            image=self._image_filter(skeleton.image, time_s),
            visibility=self._visibility_filter(skeleton.visibility, time_s),
            world=world,
        )

    def _update_cues(self, verdict: Verdict, time_s: float) -> list[str]:
        judged = {r.rule.id: r.status for r in verdict.results}
        for rule_id, timer in self._timers.items():
            status = judged.get(rule_id)
            if status == "fault":
                timer.clear_since = None
                if timer.since is None:
                    timer.since = time_s
                if time_s - timer.since >= self.cue_on_s:
                    timer.active = True
            elif status in ("ok", "skipped"):
                timer.since = None
                if timer.active:
                    if timer.clear_since is None:
                        timer.clear_since = time_s
                    if time_s - timer.clear_since >= self.cue_off_s:
                        timer.reset()
            else:  # uncertain, or no verdict at all: claim nothing
                timer.reset()
        return self.shown_faults()

    def shown_faults(self) -> list[str]:
        """The rule ids shown now, heaviest first."""
        return [r.id for r in self.pose.rules_by_severity if self._timers[r.id].active]

    def update(self, time_s: float, skeleton: Skeleton | None) -> LiveState:
        smoothed = self._smoothed(skeleton, time_s)
        verdict = analyse(smoothed, self.pose, self.level)
        state = state_of(verdict.status)
        last_pose_time, last_side = self._last_pose or (None, None)
        bridged = last_pose_time is not None and time_s - last_pose_time <= self.bridge_s
        if state == IN_POSE:
            shown = feedback(verdict, self._update_cues(verdict, time_s))
            side = verdict.extended_leg if self.pose.has_sides else BOTH_SIDES
            if side and bridged and side == last_side:
                self._hold[side] += time_s - last_pose_time  # type: ignore[operator]
            self._last_pose = (time_s, side or last_side)
            self._last_shown = shown
            self._bridged.clear()  # the doubt was inside the pose: what it showed stands
        elif state == UNCERTAIN and bridged and self._last_shown is not None:
            shown = self._last_shown  # a moment of doubt inside the pose: keep showing
        else:
            for timer in self._timers.values():
                timer.reset()
            self._clear_bridge()
            self._last_shown = None
            shown = feedback(verdict)
        record = FrameRecord(
            time_s=time_s,
            state=state,
            extended_leg=verdict.extended_leg,
            score=verdict.score,
            faults=tuple(verdict.fault_ids),
            cues=shown.fault_ids,
            metrics={
                k: (None if v is None else round(float(v), 3)) for k, v in verdict.metrics.items()
            },
            message=shown.message,
            unjudged=tuple(r.rule.id for r in verdict.unjudged),
        )
        self.records.append(record)
        if state == UNCERTAIN and shown is self._last_shown:
            self._bridged.append((record, feedback(verdict).message))
        in_pose_now = state == IN_POSE or shown is self._last_shown
        return LiveState(
            verdict=verdict,
            feedback=shown,
            skeleton=smoothed,
            record=record,
            side=(self._last_pose or (None, None))[1] if in_pose_now else None,
            hold_s=dict(self._hold),
        )

    def _clear_bridge(self) -> None:
        """The pose did not resume: the doubt after it was not part of it."""
        for earlier, own_message in self._bridged:
            earlier.cues, earlier.message = (), own_message
        self._bridged.clear()

    def finish(self) -> None:
        """The stream has ended: a doubt at the very end did not lead back into the pose, so
        its frames keep no cues. Call once after the last frame (summary() does not need it)."""
        self._clear_bridge()

    # ------------------------------------------------------------------ afterwards
    def segments(self, min_segment_s: float = 0.75) -> list[Segment]:
        return build_segments(self.records, self.pose.movement, min_segment_s, self.bridge_s)

    def summary(self) -> Summary:
        return summarise(self.records, self.pose, self.segments())
