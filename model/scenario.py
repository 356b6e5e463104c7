"""Scenarios: a YAML file → a validated, typed `Scenario`, or a `ScenarioError` listing every problem.

Each problem names its path in the file (`departments.traffic_police.crews: must be ≥ 1, got 0`).
"""
from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from streetchief.distributions import ZERO, Duration



def shipped() -> Path:
    """The folder of the shipped scenarios (package data: in the checkout, or wherever it was installed)."""
    from importlib.resources import files

    return Path(str(files("streetchief.scenarios")))


SCENARIO_DIR = shipped()
_HOURS = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)-([01]?\d|2[0-4]):([0-5]\d)$")


class ScenarioError(Exception):
    """A scenario that cannot be run; `problems` is a list of 'path: what is wrong' lines."""
    what = "scenario"       # what kind of input, for messages

    def __init__(self, source: str, problems: list[str]):
        self.source, self.problems = source, problems
        lines = "\n".join(f"  {p}" for p in problems)
        n = len(problems)
        super().__init__(f"{source}: {n} problem{'s' * (n != 1)}:\n{lines}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Calendar(_Strict):
    """Weekly open hours; `always: true` for around the clock."""
    always: bool = Field(False, description="open around the clock")
    weekly: dict[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], list[str]] = Field(
        {}, description="per weekday, open spans such as '08:30-12:00'")
    source: str = "assumption"

    @field_validator("weekly")
    @classmethod
    def _hours(cls, v):
        for day, spans in v.items():
            for span in spans:
                m = _HOURS.match(span)
                if not m:
                    raise ValueError(f"{day}: {span!r} is not a span like '08:30-12:00'")
                a, b = int(m[1]) + int(m[2]) / 60, int(m[3]) + int(m[4]) / 60
                if b <= a:
                    raise ValueError(f"{day}: {span!r} ends before it starts")
        return v

    @model_validator(mode="after")
    def _something_open(self):
        if not self.always and not any(self.weekly.values()):
            raise ValueError("give weekly open hours or always: true")
        return self

    def spans(self) -> dict[str, list[tuple[float, float]]] | None:
        if self.always:
            return None
        out = {}
        for day, spans in self.weekly.items():
            out[day] = []
            for span in spans:
                a, b = span.split("-")
                out[day].append(tuple(int(x) + int(y) / 60 for x, y in (a.split(":"), b.split(":"))))
        return out


class Zone(_Strict):
    """A road or scenic area."""
    name: str = Field(description="the zone's name as people say it")
    kind: Literal["road", "scenic_area", "area"] = "road"
    merchants: int = Field(ge=1, description="merchants along it (shops, enterprises, schools, banks, agencies)")
    weight: float = Field(1.0, ge=0, allow_inf_nan=False, description="relative share of problems arising here")
    liaison_group: str = Field(description="key of its liaison group (联络群)")
    chief: str = Field(description="key of its street chief (街长)")
    boundary_share: float = Field(0.0, ge=0, le=1, description="share of its issues on an unclear territorial boundary")


class Chief(_Strict):
    """A district leader serving as street chief (街长)."""
    title: str = Field("", description="the leader's post, e.g. 副区长")
    calendar: str = Field(description="hours available for this duty")


class LiaisonGroup(_Strict):
    """A WeChat liaison group (联络群) with one liaison officer."""
    name: str = ""


class Department(_Strict):
    """A responsible unit and its crews."""
    name: str
    crews: int = Field(ge=1, description="crews on the working calendar")
    calendar: str = Field(description="key of the calendar its crews work")
    on_call_crews: int = Field(0, ge=0, description="crews on call around the clock for urgent categories")
    travel: Duration = Field(ZERO, description="hours for a crew to reach the site")
    source: str = "assumption"


class Category(_Strict):
    """A kind of problem and who is responsible for it (谁主管谁负责)."""
    name: str
    department: str = Field(description="key of the responsible department")
    rate_per_day: float = Field(ge=0, allow_inf_nan=False,
                                description="problems arising per day, district-wide, on an average ordinary day")
    profile: str | None = Field(None, description="key of its hour-of-day profile in arrivals.profiles "
                                                  "(default: arrivals.default_profile)")
    work: Duration = Field(description="hours of crew work on site")
    deadline_hours: float = Field(gt=0, allow_inf_nan=False, description="限期整改: time allowed to resolve")
    unclear_share: float = Field(0.0, ge=0, le=1, description="share with unclear responsibility")
    frontage: bool = Field(False, description="门前三包: merchants may fix it themselves")
    urgent: bool = Field(False, description="handled by on-call crews at night")
    source: str = "assumption"


