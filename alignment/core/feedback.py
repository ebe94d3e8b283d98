"""What a frame says and shows: status, message, cues, guidance and score, in one place.

The words (the README's table of messages): the headline (`message`) states what was seen:
nobody, can't tell, not in the pose, the first correction, or good; the second line (`limits`)
says what could not be checked, as the checker's own limit ("I couldn't check: how far your
knee opens"), in each rule's neutral `check` words, never its mistake's name. The score is
given only when every major rule was judged (`rules.score`); `checked` of `checks` says what
it covers.

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
    limits: str = ""  # the second line: what could not be checked ("" when everything was)
    checked: int = 0  # rules judged on this frame (what the score covers)
    checks: int = 0  # rules that applied (judged or not)


def limits_line(unjudged: list[RuleResult]) -> str:
    """What could not be checked, as the checker's limit; "" when everything was."""
    if not unjudged:
        return ""
    return "I couldn't check: " + ", ".join(r.rule.check for r in unjudged) + "."


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
        return f"Not in {verdict.pose_name}. {verdict.missing[0]}"
    if status == FAULTS:
        return verdict.faults[0].rule.cue
    judged = [r for r in verdict.results if r.status in ("ok", "fault")]
    if status == PARTIAL:
        if not judged:
            return "In the pose, but I can't see well enough to check your alignment."
        return "In the pose, and no mistakes in what I could check."
    assert status == GOOD
    return "Good alignment. Keep breathing."


def feedback(verdict: Verdict, shown_faults: Collection[str] | None = None) -> Feedback:
    """What this frame says. `shown_faults`: the rule ids a session shows now (mistakes that
    have lasted); None for a photo, which shows every mistake it sees."""
    if shown_faults is not None and verdict.status in (FAULTS, PARTIAL, GOOD):
        verdict = _with_shown_faults(verdict, set(shown_faults))
    status = verdict.status
    applied = [r for r in verdict.results if r.status != "skipped"]
    return Feedback(
        status=status,
        message=_message(verdict),
        cues=tuple(verdict.cues),
        fault_ids=tuple(verdict.fault_ids),
        # Camera advice helps someone in (or getting into) this pose be seen; someone doing
        # something else first needs to get into the pose.
        guidance=() if status == NOT_IN_POSE else tuple(verdict.guidance),
        score=verdict.score,
        limits=limits_line(verdict.unjudged) if status in (FAULTS, PARTIAL, GOOD) else "",
        checked=sum(r.status in ("ok", "fault") for r in applied),
        checks=len(applied),
    )
