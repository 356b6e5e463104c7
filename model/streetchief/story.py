"""The seed's cases told from the model's own records: what happened to each, in words.

Nothing here is written beside the model: every time in a narration is read from the run's records
(`reported_at`, `acknowledged_at`, `coordinated_at`, `dispatched_at`, `resolved_at`, `closed_at`) or
derived from the issue's own work content (the crew on site from `resolved_at − work`, where the
crew's hours ran without a break). The report's own account comes from the issue log's observed
times.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from pathlib import Path

from streetchief.i18n import arrangement, duration, tr, when

SEED_TAG = "[seed]"
EVENTS = ("reported", "acknowledged", "coordinated_at", "taken_on", "on_site", "resolved", "closed")


@dataclass
class CaseTimes:
    """One issue under one arrangement, as its records say (None: not by the end of the run)."""

    arrangement: str
    issue_id: str
    reporter: str
    department: str
    coordinated: bool
    reported: datetime
    acknowledged: datetime | None
    coordinated_at: datetime | None  # when the on-site coordination began
    taken_on: datetime | None
    on_site: datetime | None
    resolved: datetime | None
    closed: datetime | None
    coordinator: str | None = None  # who coordinates unclear issues: unit or chief

    def hours(self, event: str) -> float | None:
        """Hours from the report to `event`."""
        t = getattr(self, event)
        return None if t is None else (t - self.reported).total_seconds() / 3600


def seed_cases(log) -> list[str]:
    """The issue ids of the log's rows the seed reports (description starting with [seed])."""
    f = log.frame
    if "description" not in f:
        return []
    tagged = f.description.fillna("").astype(str).str.startswith(SEED_TAG)
    return f.issue_id[tagged].tolist()


def case_times(result, issue_id: str) -> dict[str, CaseTimes]:
    """The case under each simulated arrangement of a replay kept with its models."""
    start = result.scenario.run.start
    out = {}
    for name, table in result.tables.items():
        model = result.models.get(name)
        if model is None:  # the recorded history: it has no model
            continue
        ids = table["issue_id"].to_pylist()
        r = ids.index(issue_id)
        row = {c: table[c][r].as_py() for c in table.column_names}

        def at(hours, start=start):
            return None if hours is None or math.isnan(hours) else start + timedelta(hours=hours)

        slot = list(model.problems.issue_ids).index(issue_id)
        by = getattr(getattr(model.arrangement.params, "coordination", None), "by", None)
        out[name] = CaseTimes(
            arrangement=name,
            issue_id=issue_id,
            reporter=row["reporter"] or "",
            department=row["department"] or "",
            coordinated=bool(row["coordinated"]),
            coordinator=by,
            reported=at(row["reported_at"]),
            acknowledged=at(row["acknowledged_at"]),
            coordinated_at=at(row["coordinated_at"]),
            taken_on=at(row["dispatched_at"]),
            on_site=at(_on_site(model, slot, row)),
            resolved=at(row["resolved_at"]),
            closed=at(row["closed_at"]),
        )
    return out


def _on_site(model, slot: int, row: dict) -> float | None:
    """When the crew began the work: `work` hours before the fix, if its hours ran unbroken then
    (an urgent issue at night goes to the on-call crew, around the clock)."""
    res = row["resolved_at"]
    if res is None or math.isnan(res):
        return None
    work = model.issues.work[slot]
    dept = model.departments[model.department_keys.index(row["department"])]
    unbroken = abs(dept.crews.calendar.open_hours(res - work, res) - work) < 1e-9
    urgent = model.category_list[model.issues.category[slot]].urgent
    return res - work if unbroken or (urgent and dept.on_call is not None) else None


def reporter_name(key: str, scenario, lang: str = "en") -> str:
    """Who posted, in words: a merchant of a road (`zhongwei_road/023`), a road's street chief
    (`chief_02`, `pingshe_chief`), else the name the log gives (`毛毛烟酒`)."""
    zones = scenario.zones

    def place(z: str) -> str:
        return zones[z].name if lang == "zh" else z.replace("_", " ").title()

    zone, _, number = key.partition("/")
    if number and zone in zones:
        return f"{place(zone)}商户" if lang == "zh" else f"a merchant on {place(zone)}"
    road = next((z for z in zones if key.endswith("_chief") and z.startswith(key[:-6])), None)
    if key in scenario.chiefs or road is not None:
        road = road or next((z for z, v in zones.items() if v.chief == key), None)
        if road is None:
            return "街长" if lang == "zh" else "a street chief"
        return f"{place(road)}街长" if lang == "zh" else f"the street chief of {place(road)}"
    return key


