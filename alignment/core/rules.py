"""Declarative pose rules: loading, validation and evaluation.

A rule file (TOML) describes one pose: the shape that must be present (`[[requirement]]`),
the mistakes to look for (`[[rule]]`), and the mistakes a camera cannot see
(`[[unobservable]]`). A new pose is a new file; this module holds no pose knowledge.
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

from alignment.core.measurements import DESCRIPTIONS
from alignment.core.reading import BodyReading
from alignment.settings import DEFAULT_LEVEL, DEFAULT_POSE, LEVELS, RULES_ENV

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

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


LABEL_PLACES = ("extended_knee", "bent_knee", "hips", "shoulders")


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

    def side_name(self, side: str) -> str:
        """E.g. "left leg extended"."""
        return self.side_label.format(side=side)

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


class _Fields:
    """Reads one TOML table, turning every problem into a RuleFileError that names the field."""

    def __init__(self, table: object, path: str, where: str) -> None:
        self.path, self.where = path, where
        if not isinstance(table, dict):
            self.fail(None, f"must be a table, got {type(table).__name__}")
        self.table: dict = table  # type: ignore[assignment]
        self.used: set[str] = set()

    def fail(self, name: str | None, problem: str) -> None:
        field_part = f", field '{name}'" if name else ""
        raise RuleFileError(f"{self.path}: {self.where}{field_part}: {problem}")

    def get(self, name: str, kind: type | tuple[type, ...], default: object = ...) -> object:
        self.used.add(name)
        if name not in self.table:
            if default is ...:
                self.fail(name, "is required")
            return default
        value = self.table[name]
        if kind in (float, (float,)) and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
            kinds = kind if isinstance(kind, tuple) else (kind,)
            expected = "/".join(k.__name__ for k in kinds)
            self.fail(name, f"must be {expected}, got {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            self.fail(name, f"must be a finite number, got {value!r}")
        if isinstance(value, str) and not value.strip():
            self.fail(name, "must not be empty")
        return value

    def measurement(self, name: str = "measurement") -> str:
        value = self.get(name, str)
        if value not in DESCRIPTIONS:
            self.fail(name, f"unknown measurement {value!r}; known: {', '.join(DESCRIPTIONS)}")
        return value  # type: ignore[return-value]

    def bounds(self, table: dict | None = None, name: str = "") -> Bounds:
        src = self if table is None else _Fields(table, self.path, f"{self.where}, {name}")
        lo = src.get("min", float, None)
        hi = src.get("max", float, None)
        if lo is None and hi is None:
            src.fail("min", "a bound is required: give min, max or both")
        if lo is not None and hi is not None and lo > hi:
            src.fail("min", f"min ({lo}) is greater than max ({hi})")
        if table is not None:
            src.done()
        return Bounds(lo, hi)  # type: ignore[arg-type]

    def confidence(self) -> float:
        value = self.get("min_confidence", float, 0.5)
        if not 0.0 <= value <= 1.0:  # type: ignore[operator]
            self.fail("min_confidence", f"must be between 0 and 1, got {value}")
        return value  # type: ignore[return-value]

    def done(self) -> None:
        unknown = sorted(set(self.table) - self.used)
        if unknown:
            self.fail(unknown[0], "unknown field (a typo?)")


def load_rules(path: str | os.PathLike) -> PoseRules:
    """Load and validate one rule file."""
    path = Path(path)
    name = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RuleFileError(f"{name}: rule file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RuleFileError(f"{name}: not valid TOML: {exc}") from None

    top = _Fields(data, name, "top level")
    pose = _Fields(top.get("pose", dict), name, "[pose]")
    pose_id = pose.get("id", str)
    pose_name = pose.get("name", str)
    has_sides = pose.get("sides", bool, False)
    side_label = pose.get("side_label", str, "{side} side")
    if "{side}" not in side_label:  # type: ignore[operator]
        pose.fail("side_label", "must contain {side}")
    pose.done()
    movement = _movement(top.get("movement", dict, None), name)
    display = _Fields(top.get("display", dict, {}), name, "[display]")
    summary = display.get("summary", list, [])
    for item in summary:  # type: ignore[union-attr]
        if item not in DESCRIPTIONS:
            display.fail("summary", f"unknown measurement {item!r}")
    labels = []
    for j, raw in enumerate(display.get("labels", list, [])):  # type: ignore[arg-type]
        lab = _Fields(raw, name, f"[display], label #{j + 1}")
        at = lab.get("at", str)
        if at not in LABEL_PLACES:
            lab.fail("at", f"must be one of {', '.join(LABEL_PLACES)}, got {at!r}")
        labels.append(Label(lab.measurement(), at, lab.get("text", str)))  # type: ignore[arg-type]
        lab.done()
    display.done()

    requirements = []
    for i, raw in enumerate(top.get("requirement", list, [])):  # type: ignore[arg-type]
        req = _Fields(raw, name, f"requirement #{i + 1}")
        requirements.append(
            Requirement(
                req.measurement(),
                req.bounds(),
                req.confidence(),
                req.get("missing", str),  # type: ignore[arg-type]
                _conditions(req, name, f"requirement #{i + 1}"),
                req.get("fitted", bool, False),  # type: ignore[arg-type]
                req.get("rejects_only", bool, False),  # type: ignore[arg-type]
            )
        )
        req.done()

    rules: list[Rule] = []
    for i, raw in enumerate(top.get("rule", list, [])):  # type: ignore[arg-type]
        label = f"rule #{i + 1}"
        if isinstance(raw, dict) and isinstance(raw.get("id"), str):
            label = f"rule '{raw['id']}'"
        r = _Fields(raw, name, label)
        rule_id = r.get("id", str)
        if any(existing.id == rule_id for existing in rules):
            r.fail("id", f"duplicate rule id {rule_id!r}")
        standard = r.bounds()
        bounds = {DEFAULT_LEVEL: standard}
        for level in LEVELS:
            if level != DEFAULT_LEVEL and level in r.table:
                r.used.add(level)
                bounds[level] = r.bounds(r.table[level], level)
        for level in LEVELS:
            bounds.setdefault(level, standard)
        severity = r.get("severity", str)
        if severity not in SEVERITY_WEIGHTS:
            r.fail("severity", f"must be one of {', '.join(SEVERITY_WEIGHTS)}, got {severity!r}")
        reference = standard.max if standard.max is not None else standard.min
        default_tol = max(abs(reference or 0.0) * 0.25, 0.05)
        tolerance = r.get("tolerance", float, default_tol)
        if tolerance <= 0:  # type: ignore[operator]
            r.fail("tolerance", "must be positive")
        when = _conditions(r, name, label)
        rules.append(
            Rule(
                id=rule_id,
                mistake=r.get("mistake", str),
                measurement=r.measurement(),  # type: ignore[arg-type]
                bounds=bounds,
                min_confidence=r.confidence(),
                severity=severity,  # type: ignore[arg-type]
                cue=r.get("cue", str),
                correction=r.get("correction", str),  # type: ignore[arg-type]
                source=r.get("source", str),
                tolerance=tolerance,
                when=tuple(when),  # type: ignore[arg-type]
                name=r.get("name", str, rule_id.replace("_", " ").capitalize()),  # type: ignore[arg-type, union-attr]
                check=r.get("check", str, f"your {r.table['measurement'].replace('_', ' ')}"),  # type: ignore[arg-type]
            )
        )
        r.done()

    unobservable = []
    for i, raw in enumerate(top.get("unobservable", list, [])):  # type: ignore[arg-type]
        u = _Fields(raw, name, f"unobservable #{i + 1}")
        unobservable.append(
            Unobservable(
                u.get("id", str),
                u.get("mistake", str),  # type: ignore[arg-type]
                u.get("reason", str),
                u.get("source", str),
            )
        )  # type: ignore[arg-type]
        u.done()
    top.done()
    if not rules:
        top.fail("rule", "the file defines no [[rule]]")
    measured = tuple(dict.fromkeys(r.measurement for r in rules))
    return PoseRules(
        pose_id,
        pose_name,
        has_sides,
        tuple(requirements),
        tuple(rules),  # type: ignore[arg-type]
        tuple(unobservable),
        name,
        side_label,
        movement,  # type: ignore[arg-type]
        tuple(summary) or measured,
        tuple(labels),  # type: ignore[arg-type]
    )


def _conditions(fields: _Fields, path: str, label: str) -> tuple[Condition, ...]:
    """The `when` list of a rule or a requirement."""
    conditions = []
    for j, raw in enumerate(fields.get("when", list, [])):  # type: ignore[arg-type]
        c = _Fields(raw, path, f"{label}, when #{j + 1}")
        conditions.append(Condition(c.measurement(), c.bounds(), c.confidence()))
        c.done()
    return tuple(conditions)


def _movement(table: dict | None, path: str) -> Movement | None:
    if table is None:
        return None
    m = _Fields(table, path, "[movement]")
    deeper = m.get("deeper", str)
    if deeper not in ("smaller", "larger"):
        m.fail("deeper", f"must be 'smaller' or 'larger', got {deeper!r}")
    movement = Movement(
        m.measurement(),
        deeper,
        m.get("start_beyond", float),
        m.get("rate", float),  # type: ignore[arg-type]
        m.get("min_asymmetry", float),  # type: ignore[arg-type]
    )
    if movement.rate <= 0:
        m.fail("rate", "must be positive")
    m.done()
    return movement


def rules_dir() -> Path:
    """$ALIGNMENT_RULES, else the copy installed with the package (a regular install), else
    the project's own rules/ folder (a source checkout or an editable install)."""
    if os.environ.get(RULES_ENV):
        return Path(os.environ[RULES_ENV])
    package = Path(__file__).resolve().parents[1]
    installed = package / "bundled_rules"
    if installed.is_dir():
        return installed
    return package.parent / "rules"