class Reporting(_Strict):
    """How willing merchants are to report a problem they see, and how that adapts."""
    initial_willingness: float = Field(ge=0, le=1, description="chance a merchant reports a problem it sees")
    adaptive: bool = Field(True, description="willingness follows experience")
    min_willingness: float = Field(0.1, ge=0, le=1, description="floor of the willingness")
    learning_rate: float = Field(0.2, ge=0, le=1, description="step towards 1 (served) or the floor (ignored)")
    satisfied_ack_hours: float = Field(2.0, gt=0, description="acknowledged within this feels heard")
    satisfied_resolution_hours: float = Field(72.0, gt=0, description="resolved within this feels served")


class Merchants(_Strict):
    reporting: Reporting
    frontage_self_fix_share: float = Field(0.0, ge=0, le=1, description="share of 门前三包 problems merchants fix themselves")


_WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class Burst(_Strict):
    """Many problems of one kind at once, e.g. a storm knocks out street lights in one night."""
    start: datetime = Field(description="local date and time it begins")
    hours: float = Field(gt=0, allow_inf_nan=False, description="how long it lasts")
    category: str = Field(description="key of the category")
    zone: str | None = Field(None, description="key of the zone, or none for zones by weight")
    expected: float = Field(gt=0, le=1e7, allow_inf_nan=False, description="expected extra problems (Poisson)")


class Arrivals(_Strict):
    """When problems arise: a non-homogeneous Poisson process, piecewise constant by clock hour.

    Intensity of category c at time t = rate_per_day / 24 × profile_c[hour] × day_of_week[weekday]
    × holiday_factor (on holidays) × (1 + trend_per_year) ^ years, plus bursts. Profiles and the
    weekday factors are normalised to mean 1, so rate_per_day stays the mean on ordinary days."""
    profiles: dict[str, list[float]] = Field({}, description="named hour-of-day profiles, 24 relative weights from 00:00")
    default_profile: str = Field("flat", description="profile of categories that name none ('flat': even)")
    day_of_week: dict[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], float] = Field(
        {}, description="relative volume per weekday (missing days: 1)")
    holiday_factor: float = Field(1.0, ge=0, le=10, allow_inf_nan=False, description="volume on public holidays, relative")
    trend_per_year: float = Field(0.0, gt=-1, le=10, allow_inf_nan=False, description="growth of volume a year, e.g. 0.05")
    bursts: list[Burst] = Field([], description="one-off surges of problems")
    source: str = "assumption"

    @field_validator("profiles")
    @classmethod
    def _profiles(cls, v):
        for name, weights in v.items():
            if len(weights) != 24:
                raise ValueError(f"{name}: needs 24 hourly weights (00:00 to 23:00), got {len(weights)}")
            if any(not (w >= 0 and w < float("inf")) for w in weights) or not sum(weights) > 0:
                raise ValueError(f"{name}: weights must be finite, ≥ 0 and not all 0")
        return v

    @field_validator("day_of_week")
    @classmethod
    def _days(cls, v):
        for day, w in v.items():
            if not (w >= 0 and w < float("inf")):
                raise ValueError(f"{day}: must be a finite number ≥ 0, got {w!r}")
        return v

    def hour_profile(self, name: str | None) -> list[float]:
        """Normalised to mean 1."""
        w = self.profiles.get(name or self.default_profile, [1.0] * 24)
        return [x * 24 / sum(w) for x in w]

    def weekday_factors(self) -> list[float]:
        """mon..sun, normalised to mean 1 (all zero stays zero)."""
        w = [self.day_of_week.get(d, 1.0) for d in _WEEKDAYS]
        total = sum(w)
        return [x * 7 / total if total else 0.0 for x in w]


class Run(_Strict):
    start: datetime = Field(description="calendar date and time of hour 0")
    days: float = Field(gt=0, le=100_000, allow_inf_nan=False, description="simulated days")
    seed: int = Field(0, ge=0, description="default random seed")
    backlog_sample_hours: float = Field(24.0, gt=0, description="hours between samples of the open-issue count")
    timezone: str = Field("UTC", description="IANA time zone of the district; times with an offset in issue logs "
                                             "are converted to it")

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v):
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}; write an IANA name such as Asia/Shanghai or "
                             "America/New_York") from None
        return v