def narrate(c: CaseTimes, scenario, lang: str = "en", now: datetime | None = None) -> str:
    """One arrangement's handling of a case, in sentences; events after `now` are marked ahead."""
    dept = scenario.departments.get(c.department)
    dept_name = dept.name if dept is not None and lang == "zh" else c.department.replace("_", " ")

    def mark(t):  # what is still ahead of the clock is greyed, not hidden
        text = when(t, lang)
        if now is None or t <= now:
            return text
        return f"<span class='ahead' title='{tr('story.pending', lang)}'>{text}</span>"

    who = reporter_name(c.reporter, scenario, lang)
    parts = [tr("story.reported", lang, when=mark(c.reported), who=who)]
    if c.acknowledged is not None:
        after = duration(c.hours("acknowledged"), lang)
        parts.append(tr("story.ack", lang, when=mark(c.acknowledged), after=after))
    steps = (
        (
            "coordinated_at",
            lambda t: tr(
                f"story.coordinated_{c.coordinator or 'chief'}", lang, dept=dept_name, when=mark(t)
            ),
        ),
        ("taken_on", lambda t: tr("story.taken", lang, dept=dept_name, when=mark(t))),
        ("on_site", lambda t: tr("story.on_site", lang, when=mark(t))),
        ("resolved", lambda t: tr("story.resolved", lang, when=mark(t))),
        ("closed", lambda t: tr("story.closed", lang, when=mark(t))),
    )
    for event, say in steps:
        t = getattr(c, event)
        if t is not None:
            parts.append(say(t))
        elif event in ("taken_on", "resolved"):
            parts.append(tr("story.not_yet", lang, what=tr(f"story.{event}_word", lang)))
    sep = ";" if lang == "zh" else "; "
    head = arrangement(c.arrangement, lang)
    return f"<b>{head}</b>: " + sep.join(parts) + ("。" if lang == "zh" else ".")


# --- the report's own account -------------------------------------------------------------------
GIVES = ("time", "window", "nothing")
STEP_KEYS = {"event", "column", "who", "words", "en", "gives", "at", "from", "to", "short"}


@dataclass(frozen=True)
class ReportStep:
    """One step of a case as the report tells it, and what its words give: a clock time, a
    window the words bound, or nothing."""

    event: str
    column: str | None
    who: dict
    words: str
    en: str
    gives: str
    at: datetime | None = None
    start: datetime | None = None
    end: datetime | None = None
    short: dict | None = None

    def cell(self, lang: str, day) -> str:
        """What the report gives for this step, as a timeline cell."""
        if self.gives == "time":
            return clock(self.at, day, lang)
        what = (self.short or {}).get(lang) or tr("story.step." + self.event, lang)
        if self.gives == "window":
            return what
        return tr("story.no_time", lang, what=what)

    def gives_text(self, lang: str, logged: datetime | None) -> str:
        if self.gives == "time":
            return tr("story.gives.time", lang, time=f"{self.at:%H:%M}")
        if self.gives == "window":
            return tr("story.gives.window", lang, start=f"{self.start:%H:%M}", end=_end(self.end))
        return tr("story.gives.nothing", lang, time="—" if logged is None else f"{logged:%H:%M}")


@dataclass(frozen=True)
class ReportCase:
    """One of the seed's cases as the report tells it; `caption`: a photo caption, no case."""

    issue_id: str
    place: dict
    steps: tuple[ReportStep, ...] = ()
    caption: str | None = None
    caption_en: str | None = None
    source: dict | None = None  # the report's name (zh, en), from the file's `report:`

    def source_name(self, lang: str) -> str:
        """What the timeline's column and the account call the report: the file's own name for
        it ("The 2019 report"), else "The report"."""
        return (self.source or {}).get(lang) or tr("story.report", lang)

    def step(self, event: str) -> ReportStep | None:
        return next((s for s in self.steps if s.event == event), None)


def _end(t: datetime) -> str:
    return "24:00" if (t.hour, t.minute) == (0, 0) else f"{t:%H:%M}"


def report_file(log_path) -> Path | None:
    """The report's account of a log's cases: `reports/<log name>.yaml` beside the log."""
    path = Path(log_path)
    found = path.parent / "reports" / f"{path.stem}.yaml"
    return found if found.is_file() else None


