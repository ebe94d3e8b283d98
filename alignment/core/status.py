"""The words the program's layers share for what a frame shows and what a session goes
through, defined once.

A frame's status (what one picture says) is one of STATUSES. Over a session, each frame is
reduced to a state (STATES: is the person in the frame, sure, in the pose), and the in-pose
stretches are split into the pose's phases (POSE_PHASES)."""

from __future__ import annotations

# A frame's status: nobody, cannot tell, not the pose, the pose with mistakes, the pose with a
# major mistake not judged, the pose with none.
NO_PERSON, UNCERTAIN, NOT_IN_POSE = "no_person", "uncertain", "not_in_pose"
FAULTS, PARTIAL, GOOD = "faults", "partial", "good"
STATUSES = (NO_PERSON, UNCERTAIN, NOT_IN_POSE, FAULTS, PARTIAL, GOOD)

# A frame's state in a session, and the segment kinds built from them.
NOT_IN_FRAME, IN_POSE = "not_in_frame", "in_pose"
STATES = (NOT_IN_FRAME, UNCERTAIN, NOT_IN_POSE, IN_POSE)
SETTING_UP, FOLDING, HOLDING, RELEASING = "setting_up", "folding", "holding", "releasing"
POSE_PHASES = (SETTING_UP, FOLDING, HOLDING, RELEASING)

_STATE_OF_STATUS = {
    NO_PERSON: NOT_IN_FRAME,
    UNCERTAIN: UNCERTAIN,
    NOT_IN_POSE: NOT_IN_POSE,
    FAULTS: IN_POSE,
    PARTIAL: IN_POSE,
    GOOD: IN_POSE,
}


def state_of(status: str) -> str:
    """The session state of a frame of this status."""
    return _STATE_OF_STATUS[status]