def available_poses() -> list[str]:
    return sorted(p.stem for p in rules_dir().glob("*.toml"))


def load_pose(name_or_path: str = DEFAULT_POSE, quality: str | None = None) -> PoseRules:
    """A pose by name (a file in rules_dir()) or by path to a rule file. With `quality`, the
    bounds fitted for that preset (fitted/<pose>.toml beside the rule file) replace the rule
    file's own for the requirements marked `fitted`."""
    candidate = Path(name_or_path)
    if candidate.is_dir():
        raise RuleFileError(f"{candidate}: is a folder; give a rule file (.toml) or a pose name")
    if candidate.suffix != ".toml" and not candidate.exists():
        candidate = rules_dir() / f"{name_or_path}.toml"
        if not candidate.exists():
            raise RuleFileError(
                f"{candidate}: no rule file for pose {name_or_path!r}; "
                f"known: {', '.join(available_poses())}"
            )
    pose = load_rules(candidate)
    fitted = candidate.parent / "fitted" / candidate.name
    if quality is None or not fitted.exists():
        return pose
    return _with_fitted_bounds(pose, fitted, quality)


def _with_fitted_bounds(pose: PoseRules, path: Path, quality: str) -> PoseRules:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RuleFileError(f"{path}: not valid TOML: {exc}") from None
    table = _Fields(data.get(quality, {}), str(path), f"[{quality}]")
    requirements = []
    for req in pose.requirements:
        if req.fitted and req.measurement in table.table:
            table.used.add(req.measurement)
            bounds = table.bounds(table.table[req.measurement], req.measurement)
            req = replace(req, bounds=bounds)
        requirements.append(req)
    table.done()  # an entry for a requirement that is not fitted is a mistake
    return replace(pose, requirements=tuple(requirements))


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
