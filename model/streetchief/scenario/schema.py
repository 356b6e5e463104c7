"""The scenario file's sections as typed, validated classes (each a `…Spec`), and the `Scenario`
itself.

Every value has a description (`streetchief parameters` lists them) and its limits; loading and the
messages about what is wrong are in `load.py`.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from streetchief.distributions import ZERO, Duration
from streetchief.scenario.ranges import UncertainRange

_CLOCK = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")
MAX_DAYS = 100_000  # the longest run, in the scenario and on the command line alike
MAX_SEED = 2**62  # seeds and seed + replication stay within a Parquet int64
FIRST_YEAR, LAST_YEAR = 1900, 2200  # a run's start: its calendar must fit Python's dates


def clock_time(text: str) -> float:
    """'HH:MM' (00:00 to 24:00) as hours after midnight; ValueError saying what is allowed."""
    m = _CLOCK.match(text.strip()) if isinstance(text, str) else None
    if not m or (int(m[1]) == 24 and int(m[2]) != 0):
        raise ValueError(f"{text!r} is not a clock time from 00:00 to 24:00 (HH:MM)")
    return int(m[1]) + int(m[2]) / 60


def clock_span(text: str, wraps: bool = False) -> tuple[float, float]:
    """'HH:MM-HH:MM' as (from, to) hours; it may run past midnight ('22:00-07:00') if `wraps`,
    else it must end after it starts. ValueError saying what is wrong."""
    parts = text.split("-") if isinstance(text, str) else []
    if len(parts) != 2:
        raise ValueError(f"{text!r} is not a span like '08:30-12:00'")
    a, b = clock_time(parts[0]), clock_time(parts[1])
    if a == b or (not wraps and b < a):
        raise ValueError(f"{text!r} ends before it starts" if b < a else f"{text!r} is empty")
    return a, b


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class CalendarSpec(_Strict):
    """Weekly open hours; `always: true` for around the clock."""

    always: bool = Field(False, description="open around the clock")
    weekly: dict[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], list[str]] = Field(
        {}, description="per weekday, open spans such as '08:30-12:00'"
    )
    source: str = Field(
        "assumption",
        description="where the values come from: seed, cal (a published figure), log or assumption",
    )

    @field_validator("weekly")
    @classmethod
    def _hours(cls, v):
        for day, spans in v.items():
            for span in spans:
                try:
                    clock_span(span)
                except ValueError as e:
                    raise ValueError(f"{day}: {e}") from None
            hours = sorted((clock_span(span), span) for span in spans)
            for ((_, end), first), ((start, _), second) in zip(hours, hours[1:], strict=False):
                if start < end:  # a working day's spans, one after another: none inside another
                    raise ValueError(
                        f"{day}: {first!r} and {second!r} overlap; give each open hour once"
                    )
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
                out[day].append(
                    tuple(int(x) + int(y) / 60 for x, y in (a.split(":"), b.split(":")))
                )
        return out


class ZoneSpec(_Strict):
    """A road or scenic area."""

    name: str = Field(description="the zone's name as people say it")
    kind: Literal["road", "scenic_area", "area"] = Field(
        "road", description="what sort of place it is"
    )
    merchants: int = Field(
        ge=1, description="merchants along it (shops, enterprises, schools, banks, agencies)"
    )
    weight: float = Field(
        1.0, ge=0, allow_inf_nan=False, description="relative share of problems arising here"
    )
    liaison_group: str = Field(description="key of its liaison group (联络群)")
    chief: str = Field(description="key of its street chief (街长)")
    boundary_share: float = Field(
        0.0, ge=0, le=1, description="share of its issues on an unclear territorial boundary"
    )


class ChiefSpec(_Strict):
    """A district leader serving as street chief (街长)."""

    title: str = Field("", description="the leader's post, e.g. 副区长")
    calendar: str = Field(description="hours available for this duty")


class LiaisonGroupSpec(_Strict):
    """A WeChat liaison group (联络群) with one liaison officer."""

    name: str = Field("", description="the group's name")


class DepartmentResponseSpec(_Strict):
    """How a department takes an issue on once it reaches it, whatever arrangement brought it there:
    the same under every arrangement. An arrangement changes it only through a parameter of its own,
    named and sourced (`department_calendar`, `department_time_limit_hours`); a department may set
    any of these for itself under `departments.<key>.response`."""

    take_on: Duration = Field(
        ZERO,
        description="hours of the department's own time to take an issue on once it reaches it: "
        "claim it in a liaison group, sign for a work order, accept a forwarded case",
    )
    calendar: str = Field(
        "own",
        description="when it takes issues on: own (its crews' calendar), always, "
        "or a calendar's key",
    )
    pass_back: Duration = Field(
        ZERO,
        description="hours of its time to send back an issue that is not its own (退单), "
        "or to pass on one whose responsibility is unclear (推诿)",
    )
    sanction_factor: float = Field(
        0.5,
        gt=0,
        le=1,
        description="multiplier on its take-on and pass-back times while it is sanctioned",
    )
    acceptance_hours: float = Field(
        0.0,
        ge=0,
        le=24,
        description="hours of its staff per issue taken on (the ledger's department acceptance)",
    )
    fix_fails: float = Field(
        0.0,
        ge=0,
        lt=1,
        description="share of fixes that do not hold: found out when the result is reported back, "
        "and the issue reopens",
    )
    cancelled: float = Field(
        0.0,
        ge=0,
        le=1,
        description="share of issues closed without a fix when it takes them on because the "
        "reporter withdrew them",
    )
    no_action: float = Field(
        0.0,
        ge=0,
        le=1,
        description="share of issues closed without a fix when it takes them on: nothing it can or "
        "need do",
    )
    source: str = Field(
        "assumption",
        description="where the values come from: seed, cal (a published figure), log or assumption",
    )

    @model_validator(mode="after")
    def _closures(self):
        if self.cancelled + self.no_action > 1:
            raise ValueError("cancelled + no_action must be at most 1")
        return self


class DepartmentResponseOverride(_Strict):
    """A department's own values for any of `department_response`'s (the rest from there)."""

    take_on: Duration | None = Field(None, description="as department_response.take_on")
    calendar: str | None = Field(None, description="as department_response.calendar")
    pass_back: Duration | None = Field(None, description="as department_response.pass_back")
    sanction_factor: float | None = Field(
        None, gt=0, le=1, description="as department_response.sanction_factor"
    )
    acceptance_hours: float | None = Field(
        None, ge=0, le=24, description="as department_response.acceptance_hours"
    )
    fix_fails: float | None = Field(
        None, ge=0, lt=1, description="as department_response.fix_fails"
    )
    cancelled: float | None = Field(
        None, ge=0, le=1, description="as department_response.cancelled"
    )
    no_action: float | None = Field(
        None, ge=0, le=1, description="as department_response.no_action"
    )
    source: str | None = Field(None, description="where these values come from")


class DepartmentSpec(_Strict):
    """A responsible unit and its crews."""

    name: str = Field(description="the department's name")
    crews: int = Field(ge=1, description="crews on the working calendar")
    calendar: str = Field(description="key of the calendar its crews work")
    on_call_crews: int = Field(
        0, ge=0, description="crews on call around the clock for urgent categories"
    )
    travel: Duration = Field(ZERO, description="hours for a crew to reach the site")
    response: DepartmentResponseOverride = Field(
        default_factory=DepartmentResponseOverride,
        description="its own values for how it takes issues on (default: department_response)",
    )
    source: str = Field(
        "assumption",
        description="where the values come from: seed, cal (a published figure), log or assumption",
    )


class CategorySpec(_Strict):
    """A kind of problem and who is responsible for it (谁主管谁负责)."""

    name: str = Field(description="the category's name as people say it")
    department: str = Field(description="key of the responsible department")
    rate_per_day: float = Field(
        ge=0,
        allow_inf_nan=False,
        description="problems arising per day, district-wide, on an average ordinary day",
    )
    profile: str | None = Field(
        None,
        description="key of its hour-of-day profile in arrivals.profiles (default: "
        "arrivals.default_profile)",
    )
    work: Duration = Field(description="hours of crew work on site")
    deadline_hours: float = Field(
        gt=0, allow_inf_nan=False, description="限期整改: time allowed to resolve"
    )
    unclear_share: float = Field(0.0, ge=0, le=1, description="share with unclear responsibility")
    lifetime: Duration | None = Field(
        None,
        description="hours the problem lasts if nobody fixes it (a parked car drives off, noise "
        "stops); it then ends unresolved and is counted apart. None: until it is fixed",
    )
    lead_hours: float = Field(
        0.0,
        ge=0,
        le=24 * 366,
        allow_inf_nan=False,
        description="hours from dispatch to the crew's visit when no one works on it: a scheduled "
        "service (a collection day, an appointment); the same under every arrangement",
    )
    lead: Duration | None = Field(
        None,
        description="as lead_hours, drawn per problem (a heavy-tailed wait: lognormal), added to "
        "lead_hours; `calibrate` with `leads: from_log` sets it per category from the log's "
        "recorded hours to close, shrunk across categories. None: no spread",
    )
    frontage: bool = Field(False, description="门前三包: merchants may fix it themselves")
    urgent: bool = Field(False, description="handled by on-call crews at night")
    source: str = Field(
        "assumption",
        description="where the values come from: seed, cal (a published figure), log or assumption",
    )


class ReportingSpec(_Strict):
    """How willing merchants are to report a problem they see, and how that adapts."""

    initial_willingness: float = Field(
        ge=0, le=1, description="chance a merchant reports a problem it sees"
    )
    adaptive: bool = Field(True, description="willingness follows experience")
    min_willingness: float = Field(0.1, ge=0, le=1, description="floor of the willingness")
    learning_rate: float = Field(
        0.2, ge=0, le=1, description="step towards 1 (served) or the floor (ignored)"
    )
    satisfied_ack_hours: float = Field(
        2.0, gt=0, description="acknowledged within this feels heard"
    )
    satisfied_resolution_hours: float = Field(
        72.0, gt=0, description="resolved within this feels served"
    )


class MerchantsSpec(_Strict):
    """The merchants along the zones: how they report, and how often they fix their own frontage."""

    reporting: ReportingSpec = Field(
        description="how willing merchants are to report, and how that adapts"
    )
    frontage_self_fix_share: float = Field(
        0.0, ge=0, le=1, description="share of 门前三包 problems merchants fix themselves"
    )


class ObserverSpec(_Strict):
    """People other than the merchant along the road who see a problem and may report it
    (residents, passers-by), through the channels an arrangement opens to them (its `hears`)."""

    expected: float = Field(
        ge=0,
        le=100,
        allow_inf_nan=False,
        description="reports of a problem to expect from them while it stays in the street "
        "(Poisson)",
    )
    delay: Duration = Field(description="hours from the problem arising to one of their reports")
    name: str = Field("", description="what they are called")
    source: str = Field(
        "assumption",
        description="where the values come from: seed, cal (a published figure), log or assumption",
    )


MERCHANTS = "merchants"  # the observer every problem has: a merchant of its zone (`merchants`)

_WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class BurstSpec(_Strict):
    """Many problems of one kind at once, e.g. a storm knocks out street lights in one night."""

    start: datetime = Field(description="local date and time it begins")
    hours: float = Field(gt=0, allow_inf_nan=False, description="how long it lasts")
    category: str = Field(description="key of the category")
    zone: str | None = Field(None, description="key of the zone, or none for zones by weight")
    expected: float = Field(
        gt=0, le=1e7, allow_inf_nan=False, description="expected extra problems (Poisson)"
    )


class ArrivalsSpec(_Strict):
    """When problems arise: a non-homogeneous Poisson process, piecewise constant by clock hour.

    Intensity of category c at time t = rate_per_day / 24 × profile_c[hour] × day_of_week[weekday]
    × holiday_factor (on holidays) × (1 + trend_per_year) ^ years, plus bursts. Profiles and the
    weekday factors are normalised to mean 1, so rate_per_day stays the mean on ordinary days."""

    profiles: dict[str, list[float]] = Field(
        {}, description="named hour-of-day profiles, 24 relative weights from 00:00"
    )
    default_profile: str = Field(
        "flat", description="profile of categories that name none ('flat': even)"
    )
    day_of_week: dict[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], float] = Field(
        {}, description="relative volume per weekday (missing days: 1)"
    )
    holiday_factor: float = Field(
        1.0, ge=0, le=10, allow_inf_nan=False, description="volume on public holidays, relative"
    )
    trend_per_year: float = Field(
        0.0, gt=-1, le=10, allow_inf_nan=False, description="growth of volume a year, e.g. 0.05"
    )
    bursts: list[BurstSpec] = Field([], description="one-off surges of problems")
    source: str = Field(
        "assumption",
        description="where the values come from: seed, cal (a published figure), log or assumption",
    )

    @field_validator("profiles")
    @classmethod
    def _profiles(cls, v):
        for name, weights in v.items():
            if len(weights) != 24:
                raise ValueError(
                    f"{name}: needs 24 hourly weights (00:00 to 23:00), got {len(weights)}"
                )
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


class RunSpec(_Strict):
    """When the run starts, how long it lasts, its seed and time zone."""

    start: datetime = Field(description="calendar date and time of hour 0")
    days: float = Field(gt=0, le=MAX_DAYS, allow_inf_nan=False, description="simulated days")
    seed: int = Field(0, ge=0, le=MAX_SEED, description="default random seed")
    backlog_sample_hours: float = Field(
        24.0, gt=0, allow_inf_nan=False, description="hours between samples of the open-issue count"
    )
    warm_up_days: float = Field(
        0.0,
        ge=0,
        le=MAX_DAYS,
        allow_inf_nan=False,
        description="days at the start whose problems the window of outcomes leaves out, while "
        "the district fills up",
    )
    cool_down_days: float = Field(
        30.0,
        ge=0,
        le=MAX_DAYS,
        allow_inf_nan=False,
        description="each problem in the window of outcomes is followed for at most this long, "
        "and the window ends this long before the run, so that each is followed in full",
    )
    timezone: str = Field(
        "UTC",
        description="IANA time zone of the district; times with an offset in issue logs are "
        "converted to it",
    )

    def window(self, horizon: float) -> tuple[float, float, float] | None:
        """(first, last, cap) in hours: the problems arising from `first` to `last` are the
        window's, each followed for at most `cap` hours; None if the run is too short for one."""
        first, cap = self.warm_up_days * 24, self.cool_down_days * 24
        last = horizon - cap
        return (first, last, cap) if last > first else None

    @field_validator("start")
    @classmethod
    def _start(cls, v):
        if not FIRST_YEAR <= v.year <= LAST_YEAR:
            raise ValueError(f"the year must be from {FIRST_YEAR} to {LAST_YEAR}")
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v):
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {v!r}; write an IANA name such as Asia/Shanghai or "
                "America/New_York"
            ) from None
        return v


