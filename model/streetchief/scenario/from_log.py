"""A scenario for the city a log comes from: its zones, categories and departments named as the log
names them, each category's arrivals estimated from the report times (`[log]`, with the log's
sha256), everything else a documented default from a template scenario (`[assumption]`), crews and
operators sized to the log's volume.

Also a mapping that reads the log onto the new scenario's keys, so that it can be replayed and
calibrated at once.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from streetchief.errors import IssueLogError, ScenarioError
from streetchief.scenario.arrival_fit import SHRINK_ISSUES, WEEKDAYS, ArrivalFit, fit_arrivals

UTILISATION = 0.6  # [assumption] crews and operators sized to be busy 60% of their hours
MAX_POOL = 10_000  # [assumption] people in one pool (a dispatch centre's limit): past it, a cap
SHIFT_CALENDAR = "day_shift"  # the template's calendar for departments' crews, if it has one
CHIEF_CALENDAR = "chief_duty"
NO_ZONE, NO_CATEGORY = "unlocated", "unspecified"
WORK = {"dist": "lognormal", "median": 1.0, "sigma": 0.5}  # [assumption] crew hours on site
TRAVEL = {"dist": "lognormal", "median": 0.3, "sigma": 0.4}  # [assumption] hours to the site
DEADLINE_HOURS = 72.0  # [assumption] time allowed to resolve
FEW_REPORTS = 30  # a weekday factor from fewer reports is said to be noise (its ± is over 18%)
UNCLEAR_SHARE = 0.1  # [assumption] share whose responsibility is unclear
MERCHANTS = 50  # [assumption] merchants along a zone
# sections written from the template, as they stand there (with their comments)
FROM_TEMPLATE = ("calendars", "arrangements")
FROM_TEMPLATE_IF_ANY = ("observers", "department_response")


@dataclass
class CityScenario:
    """What `scenario_from_log` made: the texts to write and what to tell the user."""

    scenario_text: str
    mapping_text: str | None  # None: the log names our keys already
    log: object  # the IssueLog read through the new scenario (every row accounted for)
    fit: ArrivalFit
    notes: list[str] = field(default_factory=list)


def key_of(name: str, prefix: str) -> str:
    """A key a dotted path can hold: lower-case ASCII letters, digits and underscores."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    if not text or text[0].isdigit() or text in YAML_WORDS:
        text = f"{prefix}_{text}" if text else prefix
    return text[:48].rstrip("_")


# words YAML reads as a boolean or null, not as a name: a key never is one (`yes: ...` is True)
YAML_WORDS = {"yes", "no", "on", "off", "true", "false", "null", "y", "n"}


def _keys(names: list[str], prefix: str) -> dict[str, str]:
    """name → unique key, in the order given."""
    out, used = {}, set()
    for name in names:
        k = key_of(name, prefix)
        base, n = k, 2
        while k in used:
            k, n = f"{base}_{n}", n + 1
        used.add(k)
        out[name] = k
    return out


def _one_spelling(names: pd.Series, what: str, notes: list[str]) -> pd.Series:
    """Names that differ only in case are one name, as a mapping reads them (its lookup folds
    case): each is written as its most frequent spelling, and the merge is noted."""
    present = names.dropna()
    if present.empty:
        return names
    counts = present.value_counts()
    folded = pd.Series(counts.index, index=counts.index).map(str.casefold)
    chosen, merged = {}, []
    for _, group in counts.groupby(folded.to_numpy(), sort=False):
        spelling = group.index[0]  # value_counts order: the most frequent first
        chosen.update({n: spelling for n in group.index})
        if len(group) > 1:
            merged.append(" and ".join(repr(n) for n in group.index))
    if merged:
        notes.append(
            f"{what} names that differ only in case are read as one, as the mapping reads them: "
            + "; ".join(merged[:5])
            + (f" and {len(merged) - 5} more" if len(merged) > 5 else "")
        )
    return names.map(lambda n: chosen.get(n, n), na_action="ignore")


def _text(v) -> str | None:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return None
    t = " ".join(str(v).split())
    return t or None