class Scenario(_Strict):
    name: str = Field(description="short name, used in results")
    description: str = Field("", description="one line shown by `streetchief scenarios`")
    run: Run
    calendars: dict[str, Calendar]
    holidays: list[date] = Field([], description="public holidays: closed whatever the weekly hours")
    workdays: list[date] = Field([], description="make-up working days (调休) on weekends")
    zones: dict[str, Zone] = Field(min_length=1)
    chiefs: dict[str, Chief] = Field(min_length=1)
    liaison_groups: dict[str, LiaisonGroup] = Field(min_length=1)
    departments: dict[str, Department] = Field(min_length=1)
    categories: dict[str, Category] = Field(min_length=1)
    merchants: Merchants
    arrivals: Arrivals = Field(default_factory=Arrivals, description="when problems arise (hour, weekday, trend, bursts)")
    arrangements: dict[str, dict[str, Any]] = Field(min_length=1)
    _arrangement_params: dict = PrivateAttr(default_factory=dict)

    # typed parameters of each arrangement, validated by the arrangement's own schema
    def arrangement_params(self, name: str):
        return self._arrangement_params[name]

    @property
    def arrangement_names(self) -> list[str]:
        return list(self.arrangements)


def _section(raw: dict, name: str) -> dict:
    v = raw.get(name)
    return v if isinstance(v, dict) else {}


def known_names(raw: dict) -> dict[str, set[str]]:
    """The names each section defines, for checking references even where other fields are malformed."""
    return {k: set(_section(raw, k)) for k in ("calendars", "zones", "chiefs", "liaison_groups", "departments",
                                                 "categories")}


def _reference_problems(raw: dict) -> list[str]:
    known = known_names(raw)
    problems = []

    def need(path, value, section, what):
        if isinstance(value, str) and known[section] and value not in known[section]:
            problems.append(f"{path}: unknown {what} {value!r}; known: {', '.join(sorted(known[section]))}")

    for k, z in _section(raw, "zones").items():
        if isinstance(z, dict):
            need(f"zones.{k}.liaison_group", z.get("liaison_group"), "liaison_groups", "liaison group")
            need(f"zones.{k}.chief", z.get("chief"), "chiefs", "chief")
    for k, c in _section(raw, "chiefs").items():
        if isinstance(c, dict):
            need(f"chiefs.{k}.calendar", c.get("calendar"), "calendars", "calendar")
    for k, d in _section(raw, "departments").items():
        if isinstance(d, dict):
            need(f"departments.{k}.calendar", d.get("calendar"), "calendars", "calendar")
    for k, c in _section(raw, "categories").items():
        if isinstance(c, dict):
            need(f"categories.{k}.department", c.get("department"), "departments", "department")
    arr = raw.get("arrivals") if isinstance(raw.get("arrivals"), dict) else {}
    profiles = set(arr.get("profiles") or {}) | {"flat"} if isinstance(arr.get("profiles") or {}, dict) else {"flat"}
    for k, c in _section(raw, "categories").items():
        if isinstance(c, dict) and isinstance(c.get("profile"), str) and c["profile"] not in profiles:
            problems.append(f"categories.{k}.profile: unknown profile {c['profile']!r}; known: "
                            f"{', '.join(sorted(profiles))} (define it under arrivals.profiles)")
    if isinstance(arr.get("default_profile"), str) and arr["default_profile"] not in profiles:
        problems.append(f"arrivals.default_profile: unknown profile {arr['default_profile']!r}; known: "
                        f"{', '.join(sorted(profiles))}")
    for n, b in enumerate(arr.get("bursts") or [] if isinstance(arr.get("bursts") or [], list) else []):
        if isinstance(b, dict):
            need(f"arrivals.bursts.{n}.category", b.get("category"), "categories", "category")
            need(f"arrivals.bursts.{n}.zone", b.get("zone"), "zones", "zone")
    rates = [c.get("rate_per_day") for c in _section(raw, "categories").values() if isinstance(c, dict)]
    if rates and all(isinstance(r, (int, float)) and r == 0 for r in rates):
        problems.append("categories: every rate_per_day is 0, so no problem would ever arise")
    weights = [z.get("weight", 1) for z in _section(raw, "zones").values() if isinstance(z, dict)]
    if weights and all(isinstance(w, (int, float)) and w == 0 for w in weights):
        problems.append("zones: every weight is 0, so no zone can have a problem")
    return problems


