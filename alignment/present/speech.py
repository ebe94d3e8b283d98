"""When to say what, aloud: a calm voice for the live camera. Pure: time and feedback in, an
utterance (or nothing) out; the page only carries it out in the browser.

- One utterance at a time, never cut off: nothing new is said until the browser reports the
  last one finished (or, if it never reports, until it must have), and a breath after that.
- Something is said only once the state has been steady for `steady_s`: a cue that flickers
  for a moment is not worth a sentence.
- The same thing is not said again within `repeat_s`.
- "I can't see anyone", "I can't tell..." and the camera advice are one family: however its
  wording changes (which joints are unclear, say), it is said once per episode, and the
  episode ends only when something else has been steady for `steady_s`. When the feedback
  carries camera advice, that is what is said (it tells what to do).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from alignment.core.status import NO_PERSON, UNCERTAIN

UNSURE = "unsure"  # the episode key of "I can't see / I can't tell" and the camera advice
UNSURE_STATUSES = (NO_PERSON, UNCERTAIN)
WORDS_PER_S = 2.5  # a slow speaking voice
SPEAKING_SLACK_S = 3.0  # allowance for a browser that never reports the end


@dataclass(frozen=True)
class Utterance:
    id: int  # 1, 2, ... within a planner's life
    text: str
    key: str  # what it counts as for repeats: the words, or UNSURE
    at: float  # when it was handed over


def episode_key(status: str, message: str) -> str:
    return UNSURE if status in UNSURE_STATUSES else message


def what_to_say(status: str, message: str, guidance: tuple[str, ...] = ()) -> str:
    if status in UNSURE_STATUSES and guidance:
        return guidance[0]
    return message


def longest_speaking_s(text: str) -> float:
    """How long the browser may take to say `text` before it counts as finished anyway."""
    return len(text.split()) / WORDS_PER_S + SPEAKING_SLACK_S


@dataclass
class SpeechPlanner:
    steady_s: float = 1.5
    repeat_s: float = 10.0
    gap_s: float = 0.8  # a breath between two utterances
    _serial: int = 0
    _current: Utterance | None = None  # handed over, not finished yet
    _finished_at: float | None = None
    _key: str | None = None  # the state being watched, and since when
    _since: float = 0.0
    _last_said: dict[str, float] = field(default_factory=dict)  # key -> when
    _last_key: str | None = None  # the key of the last utterance
    _unsure_said: bool = False  # in the current "unsure" episode

    def reset(self) -> None:
        """A new stream: forget everything said (the serial number goes on)."""
        self._current, self._finished_at, self._key, self._since = None, None, None, 0.0
        self._last_said, self._last_key, self._unsure_said = {}, None, False

    @property
    def speaking(self) -> Utterance | None:
        return self._current

    def step(
        self,
        now: float,
        status: str,
        message: str,
        guidance: tuple[str, ...] = (),
        finished: bool = False,
    ) -> Utterance | None:
        """What to say now (None: nothing). `finished`: the browser reported the last
        utterance handed over as finished."""
        if self._current is not None and (
            finished or now - self._current.at > longest_speaking_s(self._current.text)
        ):
            self._current, self._finished_at = None, now
        key = episode_key(status, message) if message else None
        if key != self._key:
            self._key, self._since = key, now
        steady = key is not None and now - self._since >= self.steady_s
        if steady and key != UNSURE:
            self._unsure_said = False  # something else held steady: the episode is over
        if self._current is not None or not steady or key is None:
            return None
        if self._finished_at is not None and now - self._finished_at < self.gap_s:
            return None
        if key == UNSURE and self._unsure_said:
            return None
        last = self._last_said.get(key)
        if last is not None and now - last < self.repeat_s:
            return None  # said lately
        if key == self._last_key and key != UNSURE:
            return None  # still the state last spoken about: said once is enough
        self._serial += 1
        said = Utterance(self._serial, what_to_say(status, message, guidance), key, now)
        self._current = said
        self._last_said[key] = now
        self._last_key = key
        if key == UNSURE:
            self._unsure_said = True
        return said