def read_report(path) -> dict[str, ReportCase]:
    """The cases of a report file, checked: every problem named with its case and step."""
    import yaml

    from streetchief.errors import InputError

    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise InputError(str(path), [f"cannot be read as YAML: {e}"]) from None
    if not isinstance(raw, dict):
        raise InputError(str(path), ["should map each case's issue_id to its account"])
    problems, cases = [], {}
    source = raw.pop("report", None)  # the report's own name, not a case
    if source is not None and not (
        isinstance(source, dict) and source and all(isinstance(source.get(k), str) for k in source)
    ):
        problems.append(
            "report: should name the report in each language, e.g. "
            "{zh: 2019年报道, en: The 2019 report}"
        )
        source = None
    for issue_id, case in raw.items():
        where = str(issue_id)
        if not isinstance(case, dict) or not isinstance(case.get("place"), dict):
            problems.append(f"{where}: needs `place:` (zh, en) and `steps:` or `caption:`")
            continue
        if "caption" in case:
            cases[where] = ReportCase(
                where, case["place"], (), str(case["caption"]), case.get("en"), source
            )
            continue
        steps = []
        for n, st in enumerate(case.get("steps") or [], 1):
            at = f"{where} step {n}"
            if not isinstance(st, dict):
                problems.append(f"{at}: should be a mapping")
                continue
            unknown = sorted(set(st) - STEP_KEYS)
            if unknown:
                problems.append(f"{at}: unknown keys {unknown}; allowed: {sorted(STEP_KEYS)}")
            if st.get("event") not in EVENTS:
                problems.append(f"{at}: event {st.get('event')!r} is not one of {list(EVENTS)}")
                continue
            gives = st.get("gives")
            times = {}
            for key in ("at", "from", "to"):
                v = st.get(key)
                if v is None:
                    continue
                try:
                    times[key] = datetime.fromisoformat(str(v))
                except ValueError:
                    problems.append(f"{at}: {key} {v!r} is not a time (YYYY-MM-DD HH:MM)")
            need = {"time": {"at"}, "window": {"from", "to"}, "nothing": set()}.get(gives)
            if need is None:
                problems.append(f"{at}: gives {gives!r} is not one of {list(GIVES)}")
                continue
            given = {k for k in ("at", "from", "to") if k in st}
            if given != need:
                problems.append(f"{at}: gives {gives} takes {sorted(need) or 'no time'}")
                continue
            if gives == "window" and times.get("from") and times.get("to"):
                if times["from"] >= times["to"]:
                    problems.append(f"{at}: from {st['from']} is not before to {st['to']}")
            steps.append(
                ReportStep(
                    event=st["event"],
                    column=st.get("column"),
                    who=st.get("who") or {},
                    words=str(st.get("words", "")),
                    en=str(st.get("en", "")),
                    gives=gives,
                    at=times.get("at"),
                    start=times.get("from"),
                    end=times.get("to"),
                    short=st.get("short"),
                )
            )
        cases[where] = ReportCase(where, case["place"], tuple(steps), source=source)
    if problems:
        raise InputError(str(path), problems)
    return cases


def report_problems(report: dict[str, ReportCase], log) -> list[str]:
    """Where the log and the report disagree: a time the report gives that the log does not hold
    to the minute, a minute outside the window the words give, a seed case the report lacks."""
    f = log.frame.set_index("issue_id")
    out = []
    for iid in seed_cases(log):
        if iid not in report:
            out.append(f"{iid}: tagged {SEED_TAG} in the log but not in the report file")
    for iid, case in report.items():
        if iid not in f.index:
            out.append(f"{iid}: not in the log")
            continue
        for st in case.steps:
            if st.column is None:
                continue
            if st.column not in f.columns:
                out.append(f"{iid} {st.event}: the log has no column {st.column}")
                continue
            v = f.loc[iid, st.column]
            logged = None if v is None or v != v else _wall(v)
            if st.gives == "time" and logged != st.at:
                out.append(f"{iid} {st.column}: the log has {logged}, the report {st.at:%H:%M}")
            if st.gives == "window" and (logged is None or not st.start <= logged < st.end):
                out.append(
                    f"{iid} {st.column}: the log's {logged} is outside the report's window "
                    f"{st.start:%H:%M}–{_end(st.end)}"
                )
    return out


def _wall(v) -> datetime:
    """A log time as wall time to the minute, as the report gives it."""
    if getattr(v, "tzinfo", None) is not None:
        v = v.tz_localize(None)
    return _minute(v.to_pydatetime())


def logged_time(log, issue_id: str, column: str | None) -> datetime | None:
    if column is None or column not in log.frame:
        return None
    v = log.frame.set_index("issue_id").loc[issue_id, column]
    return None if v is None or v != v else _wall(v)


def clock(t: datetime, day, lang: str) -> str:
    """A time of day, with the days since `day` when it falls later: `07:00 +1d`."""
    days = (t.date() - day).days
    text = f"{t:%H:%M}"
    return text if days == 0 else tr("story.next_day", lang, time=text, days=days)