def _allowed_keys(root: type[BaseModel], loc: tuple) -> list[str] | None:
    """The keys a mapping at `loc` may hold, found by walking the schema."""
    import typing
    node = root
    for part in loc:
        if isinstance(node, type) and issubclass(node, BaseModel):
            field = node.model_fields.get(part) or next(
                (f for f in node.model_fields.values() if f.alias == part), None)
            if field is None:
                return None
            node = field.annotation
            continue
        origin, args = typing.get_origin(node), typing.get_args(node)
        if origin in (dict, list) and args:
            node = args[-1]
        else:
            return None
    if isinstance(node, type) and issubclass(node, BaseModel):
        return [f.alias or k for k, f in node.model_fields.items()]
    return None


def _describe(err: dict, root: type[BaseModel] | None = None) -> str:
    path = ".".join(str(p) for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    kind, ctx, got = err["type"], err.get("ctx", {}), err.get("input")
    bounds = {"greater_than_equal": "≥ {ge:g}", "greater_than": "> {gt:g}", "less_than_equal": "≤ {le:g}",
              "less_than": "< {lt:g}"}
    if kind in bounds:
        msg = f"must be {bounds[kind].format(**ctx)}, got {got!r}"
    elif kind == "extra_forbidden":
        allowed = _allowed_keys(root or Scenario, tuple(err["loc"][:-1]))
        msg = "unknown key" + (f"; allowed here: {', '.join(allowed)}" if allowed else "")
    elif kind == "missing":
        msg = "required, missing"
    elif kind == "union_tag_invalid" or kind == "union_tag_not_found":
        msg = f"dist must be one of fixed, exponential, lognormal, gamma, uniform, empirical; got {got!r}"
    elif kind == "literal_error":
        msg = f"must be one of {ctx.get('expected')}, got {got!r}"
    elif kind.startswith(("datetime", "date_")):
        msg = f"{err['msg']}, got {got!r} (write e.g. 2019-10-14T00:00 or 2019-10-14)"
    else:
        msg = err["msg"].removeprefix("Value error, ")
        if got is not None and not isinstance(got, (dict, list)):
            msg += f", got {got!r}"
    return f"{path or '(top level)'}: {msg}"


def resolve_path(name_or_path: str | Path) -> Path:
    """A scenario name (`jingxing_2019`) or a path to a YAML file."""
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") or p.exists():
        return p
    for base in (Path.cwd() / "scenarios", SCENARIO_DIR):
        q = base / f"{p.name}.yaml"
        if q.exists():
            return q
    known = sorted(f.stem for f in SCENARIO_DIR.glob("*.yaml"))
    raise ScenarioError(str(name_or_path), [f"no such scenario file; shipped scenarios: {', '.join(known)}"])


def load_scenario(name_or_path: str | Path | dict, **overrides) -> Scenario:
    """Load and validate a scenario; `overrides` are dotted paths, e.g. `{'run.days': 30}`."""
    if isinstance(name_or_path, dict):
        source, raw = "<dict>", name_or_path
    else:
        path = resolve_path(name_or_path)
        source = str(path)
        raw = read_yaml_mapping(path, ScenarioError, "sections (name, run, zones, ...)")
        if "scenario" in raw and "zones" not in raw:
            raise ScenarioError(source, ["this is a sweep spec, not a scenario: run it with `streetchief sweep "
                                         f"{path}`"])
    raw = _apply_overrides(raw, overrides, source)
    return validate(raw, source)


def read_yaml_mapping(path: Path, error: type[ScenarioError], holds: str) -> dict:
    """A YAML file that must be a mapping, read safely; any problem raises `error` with the line and column."""
    source = str(path)
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise error(source, [f"cannot read: {e}"]) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise error(source, [f"{where}not valid YAML ({getattr(e, 'problem', e)})"]) from None
    if not isinstance(raw, dict):
        raise error(source, [f"(top level): must be a mapping of {holds}"])
    return raw


def validate(raw: dict, source: str = "<dict>") -> Scenario:
    from streetchief.arrangements import ARRANGEMENTS

    problems: list[str] = []
    scenario = None
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as e:
        problems.extend(_describe(err) for err in e.errors())
    problems.extend(_reference_problems(raw))
    known = known_names(raw)
    params = {}
    for name, body in (raw.get("arrangements") or {}).items() if isinstance(raw.get("arrangements"), dict) else ():
        cls = ARRANGEMENTS.get(name)
        if cls is None:
            problems.append(f"arrangements.{name}: unknown arrangement; known: {', '.join(sorted(ARRANGEMENTS))}")
            continue
        try:
            params[name] = cls.Params.model_validate(body or {})
        except ValidationError as e:
            for err in e.errors():
                d = _describe(err, cls.Params).removeprefix("(top level)")
                problems.append(f"arrangements.{name}{'' if d.startswith(':') else '.'}{d}")
            continue
        problems.extend(params[name].check(known, f"arrangements.{name}"))
    if problems:
        raise ScenarioError(source, problems)
    scenario._arrangement_params = params
    return scenario


def _apply_overrides(raw: dict, overrides: dict, source: str) -> dict:
    import copy
    raw = copy.deepcopy(raw)
    for dotted, value in overrides.items():
        node = raw
        keys = dotted.split(".")
        for k in keys[:-1]:
            if isinstance(node, list) and k.isdigit() and int(k) < len(node):
                node = node[int(k)]
            elif isinstance(node, dict) and k in node:
                node = node[k]
            else:
                raise ScenarioError(source, [f"{dotted}: no such place in the scenario (stops at {k!r})"])
        last = keys[-1]
        if isinstance(node, list) and last.isdigit():
            node[int(last)] = value
        else:
            node[last] = value
    return raw


def parameter_reference() -> list[tuple[str, str, str, str]]:
    """(path, type, default, description) for every scenario parameter, arrangements included."""
    import typing

    from streetchief.arrangements import ARRANGEMENTS

    rows: list[tuple[str, str, str, str]] = []

    from streetchief.distributions import _Dist

    def is_duration(t) -> bool:
        return typing.get_origin(t) is typing.Union and all(
            isinstance(a, type) and issubclass(a, _Dist) for a in typing.get_args(t))

    def type_name(t) -> str:
        origin, args = typing.get_origin(t), typing.get_args(t)
        if is_duration(t):
            return "duration (h)"
        if origin is typing.Literal:
            return " | ".join(args)
        if origin is list:
            return f"list of {type_name(args[0])}"
        if origin is dict:
            key, value = args
            if typing.get_origin(key) is typing.Literal:
                return f"per weekday: {type_name(value)}"
            return f"name → {type_name(value)}"
        return t.__name__ if isinstance(t, type) else str(t)

    def default_of(f) -> str:
        if f.is_required():
            return "required"
        v = f.get_default(call_default_factory=True)
        if isinstance(v, _Dist):
            return v.model_dump_json(by_alias=True, exclude_defaults=False)
        return repr(v) if v not in ({}, [], "") else "—"

    def walk(model: type[BaseModel], prefix: str):
        for key, f in model.model_fields.items():
            name = f.alias or key
            t = f.annotation
            origin, args = typing.get_origin(t), typing.get_args(t)
            default = default_of(f)
            if isinstance(t, type) and issubclass(t, BaseModel):
                rows.append((f"{prefix}{name}", "section", "", f.description or t.__doc__ or ""))
                walk(t, f"{prefix}{name}.")
            elif origin in (dict, list) and isinstance(args[-1], type) and issubclass(args[-1], BaseModel):
                item = "<name>" if origin is dict else "<n>"
                rows.append((f"{prefix}{name}", f"{origin.__name__} of {args[-1].__name__}", "",
                             f.description or (args[-1].__doc__ or "").strip().split("\n")[0]))
                walk(args[-1], f"{prefix}{name}.{item}.")
            elif prefix == "" and name == "arrangements":
                for arr, cls in ARRANGEMENTS.items():
                    rows.append((f"arrangements.{arr}", "section", "", (cls.__doc__ or "").strip().split("\n")[0]))
                    walk(cls.Params, f"arrangements.{arr}.")
            else:
                rows.append((f"{prefix}{name}", type_name(t), default, f.description or ""))

    walk(Scenario, "")
    return rows
