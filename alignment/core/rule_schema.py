"""The schema of a rule file, as pydantic models: every field, its type, its bounds, and no
field that is not here (a typo is an error). `rules.parse_rules` validates a file with it and
turns pydantic's errors into one line that names the file, the entry and the field;
`python -m alignment.core.rule_schema` prints it as JSON Schema (for an editor's completion and
checks of a new pose's file)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError, to_json

from alignment.core.measurements import DESCRIPTIONS

Text = Annotated[str, Field(pattern=r"\S")]  # not empty, not only spaces
Number = Annotated[float, Field(allow_inf_nan=False)]
Confidence = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Severity = Literal["minor", "moderate", "major"]
LabelPlace = Literal["extended_knee", "bent_knee", "hips", "shoulders"]


def _known_measurement(value: str) -> str:
    if value not in DESCRIPTIONS:
        raise PydanticCustomError(
            "measurement",
            "unknown measurement {value}; known: {known}",
            {"value": repr(value), "known": ", ".join(DESCRIPTIONS)},
        )
    return value


def _check_bound(low: float | None, high: float | None) -> None:
    if low is None and high is None:
        raise PydanticCustomError(
            "bound", "a bound is required: give min, max or both", {"field": "min"}
        )
    if low is not None and high is not None and low > high:
        raise PydanticCustomError(
            "bound",
            "min ({low}) is greater than max ({high})",
            {"field": "min", "low": low, "high": high},
        )


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Measured(_Entry):
    measurement: str

    @field_validator("measurement")
    @classmethod
    def _known(cls, value: str) -> str:
        return _known_measurement(value)


class BoundsSpec(_Entry):
    min: Number | None = None
    max: Number | None = None

    @model_validator(mode="after")
    def _a_bound(self) -> BoundsSpec:
        _check_bound(self.min, self.max)
        return self


class ConditionSpec(_Measured):
    """`when`: the rule (or requirement) applies only while this holds."""

    min: Number | None = None
    max: Number | None = None
    min_confidence: Confidence = 0.5

    @model_validator(mode="after")
    def _a_bound(self) -> ConditionSpec:
        _check_bound(self.min, self.max)
        return self


class RequirementSpec(ConditionSpec):
    """What must be there to be in the pose at all."""

    missing: Text
    when: list[ConditionSpec] = []
    fitted: bool = False
    rejects_only: bool = False


class RuleSpec(ConditionSpec):
    """One mistake; `gentle` and `strict` override the bounds for those levels."""

    id: Text
    name: Text | None = None  # the mistake in plain words (default: from the id)
    check: Text | None = None  # what it looks at, neutrally, for what could not be judged
    mistake: Text
    severity: Severity
    cue: Text
    correction: Text
    source: Text
    tolerance: Annotated[float, Field(gt=0.0, allow_inf_nan=False)] | None = None
    when: list[ConditionSpec] = []
    gentle: BoundsSpec | None = None
    strict: BoundsSpec | None = None


class UnobservableSpec(_Entry):
    id: Text
    mistake: Text
    reason: Text
    source: Text


class PoseSpec(_Entry):
    id: Text
    name: Text
    sides: bool = False
    side_label: Text = "{side} side"
    # The legs lie together (both straight): seen side-on, one hides the other, and the hidden
    # one lies along the visible one (Dandasana, Paschimottanasana). Janu's do not.
    legs_may_overlap: bool = False

    @field_validator("side_label")
    @classmethod
    def _names_the_side(cls, value: str) -> str:
        if "{side}" not in value:
            raise PydanticCustomError("side_label", "must contain {token}", {"token": "{side}"})
        return value


class MovementSpec(_Measured):
    deeper: Literal["smaller", "larger"]
    start_beyond: Number
    rate: Annotated[float, Field(gt=0.0, allow_inf_nan=False)]
    min_asymmetry: Number


class LabelSpec(_Measured):
    at: LabelPlace
    text: Text


class DisplaySpec(_Entry):
    summary: list[str] = []
    labels: list[LabelSpec] = []

    @field_validator("summary")
    @classmethod
    def _all_known(cls, value: list[str]) -> list[str]:
        for name in value:
            if name not in DESCRIPTIONS:
                raise PydanticCustomError(
                    "measurement", "unknown measurement {name}", {"name": repr(name)}
                )
        return value


class RuleFileSpec(_Entry):
    """A whole rule file."""

    pose: PoseSpec
    movement: MovementSpec | None = None
    display: DisplaySpec = DisplaySpec()
    requirement: list[RequirementSpec] = []
    rule: list[RuleSpec] = []
    unobservable: list[UnobservableSpec] = []


def json_schema() -> dict[str, Any]:
    return RuleFileSpec.model_json_schema()


# ---------------------------------------------------------------------------- messages

_ENTRIES = {"rule": "rule", "requirement": "requirement", "unobservable": "unobservable"}
_SECTIONS = ("pose", "movement", "display")


def error_lines(error: ValidationError, data: Any) -> list[str]:
    """Each of pydantic's errors as "<entry>, field '<name>': <problem>"."""
    return [_line(item, data) for item in error.errors()]