def timeline(
    times: dict[str, CaseTimes],
    report: ReportCase | None,
    lang: str = "en",
    now: datetime | None = None,
) -> str:
    """The case as a table of times (not dates): one row per step, the report's column first
    (what its words give; never a minute it does not give), then each arrangement's own."""
    first = next(iter(times.values()))
    day = first.reported.date()
    rows = [e for e in EVENTS if any(getattr(c, e) is not None for c in times.values())]
    if report is not None:
        rows = [e for e in EVENTS if e in rows or report.step(e) is not None]
    head = [tr("story.step", lang)]
    if report is not None and report.steps:
        head.append(report.source_name(lang))
    head += [arrangement(k, lang) for k in times]
    out = ["<table class='sc-timeline'><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    for event in rows:
        cells = [f"<th>{tr('story.step.' + event, lang)}</th>"]
        if report is not None and report.steps:
            st = report.step(event)
            text = "—" if st is None else st.cell(lang, day)
            who = "" if st is None or not st.who else f" title='{escape(st.who.get(lang, ''))}'"
            cells.append(
                f"<td class='sc-report' data-gives='{st.gives if st else ''}'{who}>{text}</td>"
            )
        for c in times.values():
            t = getattr(c, event)
            if t is None:
                cells.append("<td>—</td>")
                continue
            text = clock(t, day, lang)
            ahead = now is not None and t > now
            cls = " class='ahead'" if ahead else ""
            title = f" title='{tr('story.pending', lang)}'" if ahead else ""
            cells.append(f"<td{cls}{title}>{text}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    who = {k: c.coordinator for k, c in times.items() if c.coordinated_at is not None}
    if who:  # who settled it on site, beside who the report says did
        st = None if report is None else report.step("coordinated_at")
        said = [
            f"{arrangement(k, lang)}: {tr('story.who.' + (w or 'chief'), lang)}"
            for k, w in who.items()
        ]
        if len(who) == len(times) and len(set(who.values())) == 1:
            said = [
                tr(
                    "story.who.all",
                    lang,
                    who=tr("story.who." + (next(iter(who.values())) or "chief"), lang),
                )
            ]
        if st is not None and st.who:
            said.append(tr("story.who.report", lang, who=st.who.get(lang, "")))
        out.append(
            f"<div class='sc-who'>{tr('story.step.coordinated_at', lang)}: {'; '.join(said)}</div>"
        )
    return "".join(out)


def report_account(report: ReportCase | None, log, lang: str = "en") -> str:
    """What the report says happened to the case, in its words, each with what it gives; a case
    the report only captions says so."""
    if report is None:
        return ""
    if report.caption is not None:
        words = report.caption if lang == "zh" else report.caption_en or report.caption
        return f"<b>{report.source_name(lang)}</b>: {words} {tr('story.caption', lang)}"
    items = []
    for st in report.steps:
        who = st.who.get(lang, "")
        said = f"「{st.words}」" if lang == "zh" else f"{who + ': ' if who else ''}{st.en}"
        logged = logged_time(log, report.issue_id, st.column)
        items.append(f"<li>{said} — <i>{st.gives_text(lang, logged)}</i></li>")
    return f"<b>{tr('story.words', lang)}</b>:<ul class='sc-words'>{''.join(items)}</ul>"


def _minute(t: datetime) -> datetime:
    return t.replace(second=0, microsecond=0)


def against_report(
    report: ReportCase | None,
    times: dict[str, CaseTimes],
    lang: str = "en",
    now: datetime | None = None,
) -> str:
    """Each arrangement's resolution beside the report's: earlier or later than the minute it
    gives, or than the window its words give (inside it: said so), to the minute shown, from the
    records; a resolution still ahead of `now` is greyed. Empty when the report gives neither."""
    st = None if report is None else report.step("resolved")
    if st is None or st.gives == "nothing":
        return ""
    low, high = (st.at, st.at) if st.gives == "time" else (st.start, st.end)
    parts = []
    for name, c in times.items():
        if c.resolved is None:
            text = tr("story.not_resolved", lang)
        else:  # minutes as the narration prints them: 08:59:31 is 1 min before 09:00
            shown = _minute(c.resolved)
            if st.gives == "time" and shown == low:
                text = tr("story.same_time", lang)
            elif st.gives == "window" and low <= shown < high:
                text = tr("story.inside", lang)
            else:
                early = shown < low
                hours = ((low - shown) if early else (shown - high)).total_seconds() / 3600
                key = "story.earlier" if early else "story.later"
                text = tr(key, lang, span=duration(hours, lang))
            if now is not None and c.resolved > now:
                title = tr("story.pending", lang)
                text = f"<span class='ahead' title='{title}'>{text}</span>"
        parts.append(f"{arrangement(name, lang)} {text}")
    sep = ";" if lang == "zh" else "; "
    if st.gives == "time":
        day = next(iter(times.values())).reported.date()
        head = tr("story.against", lang, when=clock(st.at, day, lang))
    else:
        what = (st.short or {}).get(lang, "")
        head = tr("story.against_window", lang, what=what, start=f"{low:%H:%M}", end=_end(high))
    return f"<b>{head}</b>: " + sep.join(parts)
