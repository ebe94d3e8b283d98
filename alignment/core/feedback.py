"""What a frame says and shows: status, message, cues, guidance and score, in one place.

A photo, a video frame and a live frame all end here. The only difference over time is which
mistakes are shown: a session shows a mistake once it has lasted (`shown_faults`), a photo
shows what it sees. Status, words, score (and so the colour drawn) all follow the same shown
mistakes, so they never disagree.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace

from alignment.core.analysis import Verdict
from alignment.core.measurements import BODY_PARTS
from alignment.core.rules import RuleResult, score
from alignment.core.status import FAULTS, GOOD, NO_PERSON, NOT_IN_POSE, PARTIAL, UNCERTAIN

NOBODY = "I can't see anyone. Make sure your whole body is in the picture."


@dataclass(frozen=True)
class Feedback:
    """What to show or say about one frame."""

    status: str  # one of core.status.STATUSES
    message: str  # the one line to show or say now
    cues: tuple[str, ...]  # every correction shown, most important first
    fault_ids: tuple[str, ...]  # the rules behind those cues
    guidance: tuple[str, ...]  # camera set-up advice
    score: int | None


def _names(results: list[RuleResult]) -> str:
    return ", ".join(r.rule.id.replace("_", " ") for r in results)


def _with_shown_faults(verdict: Verdict, shown: Collection[str]) -> Verdict:
    """The verdict as it stands once only `shown` mistakes count: a mistake not shown yet is
    not claimed; a mistake still shown (fading out) counts even if this frame is within
    bounds."""

    def status(r: RuleResult) -> str:
        if r.rule.id in shown and r.status in ("fault", "ok"):
            return "fault"
        return "ok" if r.status == "fault" else r.status

    results = [replace(r, status=status(r)) for r in verdict.results]
    return replace(verdict, results=results, score=score(results))


def _message(verdict: Verdict) -> str:
    status = verdict.status
    if status == NO_PERSON:
        return NOBODY
    if status == UNCERTAIN:
        trust = verdict.trust
        if trust is not None and not trust.trusted:
            return f"I can't see well enough: {trust.message}."
        if trust is not None and trust.notes:
            return f"I can't tell if you are in the pose: {trust.notes[0]}."
        parts = list(dict.fromkeys(BODY_PARTS.get(m, m.replace("_", " ")) for m in verdict.unclear))
        unclear = " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)
        return f"I can't tell if you are in the pose: I can't see {unclear} clearly enough."
    if status == NOT_IN_POSE:
        return f"Not in {verdict.pose_name}: {verdict.missing[0]}"
    if status == FAULTS:
        return verdict.faults[0].rule.cue
    judged = [r for r in verdict.results if r.status in ("ok", "fault")]
    if status == PARTIAL:
        if not judged:
            return "In the pose, but I can't see well enough to judge the alignment."
        return (
            "No mistakes in what I can see, but I can't judge "
            f"{_names(verdict.unjudged_major)} from here."
        )
    assert status == GOOD
    if verdict.unjudged:
        return f"Good alignment. Not judged: {_names(verdict.unjudged)}."
    return "Good alignment. Keep breathing."


def feedback(verdict: Verdict, shown_faults: Collection[str] | None = None) -> Feedback:
    """What this frame says. `shown_faults`: the rule ids a session shows now (mistakes that
    have lasted); None for a photo, which shows every mistake it sees."""
    if shown_faults is not None and verdict.status in (FAULTS, PARTIAL, GOOD):
        verdict = _with_shown_faults(verdict, set(shown_faults))
    return Feedback(
        status=verdict.status,
        message=_message(verdict),
        cues=tuple(verdict.cues),
        fault_ids=tuple(verdict.fault_ids),
        guidance=tuple(verdict.guidance),
        score=verdict.score,
    )