def _line(item: dict[str, Any], data: Any) -> str:
    loc = list(item["loc"])
    ctx = item.get("ctx") or {}
    field = ctx.get("field")
    if field is None and loc and isinstance(loc[-1], str):
        field = loc.pop()
    where = _where(loc, data)
    field_part = f", field '{field}'" if field else ""
    return f"{where}{field_part}: {_problem(item)}"


def _where(loc: list[Any], data: Any) -> str:
    parts: list[str] = []
    node = data
    i = 0
    while i < len(loc):
        key = loc[i]
        nxt = loc[i + 1] if i + 1 < len(loc) else None
        child = node.get(key) if isinstance(node, dict) else None
        if key in _ENTRIES and isinstance(nxt, int) and not parts:
            entry = child[nxt] if isinstance(child, list) and nxt < len(child) else None
            if key == "rule" and isinstance(entry, dict) and isinstance(entry.get("id"), str):
                parts.append(f"rule '{entry['id']}'")
            else:
                parts.append(f"{key} #{nxt + 1}")
            node, i = entry, i + 2
        elif key in ("when", "labels") and isinstance(nxt, int):
            parts.append(f"{'label' if key == 'labels' else key} #{nxt + 1}")
            node = child[nxt] if isinstance(child, list) and nxt < len(child) else None
            i += 2
        elif key in _SECTIONS and not parts:
            parts.append(f"[{key}]")
            node, i = child, i + 1
        else:
            parts.append(str(key))
            node, i = child, i + 1
    return ", ".join(parts) or "top level"


def _problem(item: dict[str, Any]) -> str:
    kind, got, ctx = item["type"], item.get("input"), item.get("ctx") or {}
    plain = {
        "missing": "is required",
        "extra_forbidden": "unknown field (a typo?)",
        "string_pattern_mismatch": "must not be empty",
        "finite_number": f"must be a finite number, got {got!r}",
        "greater_than": "must be positive",
        "model_type": f"must be a table, got {type(got).__name__}",
        "model_attributes_type": f"must be a table, got {type(got).__name__}",
    }
    if kind in plain:
        return plain[kind]
    if kind in ("greater_than_equal", "less_than_equal"):
        return f"must be between 0 and 1, got {got!r}"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '')}, got {got!r}"
    for name in ("float", "string", "bool", "list", "dict"):
        if kind in (f"{name}_type", f"{name}_parsing"):
            shown = {"string": "str", "dict": "a table"}.get(name, name)
            return f"must be {shown}, got {got!r}"
    return str(item["msg"])


if __name__ == "__main__":
    print(to_json(json_schema(), indent=2).decode())
