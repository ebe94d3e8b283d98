"""The speech planner: what the live page says aloud, and when (pure: times and feedback in)."""

from __future__ import annotations

from alignment.present.speech import UNSURE, SpeechPlanner, longest_speaking_s

SPINE = "Lengthen your spine and lead with your chest."
KNEE = "Straighten your extended knee."
GOOD = "Good alignment. Keep breathing."
NOBODY = "I can't see anyone. Make sure your whole body is in the picture."
TELL_1 = "I can't tell if you are in the pose: one leg hides the other."
TELL_2 = "I can't tell if you are in the pose: I can't see hip height clearly enough."
TURN = "Turn a little toward the camera so I can see both legs."


def run(planner: SpeechPlanner, script, step=0.25, finish_after=1.0):  # noqa: ANN001, ANN201
    """Feed `script` = [(seconds, status, message, guidance)] at poll steps of `step`; the
    browser finishes each utterance `finish_after` s after it starts. Returns [(t, text)]."""
    said, t, finishing = [], 0.0, None
    for seconds, status, message, guidance in script:
        end = t + seconds
        while t < end - 1e-9:
            finished = finishing is not None and t >= finishing
            utterance = planner.step(t, status, message, guidance, finished)
            if finished:
                finishing = None
            if utterance:
                assert finishing is None, "a new utterance while one is in flight"
                said.append((round(t, 2), utterance.text))
                finishing = t + finish_after
            t += step
    return said


def test_a_steady_cue_is_said_once() -> None:
    said = run(SpeechPlanner(), [(0.5, "faults", SPINE, ()), (20, "faults", SPINE, ())])
    assert said == [(1.5, SPINE)]


def test_a_flickering_cue_is_not_said() -> None:
    script = [(1.0, "faults", SPINE, ()), (1.0, "faults", KNEE, ())] * 5
    assert run(SpeechPlanner(), script) == []


def test_one_at_a_time_and_never_cut_off() -> None:
    """The state changes while the first cue is still being said: the next waits for its end
    and a breath."""
    script = [(2.0, "faults", SPINE, ()), (6.0, "good", GOOD, ())]
    said = run(SpeechPlanner(), script, finish_after=3.0)
    assert said == [(1.5, SPINE), (5.5, GOOD)]  # 1.5 + 3 s speaking + 0.8 s breath, on a poll


def test_the_same_cue_is_not_repeated_within_ten_seconds() -> None:
    script = [
        (3.0, "faults", SPINE, ()),
        (3.0, "good", GOOD, ()),
        (3.0, "faults", SPINE, ()),  # back within 10 s of the first SPINE: not again
        (3.0, "good", GOOD, ()),  # GOOD was said 6 s ago: not again
        (8.0, "faults", SPINE, ()),  # steady at 13.5 s, more than 10 s after the first
    ]
    said = run(SpeechPlanner(), script)
    assert [text for _, text in said] == [SPINE, GOOD, SPINE]
    assert said[-1][0] >= 11.5


def test_cant_tell_is_one_episode_whatever_its_wording() -> None:
    """The uncertain messages change with what is unclear; they are one episode, said once
    (with the camera advice when there is some), until something else holds steady."""
    unsure = [
        (1.0, "uncertain", TELL_1, (TURN,)),
        (1.0, "uncertain", TELL_2, ()),
        (1.0, "no_person", NOBODY, ()),
    ] * 6
    assert run(SpeechPlanner(), unsure) == [(1.5, TELL_2)]  # the words of that moment
    assert run(SpeechPlanner(), unsure[:1] * 3) == [(1.5, TURN)]  # the advice, when given
    # Something else steady ends the episode: the next doubt is said again (after 10 s).
    script = [*unsure[:3], (8.0, "faults", SPINE, ()), (4.0, "uncertain", TELL_1, (TURN,))]
    assert [text for _, text in run(SpeechPlanner(), script)] == [TELL_2, SPINE, TURN]


def test_a_browser_that_never_reports_does_not_silence_it() -> None:
    planner = SpeechPlanner()
    first = planner.step(0.0, "faults", SPINE) or planner.step(2.0, "faults", SPINE)
    assert first is not None and planner.speaking == first
    assert planner.step(3.0, "good", GOOD) is None
    late = 2.0 + longest_speaking_s(SPINE) + 3.0
    assert planner.step(late, "good", GOOD) is None  # first the end, then a breath
    second = planner.step(late + 1.0, "good", GOOD)
    assert second is not None and second.text == GOOD and second.id == first.id + 1


def test_reset_forgets_what_was_said() -> None:
    planner = SpeechPlanner()
    assert run(planner, [(3.0, "faults", SPINE, ())]) == [(1.5, SPINE)]
    planner.reset()
    assert planner.step(100.0, "faults", SPINE) is None  # steady again first
    again = planner.step(101.5, "faults", SPINE)
    assert again is not None and again.key == SPINE and again.id == 2
    assert planner.step(102.0, "uncertain", TELL_1) is None
    assert UNSURE == "unsure"