class Scenario(_Strict):
    """One scenario file: a district, its actors, the arrangements to compare, their parameters."""

    name: str = Field(description="short name, used in results")
    description: str = Field("", description="one line shown by `streetchief scenarios`")
    plugins: list[str] = Field(
        [],
        description="arrangements of one's own: Python files (beside this file) or module names "
        "imported before the arrangements are read; their code runs, as an import's does",
    )
    run: RunSpec = Field(
        description="when the run starts, how long it lasts, its seed and time zone"
    )
    calendars: dict[str, CalendarSpec] = Field(
        description="named working hours (offices, crews, chiefs' duty)"
    )
    holidays: list[date] = Field(
        [], description="public holidays: closed whatever the weekly hours"
    )
    workdays: list[date] = Field([], description="make-up working days (调休) on weekends")
    zones: dict[str, ZoneSpec] = Field(min_length=1, description="the roads and scenic areas")
    chiefs: dict[str, ChiefSpec] = Field(min_length=1, description="the street chiefs (街长)")
    liaison_groups: dict[str, LiaisonGroupSpec] = Field(
        min_length=1, description="the liaison groups (联络群)"
    )
    departments: dict[str, DepartmentSpec] = Field(
        min_length=1, description="the responsible departments"
    )
    department_response: DepartmentResponseSpec = Field(
        default_factory=DepartmentResponseSpec,
        description="how every department takes an issue on, whatever the arrangement",
    )
    categories: dict[str, CategorySpec] = Field(min_length=1, description="the kinds of problem")
    merchants: MerchantsSpec = Field(description="the merchants along the zones")
    observers: dict[str, ObserverSpec] = Field(
        {}, description="who else sees problems and may report them (residents, passers-by)"
    )
    arrivals: ArrivalsSpec = Field(
        default_factory=ArrivalsSpec,
        description="when problems arise (hour, weekday, trend, bursts)",
    )
    arrangements: dict[str, dict[str, Any]] = Field(
        min_length=1, description="the arrangements to run, each with its own parameters"
    )
    uncertain: dict[str, UncertainRange] = Field(
        {},
        description="what is not known about the values above, by dotted path: the range each "
        "plausibly lies in and why (`compare --uncertainty N` draws from them)",
    )
    _arrangement_params: dict = PrivateAttr(default_factory=dict)

    @field_validator("observers")
    @classmethod
    def _not_merchants(cls, v):
        if MERCHANTS in v:
            raise ValueError(
                f"{MERCHANTS!r} is the merchant every problem has (set under `merchants`); name "
                "other observers otherwise, e.g. residents"
            )
        return v

    def response_of(self, department: str) -> DepartmentResponseSpec:
        """How `department` takes issues on: `department_response` with its own values on top."""
        o = self.departments[department].response
        own = {k: getattr(o, k) for k in type(o).model_fields if getattr(o, k) is not None}
        return self.department_response.model_copy(update=own) if own else self.department_response

    def arrangement_params(self, name: str):
        """The typed parameters of an arrangement, validated by the arrangement's own schema."""
        return self._arrangement_params[name]

    @property
    def arrangement_names(self) -> list[str]:
        return list(self.arrangements)
