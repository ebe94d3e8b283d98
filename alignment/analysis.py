"""One frame's verdict: skeleton -> measurements -> trust -> is it the pose -> rules -> score.

Pure: no MediaPipe, no OpenCV. The image, video and live paths all call `analyse`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from alignment.measurements import (
    BENT_LEG_METRICS,
    LEG_METRICS,
    BodyReading,
    Measurement,
    measure,
)
from alignment.rules import DEFAULT_LEVEL, PoseRules, RuleResult, evaluate, recognise, score
from alignment.skeleton import Skeleton
from alignment.trust import TrustReport, assess

# Confidence given to measurements a trust check doubts: below every rule file's min_confidence.
DOUBTFUL_CONFIDENCE = 0.2
SEVERITY_ORDER = {"major": 0, "moderate": 1, "minor": 2}

NO_PERSON = "I can't see anyone. Make sure your whole body is in the picture."
TURN_SIDEWAYS = "Turn sideways to the camera so I can see your spine."


@dataclass
class Verdict:
    """Everything said about one frame. `faults` and `cues` are empty unless the skeleton is
    trusted and the person is in the pose: uncertain means no correction is claimed."""

    person_found: bool
    trusted: bool = False
    in_pose: bool | None = None
    extended_leg: str | None = None
    extended_foot: str | None = None
    view: str | None = None
    reading: BodyReading | None = None
    trust: TrustReport | None = None
    results: list[RuleResult] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    score: int | None = None
    message: str = NO_PERSON  # the one line to show or say now
    guidance: list[str] = field(default_factory=list)  # camera set-up advice

    @property
    def faults(self) -> list[RuleResult]:
        found = [r for r in self.results if r.status == "fault"]
        return sorted(found, key=lambda r: (SEVERITY_ORDER[r.rule.severity], -r.rule.weight))

    @property
    def fault_ids(self) -> list[str]:
        return [r.rule.id for r in self.faults]

    @property
    def cues(self) -> list[str]:
        return [r.rule.cue for r in self.faults]

    @property
    def metrics(self) -> dict[str, float | None]:
        return self.reading.values() if self.reading else {}

    @property
    def status(self) -> str:
        """One word: no_person, uncertain, not_in_pose, faults, good."""
        if not self.person_found:
            return "no_person"
        if not self.trusted or self.in_pose is None:
            return "uncertain"
        if not self.in_pose:
            return "not_in_pose"
        return "faults" if self.faults else "good"


def _mark_doubtful(reading: BodyReading, names: tuple[str, ...], why: str) -> BodyReading:
    metrics = dict(reading.metrics)
    for name in names:
        m = metrics.get(name)
        if m is not None and m.value is not None:
            metrics[name] = Measurement(m.value, min(m.confidence, DOUBTFUL_CONFIDENCE), why)
    return replace(reading, metrics=metrics)


def analyse(skeleton: Skeleton | None, pose: PoseRules, level: str = DEFAULT_LEVEL,
            reading: BodyReading | None = None) -> Verdict:
    """Judge one skeleton against one pose. `reading` may be passed in when the measurements
    were already taken (e.g. smoothed over time)."""
    if skeleton is None:
        return Verdict(person_found=False)
    reading = reading or measure(skeleton)
    trust = assess(skeleton, reading)
    if trust.legs_hidden:
        reading = _mark_doubtful(reading, LEG_METRICS, "one leg hides the other")
        reading = replace(reading, extended_leg=None)
    elif trust.bent_leg_doubtful:
        reading = _mark_doubtful(reading, BENT_LEG_METRICS, "the bent leg is partly hidden")
    verdict = Verdict(person_found=True, trusted=trust.trusted, reading=reading, trust=trust,
                      extended_foot=reading.extended_foot, view=reading.view)
    if reading.view == "front":
        verdict.guidance.append(TURN_SIDEWAYS)
    if trust.legs_hidden:
        verdict.guidance.append("Turn a little toward the camera so I can see both legs.")
    if not trust.trusted:
        verdict.message = f"I can't see well enough: {trust.message}."
        return verdict

    recognition = recognise(pose, reading)
    verdict.in_pose = recognition.in_pose
    verdict.missing = recognition.missing
    if recognition.in_pose is False:
        verdict.message = f"Not in {pose.name}: {recognition.missing[0]}"
        return verdict
    if recognition.in_pose is None:
        why = trust.notes[0] if trust.notes else "I can't see " + ", ".join(
            m.replace("_", " ") for m in recognition.unclear) + " clearly enough"
        verdict.message = f"I can't tell if you are in the pose: {why}."
        return verdict

    if pose.has_sides and not trust.sides_doubtful:
        verdict.extended_leg = reading.extended_leg
    verdict.results = evaluate(pose, reading, level)
    verdict.score = score(verdict.results)
    unjudged = [r.rule.id.replace("_", " ") for r in verdict.results if r.status == "uncertain"]
    if verdict.faults:
        verdict.message = verdict.faults[0].rule.cue
    elif verdict.score is None:
        verdict.message = "I can't see well enough to judge the alignment."
    elif unjudged:
        verdict.message = f"No mistakes in what I can see. Not judged: {', '.join(unjudged)}."
    else:
        verdict.message = "Good alignment. Keep breathing."
    return verdict
