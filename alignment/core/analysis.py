"""One frame's verdict: skeleton -> measurements -> trust -> is it the pose -> rules -> score.

Pure: no pose model, no OpenCV. The photo, video and live paths all call `analyse`; what a
verdict says in words is `alignment.core.feedback`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from alignment.core.measurements import BENT_LEG_METRICS, LEG_METRICS, measure
from alignment.core.reading import BodyReading, Measurement
from alignment.core.rules import PoseRules, RuleResult, evaluate, recognise, score
from alignment.core.skeleton import Skeleton
from alignment.core.status import FAULTS, GOOD, NO_PERSON, NOT_IN_POSE, PARTIAL, UNCERTAIN
from alignment.core.trust import TrustReport, assess
from alignment.settings import DEFAULT_LEVEL

# Confidence given to measurements a trust check doubts: below every rule file's min_confidence.
DOUBTFUL_CONFIDENCE = 0.2

# What a frame can say, from the least to the most: nobody; a body we cannot read well enough
# (or cannot tell is in the pose); not in the pose; in the pose with corrections; in the pose
# but a major mistake could not be judged; in the pose, every major mistake judged and none seen.

TURN_SIDEWAYS = "Turn sideways to the camera so I can see your spine."
SHOW_BOTH_LEGS = "Turn a little toward the camera so I can see both legs."


@dataclass
class Verdict:
    """Everything judged about one frame. `results` is empty unless the skeleton is trusted and
    the person is in the pose: uncertain means no correction is claimed."""

    person_found: bool
    pose_name: str = ""
    trusted: bool = False
    in_pose: bool | None = None
    extended_leg: str | None = None
    extended_foot: str | None = None
    view: str | None = None
    reading: BodyReading | None = None
    trust: TrustReport | None = None
    results: list[RuleResult] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # what is absent from the pose's shape
    unclear: list[str] = field(default_factory=list)  # requirements that could not be measured
    score: int | None = None
    guidance: list[str] = field(default_factory=list)  # camera set-up advice

    @property
    def faults(self) -> list[RuleResult]:
        """The mistakes seen, heaviest first (rules of equal weight in file order)."""
        found = [r for r in self.results if r.status == "fault"]
        return sorted(found, key=lambda r: -r.rule.weight)

    @property
    def fault_ids(self) -> list[str]:
        return [r.rule.id for r in self.faults]

    @property
    def cues(self) -> list[str]:
        return [r.rule.cue for r in self.faults]

    @property
    def unjudged(self) -> list[RuleResult]:
        """Rules that apply but could not be judged on this frame."""
        return [r for r in self.results if r.status == "uncertain"]

    @property
    def unjudged_major(self) -> list[RuleResult]:
        return [r for r in self.unjudged if r.rule.severity == "major"]

    @property
    def metrics(self) -> dict[str, float | None]:
        return self.reading.values() if self.reading else {}

    @property
    def doubts(self) -> list[str]:
        return (self.trust.reasons + self.trust.notes) if self.trust else []

    @property
    def status(self) -> str:
        """One of STATUSES, from what was judged (the words are feedback's)."""
        if not self.person_found:
            return NO_PERSON
        if not self.trusted or self.in_pose is None:
            return UNCERTAIN
        if not self.in_pose:
            return NOT_IN_POSE
        if self.faults:
            return FAULTS
        return PARTIAL if self.score is None else GOOD


HIDDEN_LEG = "one leg hides the other"


def _mark_doubtful(reading: BodyReading, names: tuple[str, ...], why: str) -> BodyReading:
    metrics = dict(reading.metrics)
    for name in names:
        m = metrics.get(name)
        if m is not None and m.value is not None:
            metrics[name] = Measurement(m.value, min(m.confidence, DOUBTFUL_CONFIDENCE), why)
    return replace(reading, metrics=metrics)


def _legs_together(reading: BodyReading) -> BodyReading:
    """A pose whose legs lie together (both straight, seen side-on): the hidden leg lies along
    the visible one, as the models lay it, so its knee is the visible knee; which leg is which,
    and the bent leg's measurements, stay unknown."""
    visible = reading.metrics.get("extended_knee_angle")
    reading = _mark_doubtful(reading, BENT_LEG_METRICS + ("side_certainty",), HIDDEN_LEG)
    metrics = dict(reading.metrics)
    if visible is not None and visible.value is not None:
        metrics["bent_knee_angle"] = replace(visible, note=HIDDEN_LEG)
    return replace(reading, metrics=metrics, extended_leg=None)


def analyse(
    skeleton: Skeleton | None,
    pose: PoseRules,
    level: str = DEFAULT_LEVEL,
    reading: BodyReading | None = None,
) -> Verdict:
    """Judge one skeleton against one pose. `reading` may be passed in when the measurements
    were already taken (e.g. smoothed over time)."""
    if skeleton is None:
        return Verdict(person_found=False, pose_name=pose.name)
    reading = reading or measure(skeleton)
    trust = assess(skeleton, reading)
    if trust.legs_hidden and pose.legs_may_overlap:
        reading = _legs_together(reading)
    elif trust.legs_hidden:
        reading = _mark_doubtful(reading, LEG_METRICS, HIDDEN_LEG)
        reading = replace(reading, extended_leg=None)
    elif trust.bent_leg_doubtful:
        reading = _mark_doubtful(reading, BENT_LEG_METRICS, "the bent leg is partly hidden")
    verdict = Verdict(
        person_found=True,
        pose_name=pose.name,
        trusted=trust.trusted,
        reading=reading,
        trust=trust,
        extended_foot=reading.extended_foot,
        view=reading.view,
    )
    if reading.view == "front":
        verdict.guidance.append(TURN_SIDEWAYS)
    if trust.legs_hidden and not pose.legs_may_overlap:
        verdict.guidance.append(SHOW_BOTH_LEGS)
    if not trust.trusted:
        return verdict

    recognition = recognise(pose, reading)
    verdict.in_pose = recognition.in_pose
    verdict.missing = recognition.missing
    verdict.unclear = recognition.unclear
    if not recognition.in_pose:
        return verdict
    if pose.has_sides and not trust.sides_doubtful:
        verdict.extended_leg = reading.extended_leg
    verdict.results = evaluate(pose, reading, level)
    verdict.score = score(verdict.results)
    return verdict
