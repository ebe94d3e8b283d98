"""The words people read in tables, banners and pages, written once: the status labels, the
score with what it covers, a measurement with its unit, a rule's plain name, and a dash for
what is not known. The sentences about a frame (headline and second line) are
`alignment.core.feedback`'s; this module only presents them. The JSON keeps machine values
(status ids, rule ids, numbers); these words are for people.
"""

from __future__ import annotations

from collections.abc import Iterable

from alignment.core.feedback import Feedback
from alignment.core.measurements import REGISTRY
from alignment.core.rules import PoseRules
from alignment.core.status import FAULTS, GOOD, NO_PERSON, NOT_IN_POSE, PARTIAL, UNCERTAIN

ERROR = "error"
NOT_KNOWN = "–"  # a table cell with nothing to say (never "None"; "-" would be a list in markdown)

STATUS_LABELS: dict[str, str] = {
    GOOD: "In the pose: good alignment",
    FAULTS: "In the pose: corrections",
    PARTIAL: "In the pose: partly checked",
    NOT_IN_POSE: "Not in the pose",
    UNCERTAIN: "Can't tell",
    NO_PERSON: "Nobody in view",
    ERROR: "Not an image",
}
UNIT_SYMBOLS = {"deg": "°", "ratio": ""}


def how_many(n: int, noun: str) -> str:
    """ "1 frame", "2 frames": a count with its noun (a regular plural)."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status.replace("_", " "))


def score_text(score: int | None, checked: int, checks: int) -> str:
    """ "score 92" when every rule that applied was judged, "score 92 (5 of 7 checks)" when only
    some were; "" without a score (a major rule was not judged)."""
    if score is None:
        return ""
    if checked < checks:
        return f"score {score} ({checked} of {checks} checks)"
    return f"score {score}"


def score_covers(score: int | None, checked: int, checks: int) -> str:
    """A sentence on what the score covers, when it is not every check; "" otherwise."""
    if score is None or checked >= checks:
        return ""
    return f"The score covers {checked} of {checks} checks."


def feedback_score(fb: Feedback) -> str:
    return score_text(fb.score, fb.checked, fb.checks)


def cell(value: object) -> str:
    """A table cell: the value, or a dash where there is none."""
    if value is None or value == "" or value == []:
        return NOT_KNOWN
    return str(value)


def measurement_name(name: str) -> str:
    """E.g. "hip flexion"."""
    return name.replace("_", " ")


def measurement_value(name: str, value: float | None) -> str:
    """E.g. "52°" or "0.31"; a dash when not measured."""
    if value is None:
        return NOT_KNOWN
    info = REGISTRY.get(name)
    if info is not None and info.unit == "deg":
        return f"{value:.0f}{UNIT_SYMBOLS['deg']}"
    return f"{value:.2f}"


def rule_names(pose: PoseRules | None, rule_ids: Iterable[str]) -> list[str]:
    """The rules' plain names ("Rounded back"); an id the pose does not know is shown as words."""
    names = []
    for rule_id in rule_ids:
        try:
            names.append(pose.rule(rule_id).name if pose else rule_id.replace("_", " "))
        except KeyError:
            names.append(rule_id.replace("_", " "))
    return names