def template_blocks(text: str) -> dict[str, str]:
    """The template's top-level sections as written: each with the comment lines just above it."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, ln in enumerate(lines) if re.match(r"^[A-Za-z_][\w]*\s*:", ln)]
    blocks = {}
    for j, i in enumerate(starts):
        a = i
        while a > 0 and lines[a - 1].startswith("#"):
            a -= 1
        end = starts[j + 1] if j + 1 < len(starts) else len(lines)
        while end > i + 1 and (lines[end - 1].startswith("#") or not lines[end - 1].strip()):
            end -= 1
        key = lines[i].split(":", 1)[0].strip()
        blocks[key] = "".join(lines[a:end]).rstrip() + "\n"
    return blocks


def _flow(d) -> str:
    """One line of YAML: a flow mapping or list, or a quoted string."""
    if isinstance(d, str):
        return json.dumps(d, ensure_ascii=False)
    return yaml.safe_dump(
        d, default_flow_style=True, allow_unicode=True, width=10**9, sort_keys=False
    ).strip()


def _open_hours_per_day(calendar) -> float:
    if calendar.always:
        return 24.0
    spans = calendar.spans() or {}
    return sum(b - a for day in spans.values() for a, b in day) / 7.0


def _servers(load_hours_per_day: float, open_hours_per_day: float, least: int = 1) -> int:
    """People to be busy UTILISATION of their open hours, at most MAX_POOL (said in a note)."""
    if open_hours_per_day <= 0:
        return least
    n = math.ceil(load_hours_per_day / (open_hours_per_day * UTILISATION))
    return max(least, min(n, MAX_POOL))


def _holidays(spec: str | None, years: range) -> tuple[dict[date, str], str]:
    """Public holidays: a country code (US, US-CA, CN) through the `holidays` package, or a file
    of dates (one per line, or YAML). Also where they come from, in words."""
    if not spec:
        return {}, ""
    path = Path(spec)
    if path.is_file():
        found = {}
        for k, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            text = line.split("#", 1)[0].strip().strip("-[], ").strip()
            for part in filter(None, (p.strip() for p in text.split(","))):
                try:
                    found[date.fromisoformat(part)] = "holiday"
                except ValueError:
                    raise IssueLogError(
                        str(path),
                        [f"line {k}: {part!r} is not a date; write one date a line, 2018-01-01"],
                        "holiday list",
                    ) from None
        return found, f"[log] from {path.name}"
    import holidays as hol

    country, _, subdiv = spec.partition("-")
    try:
        days = hol.country_holidays(country.upper(), subdiv=subdiv or None, years=list(years))
    except NotImplementedError:
        raise IssueLogError(
            "--holidays",
            [
                f"{spec!r}: no such country (or subdivision) in the holidays package; give an ISO "
                "3166 code such as US, US-CA, CN, GB, or a file of dates (one a line)"
            ],
            "option",
        ) from None
    return dict(sorted(days.items())), f"[cal] public holidays of {spec} (holidays package)"


# the most distinct names one scenario is built from [assumption]: a scenario is one district's, and
# every zone is a liaison group, a chief's road and a population of merchants, every category a
# stream of problems of its own; past these the build and each run grow without bound (a million
# zones ran 300 s to 1.8 GB before it was killed; ten thousand categories took over 200 s)
MOST_DISTINCT = {"zone": 2_000, "category": 1_000, "department": 1_000}


def _check_counts(source, counts: dict[str, int]) -> None:
    """A log naming more zones, categories or departments than one scenario holds is refused
    before any is built, with the count and the remedy."""
    problems = []
    extra = {
        "zone": " (or zones: geojson: polygons that gather the points)",
        "category": " (or --min-issues N: the categories with fewer reports become one)",
    }
    for what, n in counts.items():
        if n > MOST_DISTINCT[what]:
            problems.append(
                f"names {n:,} distinct {what} values; one scenario holds at most "
                f"{MOST_DISTINCT[what]:,} (it models one district): name a coarser column for "
                f"{what} in the mapping's columns:{extra.get(what, '')}, or give "
                "the log of one district"
            )
    if problems:
        raise IssueLogError(str(source), problems)


def scenario_from_log(
    path,
    mapping_path: str | Path | None = None,
    timezone: str | None = None,
    holidays: str | None = None,
    template: str | Path = "jingxing_2019",
    min_issues: int = 1,
    skip_invalid: bool = False,
    name: str = "city",
    set_aside_far: bool = False,
) -> CityScenario:
    """Build the scenario and its mapping; the log is read twice: once for its names, once through
    the new scenario (every row checked and accounted for, as a replay reads it; with
    `set_aside_far`, rows far from the rest set aside, so that they shape no rate)."""
    from streetchief.issue_log import load_mapping, read_log
    from streetchief.issue_log.formats import expand, read_files
    from streetchief.issue_log.mappings import Lookup, ZoneLookup, apply_mapping, to_our_columns
    from streetchief.provenance import file_hash
    from streetchief.scenario import load_scenario, resolve_path
    from streetchief.scenario.load import validate

    paths = expand(path)
    source = str(path) if isinstance(path, (str, Path)) else ", ".join(map(str, path))
    mapping = load_mapping(mapping_path) if mapping_path is not None else None
    tz = timezone or (mapping.timezone if mapping else None)
    if tz is None:
        raise IssueLogError(
            source,
            [
                "say the log's time zone: --timezone America/Los_Angeles (an IANA name), or "
                "timezone: in the mapping; the hours of the day are counted in it"
            ],
        )
    # 1. the log's own names (the mapping's columns, none of its value lists)
    if mapping is not None:
        names_only = mapping.model_copy(
            update={
                "categories": Lookup(),
                "departments": Lookup(),
                "zones": ZoneLookup(geojson=mapping.zones.geojson, property=mapping.zones.property),
            }
        )
        names_only._folder = mapping._folder
        needed = set(mapping.columns.values()) | {
            r.column for r in (mapping.resolved_when, mapping.dropped_when) if r is not None
        }
        raw = read_files(paths, needed)
        frame = apply_mapping(raw.frame, names_only, source, None, raw.lines).frame
    else:
        raw = read_files(paths)
        frame, _ = to_our_columns(raw.frame, source)
    if not len(frame):
        raise IssueLogError(source, ["holds no issue: not one row after the header"])
    notes = []
    zone_text = _one_spelling(frame["zone"].map(_text), "zone", notes)
    cat_text = _one_spelling(frame["category"].map(_text), "category", notes)
    dept_text = (
        _one_spelling(frame["department"].map(_text), "department", notes)
        if "department" in frame
        else None
    )

    cat_counts = cat_text.value_counts()
    rare = [c for c, n in cat_counts.items() if n < min_issues]
    cat_names = [c for c in cat_counts.index if c not in rare]
    _check_counts(  # the rare categories are one: they count as one
        source,
        {
            "zone": zone_text.nunique(),
            "category": len(cat_names) + bool(rare),
            "department": 0 if dept_text is None else dept_text.nunique(),
        },
    )
    cat_keys = _keys(cat_names, "category")
    if rare:
        other = "other" if "other" not in cat_keys.values() else "other_rare"
        for c in rare:
            cat_keys[c] = other
        notes.append(
            f"{len(rare)} categories with fewer than {min_issues} issues "
            f"({int(cat_counts[rare].sum()):,} issues) are one category, {other}"
        )
    if cat_text.isna().any():
        cat_keys[None] = NO_CATEGORY
    zone_names = list(zone_text.value_counts().index)
    zone_keys = _keys(zone_names, "zone")
    if zone_text.isna().any():
        zone_keys[None] = NO_ZONE
    # each category's department: the one named most often on its rows
    cat_of_row = cat_text.map(lambda v: cat_keys.get(v, NO_CATEGORY))
    main_dept: dict[str, str] = {}
    if dept_text is not None and dept_text.notna().any():
        pairs = pd.DataFrame({"c": cat_of_row, "d": dept_text}).dropna()
        for c, group in pairs.groupby("c", sort=False):
            main_dept[c] = group.d.value_counts().index[0]
    dept_names = list(dept_text.value_counts().index) if dept_text is not None else []
    dept_keys = _keys(dept_names, "department")  # every one named, to read every row
    categories_in_order = list(dict.fromkeys(cat_keys.values()))
    cat_label = {}
    for n, k in cat_keys.items():
        cat_label.setdefault(k, "(no category in the log)" if n is None else n)
    if rare:
        cat_label[cat_keys[rare[0]]] = f"other ({len(rare)} rarer kinds)"
    departments: dict[str, dict] = {}
    cat_dept: dict[str, str] = {}
    for n, k in dept_keys.items():
        departments[k] = {"name": n, "basis": "[log]"}
    for c in categories_in_order:
        if c in main_dept:
            cat_dept[c] = dept_keys[main_dept[c]]
        else:  # no department named: one of its own [assumption]
            k = f"{c}_crews"
            cat_dept[c] = k
            departments[k] = {"name": f"crews for {cat_label[c]}", "basis": "[assumption]"}
    if dept_text is None:
        notes.append(
            "the log names no department: each category gets crews of its own [assumption]"
        )

    # 2. the template: calendars, merchants and arrangements at its documented values
    template_path = resolve_path(template)
    template_text = template_path.read_text(encoding="utf-8")
    base = load_scenario(template_path)
    blocks = template_blocks(template_text)
    missing = [b for b in FROM_TEMPLATE if b not in blocks]
    if missing:
        raise ScenarioError(str(template_path), [f"a template needs {', '.join(missing)}"])
    shift = SHIFT_CALENDAR if SHIFT_CALENDAR in base.calendars else next(iter(base.calendars))
    duty = CHIEF_CALENDAR if CHIEF_CALENDAR in base.calendars else shift

    digest = {p.name: file_hash(p) for p in paths}
    sha = next(iter(digest.values())) if len(digest) == 1 else None
    tag = f"[log] sha256 {sha[:12]}" if sha else "[log]"

    def draft(fit: ArrivalFit | None, holiday_days: dict[date, str], holiday_src: str) -> str:
        rates = fit.rate_per_day if fit is not None else np.ones(len(categories_in_order))
        zone_share = zone_counts / zone_counts.sum()
        out = [
            f"# {name}: made by streetchief scenario-from-log from {source}",
            *(f"#   {n}: sha256 {h}" for n, h in digest.items()),
            f"# Read {'through ' + str(mapping_path) if mapping_path else 'in our format'}; "
            f"template for what a log cannot say: {template_path.name}.",
            "# Units: times in hours, rates per day. Every value says where it comes from:",
            "#   [log]  estimated from the log above (its report times, names and volumes)",
            "#   [cal]  a published source; [seed] the street-chief design of the seed report",
            "#   [assumption]  no figure in the log: a documented default, to be varied in sweeps",
            "#   or fitted with streetchief calibrate",
            f"name: {name}",
            "description: " + _flow(f"{name}, from {Path(paths[0]).name} ({len(frame):,} rows)"),
            "",
            "run:",
        ]
        if fit is not None:
            days = max(1, math.ceil((fit.end - fit.start.normalize()) / pd.Timedelta(days=1)))
            out += [
                f"  start: {fit.start.normalize():%Y-%m-%dT%H:%M}   # {tag}: its first day",
                f"  days: {days}   # {tag}: the days the reports span",
            ]
        else:
            out += ["  start: 2000-01-01T00:00", "  days: 1"]
        out += [
            f"  seed: {base.run.seed}",
            f"  backlog_sample_hours: {base.run.backlog_sample_hours:g}",
            f"  timezone: {tz}",
            "",
            blocks["calendars"].rstrip(),
            "",
        ]
        if holiday_days:
            out.append(f"# {holiday_src}")
            out.append("holidays:")
            out += [f"  - {d.isoformat()}   # {n}" for d, n in holiday_days.items()]
        else:
            out.append("holidays: []                   # [assumption] none given (--holidays)")
        out += [
            "",
            "# [log] the log's zones; weight: share of its issues [log]; merchants, one liaison "
            "group",
            "# and one street chief each: [assumption]",
            "zones:",
        ]
        for n, k in zone_keys.items():
            label = "(no zone in the log)" if n is None else n
            z = {
                "name": label,
                "merchants": MERCHANTS,
                "weight": round(float(zone_share.get(k, 0.0)), 6),
                "liaison_group": f"g_{k}",
                "chief": f"chief_{k}",
            }
            out.append(f"  {k}: {_flow(z)}")
        out += ["", "chiefs:                        # [assumption] one leader per zone"]
        out += [f"  chief_{k}: {_flow({'calendar': duty})}" for k in zone_keys.values()]
        out += ["", "liaison_groups:                # [seed] one group per zone"]
        out += [f"  g_{k}: {{}}" for k in zone_keys.values()]
        out += [
            "",
            f"# crews: sized so that they are busy {UTILISATION:.0%} of their {shift} hours at the "
            "log's volume",
            "# [assumption]; travel [assumption]",
            "departments:",
        ]
        work_mean = _mean(WORK) + _mean(TRAVEL)
        hours = _open_hours_per_day(base.calendars[shift])
        for k, d in departments.items():
            load = sum(
                rates[i] * work_mean for i, c in enumerate(categories_in_order) if cat_dept[c] == k
            )
            spec = {
                "name": d["name"],
                "crews": _servers(load, hours),
                "calendar": shift,
                "travel": TRAVEL,
                "source": f"{d['basis']} name; crews sized to the volume [assumption]",
            }
            out.append(f"  {k}: {_flow(spec)}")
        out += [
            "",
            f"# rate_per_day, profile: {tag}; department: the one named most often on its rows "
            "[log];",
            f"# work, deadline_hours ({DEADLINE_HOURS:g}), unclear_share, lead_hours (a scheduled "
            "service's wait; fit it with calibrate): [assumption]",
            "categories:",
        ]
        for i, c in enumerate(categories_in_order):
            spec = {
                "name": cat_label[c],
                "department": cat_dept[c],
                "rate_per_day": _round(rates[i]),
                "profile": c,
                "work": WORK,
                "deadline_hours": DEADLINE_HOURS,
                "unclear_share": UNCLEAR_SHARE,
                "lead_hours": 0.0,
                "source": (
                    f"{tag}: {int(fit.counts[i]):,} issues, ± {_round(fit.rate_se[i])} a day"
                    if fit is not None
                    else "[log]"
                ),
            }
            out.append(f"  {c}: {_flow(spec)}")
        r = base.merchants.reporting
        out += [
            "",
            "merchants:",
            "  reporting:",
            "    initial_willingness: 1.0    # [log] the rates count problems that were reported",
            f"    adaptive: {str(r.adaptive).lower()}",
            f"    min_willingness: {r.min_willingness:g}",
            f"    learning_rate: {r.learning_rate:g}",
            f"    satisfied_ack_hours: {r.satisfied_ack_hours:g}",
            f"    satisfied_resolution_hours: {r.satisfied_resolution_hours:g}",
            "  frontage_self_fix_share: 0.0  # [assumption] the log cannot say",
            "",
            # the template's observers and the departments' way of taking issues on, as it
            # documents them (the arrangements' channels name the observers)
            *(blocks[b].rstrip() + "\n" for b in FROM_TEMPLATE_IF_ANY if b in blocks),
            f"# {tag}: hour-of-day profiles, 00:00 to 23:00, relative; a category with few issues "
            f"leans on the",
            f"# city's shape ({SHRINK_ISSUES} issues' worth); weekday and holiday factors fitted "
            "with them",
            "arrivals:",
            "  profiles:",
        ]
        if fit is not None:
            out.append(f"    city: {_flow([_round(x) for x in fit.city_profile])}")
            for i, c in enumerate(categories_in_order):
                out.append(f"    {c}: {_flow([_round(x) for x in fit.profiles[i]])}")
            seen = ", ".join(WEEKDAYS[k] for k in range(7) if fit.weekday_seen[k]) or "none"
            dow = {WEEKDAYS[k]: _round(fit.weekday[k]) for k in range(7)}
            out.append("  default_profile: city")
            out.append(f"  day_of_week: {_flow(dow)}   # {tag} (seen: {seen}; others 1)")
            if fit.holiday_factor is not None:
                out.append(
                    f"  holiday_factor: {_round(fit.holiday_factor)}   # {tag}: "
                    f"{fit.holiday_days} holiday(s) in the window"
                )
            else:
                out.append(
                    "  holiday_factor: 1.0            # [assumption] no holiday in the window"
                )
        else:
            out += [f"    {c}: {_flow([1] * 24)}" for c in categories_in_order]
        out += ["  trend_per_year: 0.0            # [assumption]", "  bursts: []", ""]
        out.append(_arrangements(blocks["arrangements"], base, float(np.sum(rates)), zone_share))
        return "\n".join(out).rstrip() + "\n"

    # 3. the mapping onto the new keys, then the log read through it as any replay reads it
    mapping_text = _mapping_text(
        mapping, mapping_path, tz, zone_keys, cat_keys, dept_keys, name, digest, list(frame.columns)
    )
    zone_counts = zone_text.map(lambda v: zone_keys.get(v, NO_ZONE)).value_counts()
    first = validate(yaml.safe_load(draft(None, {}, "")), f"{name} (draft)")
    new_mapping = None
    if mapping_text is not None:
        from streetchief.issue_log.mappings import Mapping

        new_mapping = Mapping.model_validate(yaml.safe_load(mapping_text))
        new_mapping._folder = mapping._folder if mapping is not None else None
    log = read_log(path, first, new_mapping, skip_invalid, tz, set_aside_far)
    kept = log.frame
    local = kept.reported_at.dt.tz_localize(None)
    codes = pd.Categorical(kept.category, categories=categories_in_order).codes
    span = range(local.min().year, local.max().year + 2)
    holiday_days, holiday_src = _holidays(holidays, span)
    try:
        fit = fit_arrivals(local, codes, len(categories_in_order), set(holiday_days))
    except ValueError as e:
        raise IssueLogError(source, [str(e)]) from None
    zone_counts = kept.zone.value_counts()
    zone_counts = pd.Series({k: int(zone_counts.get(k, 0)) for k in zone_keys.values()})
    text = draft(fit, holiday_days, holiday_src)
    made = validate(yaml.safe_load(text), name)
    full = _full_pools(made)
    if full:
        notes.append(
            f"pools sized at the cap of {MAX_POOL:,} people: {', '.join(full)}; the log's volume "
            f"over {fit.days:.1f} days asks for more, so it is too short or too dense to size "
            "from: set them by hand, or use a longer export"
        )
    if fit.holiday_factor is None and holidays:
        notes.append("no public holiday falls inside the log's window: holiday_factor stays 1")
    unseen = [WEEKDAYS[k] for k in range(7) if not fit.weekday_seen[k]]
    if unseen:
        notes.append(
            f"the log covers no ordinary {', '.join(unseen)}: their weekday factors stay 1 "
            "[assumption]"
        )
    per_day = local.dt.day_of_week.value_counts()
    thin = [
        f"{WEEKDAYS[k]} {_round(fit.weekday[k])} from {int(per_day.get(k, 0))} reports"
        for k in range(7)
        if fit.weekday_seen[k] and per_day.get(k, 0) < FEW_REPORTS
    ]
    if thin:
        notes.append(
            f"weekday factors resting on fewer than {FEW_REPORTS} reports each: {'; '.join(thin)}; "
            "read them as noise, or set arrivals.day_of_week from a longer export"
        )
    if fit.days < 28:
        notes.append(
            f"the reports span {fit.days:.1f} days: weekday factors and rare categories' profiles "
            "rest on few days; a longer export estimates them better"
        )
    return CityScenario(text, mapping_text, log, fit, notes)


def _full_pools(scenario) -> list[str]:
    """Where a pool sized to the log stands at MAX_POOL."""
    departments = scenario.departments.items()
    full = [f"departments.{k}.crews" for k, d in departments if d.crews >= MAX_POOL]
    for name in scenario.arrangement_names:
        p = scenario.arrangement_params(name)
        if getattr(p, "operators", 0) >= MAX_POOL:
            full.append(f"arrangements.{name}.operators")
        for i, lay in enumerate(getattr(p, "layers", None) or []):
            if lay.clerks >= MAX_POOL:
                full.append(f"arrangements.{name}.layers.{i}.clerks")
    return full


def _mean(d: dict) -> float:
    from pydantic import TypeAdapter

    from streetchief.distributions import Duration

    return float(TypeAdapter(Duration).validate_python(d).mean())


def _round(x: float) -> float:
    """Four significant figures: enough for an estimate with a sampling error."""
    x = float(x)
    return 0.0 if x == 0 else float(f"{x:.4g}")


def _arrangements(block: str, base, issues_per_day: float, zone_share: pd.Series) -> str:
    """The template's arrangements, comments kept, with every pool of people sized to the volume
    (never below the template's own number)."""
    from io import StringIO

    from ruamel.yaml import YAML

    ry = YAML()
    ry.width = 120
    ry.preserve_quotes = True
    doc = ry.load(block)
    arr = doc["arrangements"]
    sized = []

    def size(node, key, load, calendar, why):
        if node is None or key not in node or calendar not in base.calendars:
            return
        n = _servers(load, _open_hours_per_day(base.calendars[calendar]), int(node[key]))
        if n != node[key]:
            node[key] = n
            sized.append(why)

    for name, spec in arr.items():
        p = base.arrangement_params(name) if name in base.arrangements else None
        if p is None:
            continue
        if hasattr(p, "operators") and hasattr(p, "handling"):
            size(
                spec,
                "operators",
                issues_per_day * p.handling.mean(),
                p.centre_calendar,
                f"{name}.operators",
            )
        if hasattr(p, "layers"):
            for i, lay in enumerate(p.layers):
                size(
                    spec["layers"][i],
                    "clerks",
                    issues_per_day * lay.handling.mean(),
                    lay.calendar,
                    f"{name}.layers.{i}.clerks",
                )
        if hasattr(p, "liaison_officers") and hasattr(p, "liaison_ack_day"):
            busiest = issues_per_day * float(zone_share.max()) * p.liaison_ack_day.mean()
            n = _servers(busiest, 24.0, int(spec.get("liaison_officers", 1)))
            if n != spec.get("liaison_officers", 1):
                spec["liaison_officers"] = min(n, 100)
                sized.append(f"{name}.liaison_officers")
    buf = StringIO()
    ry.dump(doc, buf)
    head = (
        "# The arrangements as the template sets them [assumption unless marked]; sized to the "
        f"log's volume\n# (busy {UTILISATION:.0%} of their hours): "
        + (", ".join(sized) if sized else "none needed")
        + "\n"
    )
    return head + buf.getvalue()


def _mapping_text(mapping, mapping_path, tz, zone_keys, cat_keys, dept_keys, name, digest, present):
    """A mapping from the log's names to the new keys; None when the log names the keys already
    and needs no other reading."""
    same = all(
        n is None or n == k for table in (zone_keys, cat_keys, dept_keys) for n, k in table.items()
    )
    if mapping is None and same and None not in zone_keys and None not in cat_keys:
        return None
    doc: dict = {"description": f"reads {', '.join(digest)} onto the keys of {name}"}
    if mapping is not None:
        doc["columns"] = dict(mapping.columns)
        if mapping.time_format is not None:
            doc["time_format"] = mapping.time_format
    else:
        from streetchief.issue_log.columns import LOG_COLUMNS

        doc["columns"] = {c: c for c in LOG_COLUMNS if c in present}
    doc["timezone"] = tz

    def lookup(table, empty_key):
        values = {n: k for n, k in table.items() if n is not None}
        out = {"values": values}
        if None in table:
            out["default"] = empty_key
        return out

    doc["categories"] = lookup(cat_keys, NO_CATEGORY)
    doc["zones"] = lookup(zone_keys, NO_ZONE)
    if mapping is not None and mapping.zones.geojson:
        doc["zones"]["geojson"] = str((Path(mapping._folder) / mapping.zones.geojson).resolve())
        doc["zones"]["property"] = mapping.zones.property
    if dept_keys:
        doc["departments"] = {"values": dict(dept_keys)}
    for rule in ("resolved_when", "dropped_when"):
        r = getattr(mapping, rule, None) if mapping is not None else None
        if r is not None:
            doc[rule] = {"column": r.column, "values": list(r.values)}
    head = (
        f"# Made by streetchief scenario-from-log with {name}.yaml"
        + (f", from {mapping_path}" if mapping_path else "")
        + ": the log's names → the scenario's keys.\n"
    )
    return head + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100)
