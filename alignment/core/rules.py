"""Declarative pose rules: validation and evaluation (the files are read by io.rule_files).

A rule file (TOML) describes one pose: the shape that must be present (`[[requirement]]`),
the mistakes to look for (`[[rule]]`), and the mistakes a camera cannot see
(`[[unobservable]]`). A new pose is a new file; this module holds no pose knowledge.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import get_args

from pydantic import TypeAdapter, ValidationError

from alignment.core.reading import BodyReading
from alignment.core.rule_schema import (
    BoundsSpec,
    ConditionSpec,
    LabelPlace,
    RuleFileSpec,
    RuleSpec,
    error_lines,
)
from alignment.core.topology import SIDES
from alignment.settings import DEFAULT_LEVEL, LEVELS

BOTH_SIDES = "both"  # the one "side" of a pose without sides
SEVERITY_WEIGHTS = {"minor": 1, "moderate": 2, "major": 3}  # also the order: heaviest first


class RuleFileError(ValueError):
    """A rule file is wrong; the message names the file, the entry and the field."""


@dataclass(frozen=True)
class Bounds:
    min: float | None = None
    max: float | None = None

    def excess(self, value: float) -> float:
        """How far value lies outside [min, max]; 0 inside."""
        if self.min is not None and value < self.min:
            return self.min - value
        if self.max is not None and value > self.max:
            return value - self.max
        return 0.0

    def describe(self) -> str:
        if self.min is not None and self.max is not None:
            return f"{self.min:g}..{self.max:g}"
        return f">= {self.min:g}" if self.min is not None else f"<= {self.max:g}"


@dataclass(frozen=True)
class Condition:
    measurement: str
    bounds: Bounds
    min_confidence: float = 0.5


@dataclass(frozen=True)
class Requirement:
    measurement: str
    bounds: Bounds
    min_confidence: float
    missing: str  # what to tell the user when this part of the shape is absent
    when: tuple[Condition, ...] = ()  # it applies only while these hold
    fitted: bool = False  # its bound is fitted per preset (rules/fitted/<pose>.toml)
    # Only rules the pose out, when it is sure: unmeasured, it does not stand in the way (for
    # a part of the shape that is plain to see when it is wrong, e.g. a knee standing up).
    rejects_only: bool = False


@dataclass(frozen=True)
class Rule:
    id: str
    mistake: str
    measurement: str
    bounds: dict[str, Bounds]  # per level
    min_confidence: float
    severity: str
    cue: str
    correction: str
    source: str
    tolerance: float  # how far past the bound counts as the whole mistake (for the score)
    when: tuple[Condition, ...] = ()
    # Plain words for people: `name` names the mistake (tables of faults, "Rounded back");
    # `check` names what the rule looks at, neutrally, for what could not be judged ("how your
    # back curves"), so that an unjudged rule never reads as a fault.
    name: str = ""
    check: str = ""

    @property
    def weight(self) -> int:
        return SEVERITY_WEIGHTS[self.severity]


@dataclass(frozen=True)
class Unobservable:
    id: str
    mistake: str
    reason: str
    source: str


@dataclass(frozen=True)
class Movement:
    """The pose's main movement (e.g. the fold of a forward bend), read over a session: the
    phases (setting up, moving in, holding, releasing) and the comparison of the two sides."""

    measurement: str
    deeper: str  # "smaller" or "larger": which way goes further into the pose
    start_beyond: float  # at the start, values on the shallow side of this are "setting up"
    rate: float  # units per second that count as moving in or out
    min_asymmetry: float  # a smaller difference between the sides is not evidence

    def depth(self, value: float) -> float:
        """The value turned so that larger is always deeper."""
        return -value if self.deeper == "smaller" else value


@dataclass(frozen=True)
class Label:
    """A measurement drawn on the picture, next to a body part."""

    measurement: str
    at: str  # one of LABEL_PLACES
    text: str


LABEL_PLACES: tuple[str, ...] = get_args(LabelPlace)


@dataclass(frozen=True)
class PoseRules:
    id: str
    name: str
    has_sides: bool
    requirements: tuple[Requirement, ...]
    rules: tuple[Rule, ...]
    unobservable: tuple[Unobservable, ...]
    path: str
    side_label: str = "{side} side"  # how one side of the pose is named to the user
    movement: Movement | None = None
    summary_measurements: tuple[str, ...] = ()  # summarised per side over a session
    labels: tuple[Label, ...] = ()
    legs_may_overlap: bool = False  # one leg hiding the other is the pose's own shape

    @property
    def sides(self) -> tuple[str, ...]:
        """What is held and timed apart: the left and the right side, or, for a pose without
        sides, "both"."""
        return SIDES if self.has_sides else (BOTH_SIDES,)

    def side_name(self, side: str) -> str:
        """E.g. "left leg extended"; "in the pose" for a pose without sides."""
        return self.side_label.format(side=side) if self.has_sides else "in the pose"

    @property
    def rules_by_severity(self) -> tuple[Rule, ...]:
        """Heaviest first; rules of the same weight in file order (the order cues are given)."""
        return tuple(sorted(self.rules, key=lambda rule: -rule.weight))

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


# ---------------------------------------------------------------------------- loading


def parse_rules(data: dict, name: str) -> PoseRules:
    """Validate a rule file's contents (its schema: core.rule_schema); `name` (the file's
    path) starts every error message."""
    try:
        spec = RuleFileSpec.model_validate(data)
    except ValidationError as exc:
        raise RuleFileError(f"{name}: {error_lines(exc, data)[0]}") from None
    ids = [rule.id for rule in spec.rule]
    for i, rule_id in enumerate(ids):
        if rule_id in ids[:i]:
            raise RuleFileError(
                f"{name}: rule '{rule_id}', field 'id': duplicate rule id {rule_id!r}"
            )
    if not spec.rule:
        raise RuleFileError(f"{name}: top level, field 'rule': the file defines no [[rule]]")
    movement = spec.movement
    measured = tuple(dict.fromkeys(rule.measurement for rule in spec.rule))
    return PoseRules(
        id=spec.pose.id,
        name=spec.pose.name,
        has_sides=spec.pose.sides,
        requirements=tuple(
            Requirement(
                req.measurement,
                Bounds(req.min, req.max),
                req.min_confidence,
                req.missing,
                _conditions(req.when),
                req.fitted,
                req.rejects_only,
            )
            for req in spec.requirement
        ),
        rules=tuple(_rule(rule) for rule in spec.rule),
        unobservable=tuple(
            Unobservable(u.id, u.mistake, u.reason, u.source) for u in spec.unobservable
        ),
        path=name,
        side_label=spec.pose.side_label,
        movement=None
        if movement is None
        else Movement(
            movement.measurement,
            movement.deeper,
            movement.start_beyond,
            movement.rate,
            movement.min_asymmetry,
        ),
        summary_measurements=tuple(spec.display.summary) or measured,
        labels=tuple(Label(lab.measurement, lab.at, lab.text) for lab in spec.display.labels),
        legs_may_overlap=spec.pose.legs_may_overlap,
    )


def _conditions(specs: list[ConditionSpec]) -> tuple[Condition, ...]:
    return tuple(Condition(c.measurement, Bounds(c.min, c.max), c.min_confidence) for c in specs)


def _rule(spec: RuleSpec) -> Rule:
    standard = Bounds(spec.min, spec.max)
    overrides = {"gentle": spec.gentle, "strict": spec.strict}
    bounds = {}
    for level in LEVELS:
        override = overrides.get(level)
        bounds[level] = standard if override is None else Bounds(override.min, override.max)
    reference = standard.max if standard.max is not None else standard.min
    tolerance = spec.tolerance or max(abs(reference or 0.0) * 0.25, 0.05)
    return Rule(
        id=spec.id,
        mistake=spec.mistake,
        measurement=spec.measurement,
        bounds=bounds,
        min_confidence=spec.min_confidence,
        severity=spec.severity,
        cue=spec.cue,
        correction=spec.correction,
        source=spec.source,
        tolerance=tolerance,
        when=_conditions(spec.when),
        name=spec.name or spec.id.replace("_", " ").capitalize(),
        check=spec.check or f"your {spec.measurement.replace('_', ' ')}",
    )


_FITTED = TypeAdapter(dict[str, BoundsSpec])


def with_fitted_bounds(pose: PoseRules, fitted_file: dict, path: str, quality: str) -> PoseRules:
    """The bounds under [quality] of a fitted-bounds file (rules/fitted/<pose>.toml, read from
    `path`) for the requirements marked `fitted` (an entry for any other is a mistake)."""
    table = fitted_file.get(quality, {})
    try:
        bounds = _FITTED.validate_python(table)
    except ValidationError as exc:
        raise RuleFileError(f"{path}: [{quality}], {error_lines(exc, table)[0]}") from None
    fitted = {req.measurement for req in pose.requirements if req.fitted}
    for name in bounds:
        if name not in fitted:
            raise RuleFileError(f"{path}: [{quality}], field '{name}': unknown field (a typo?)")
    requirements = tuple(
        replace(req, bounds=Bounds(bounds[req.measurement].min, bounds[req.measurement].max))
        if req.measurement in bounds
        else req
        for req in pose.requirements
    )
    return replace(pose, requirements=requirements)


# ---------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class RuleResult:
    rule: Rule
    status: str  # "fault", "ok", "uncertain" (cannot judge) or "skipped" (does not apply now)
    value: float | None
    confidence: float
    bounds: Bounds
    why: str = ""

    @property
    def excess(self) -> float:
        return self.bounds.excess(self.value) if self.value is not None else 0.0


@dataclass
class Recognition:
    in_pose: bool | None  # None: cannot tell
    missing: list[str] = field(default_factory=list)  # what is absent, in words
    unclear: list[str] = field(default_factory=list)  # measurements we could not trust


def judge(reading: BodyReading, measurement: str, bounds: Bounds, min_confidence: float) -> str:
    """ "in" or "out" of the bounds, or "unclear": not measured, not sure enough, or measured two
    ways (e.g. on the picture and in 3-D) that fall on both sides of a bound."""
    m = reading.metrics.get(measurement)
    if m is None or m.value is None or m.confidence < min_confidence:
        return "unclear"
    outside = [bounds.excess(v) > 0 for v in (m.span or (m.value, m.value))]
    return "out" if all(outside) else "in" if not any(outside) else "unclear"


def _applies(reading: BodyReading, conditions: tuple[Condition, ...]) -> str:
    """ "yes", "no" (a condition confidently fails) or "unclear"."""
    said = [judge(reading, c.measurement, c.bounds, c.min_confidence) for c in conditions]
    return "no" if "out" in said else "unclear" if "unclear" in said else "yes"


def recognise(pose: PoseRules, reading: BodyReading) -> Recognition:
    """In the pose when every requirement holds; out as soon as one confidently fails. A
    requirement applies only while its `when` conditions hold."""
    result = Recognition(in_pose=True)
    for req in pose.requirements:
        applies = _applies(reading, req.when)
        said = judge(reading, req.measurement, req.bounds, req.min_confidence)
        if applies == "no" or (req.rejects_only and "unclear" in (applies, said)):
            continue
        if applies == "unclear" or said == "unclear":
            result.unclear.append(req.measurement)
        elif said == "out":
            result.missing.append(req.missing)
    if result.missing:
        result.in_pose = False
    elif result.unclear:
        result.in_pose = None
    return result


def evaluate(pose: PoseRules, reading: BodyReading, level: str = DEFAULT_LEVEL) -> list[RuleResult]:
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; choose one of {', '.join(LEVELS)}")
    results = []
    for rule in pose.rules:
        bounds = rule.bounds[level]
        m = reading.metrics.get(rule.measurement)
        value, confidence = (m.value, m.confidence) if m else (None, 0.0)
        if _applies(reading, rule.when) != "yes":
            when = " and ".join(f"{c.measurement} {c.bounds.describe()}" for c in rule.when)
            results.append(
                RuleResult(rule, "skipped", value, confidence, bounds, f"applies only when {when}")
            )
            continue
        said = judge(reading, rule.measurement, bounds, rule.min_confidence)
        if said == "unclear":
            why = (
                m.note
                if m and m.note
                else f"confidence {confidence:.2f} below the {rule.min_confidence:.2f} it needs"
            )
            results.append(RuleResult(rule, "uncertain", value, confidence, bounds, why))
        else:
            results.append(
                RuleResult(rule, "fault" if said == "out" else "ok", value, confidence, bounds)
            )
    return results


def score(results: list[RuleResult]) -> int | None:
    """100 x (1 - sum of weight x penalty / sum of weight) over the rules that could be judged.

    weight: minor 1, moderate 2, major 3. penalty: 0 within bounds; past a bound it starts at
    0.5 and grows linearly to 1 at `tolerance` beyond it. None when no rule could be judged, or
    when a major rule could not be: a score over the minor rules alone would look like a pass.
    """
    if any(r.status == "uncertain" and r.rule.severity == "major" for r in results):
        return None
    judged = [r for r in results if r.status in ("ok", "fault")]
    if not judged:
        return None
    total = sum(r.rule.weight for r in judged)
    lost = sum(
        r.rule.weight * min(1.0, 0.5 + 0.5 * r.excess / r.rule.tolerance)
        for r in judged
        if r.status == "fault"
    )
    return round(100 * (1 - lost / total))
