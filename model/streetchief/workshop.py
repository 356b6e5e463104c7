"""The trainer's app: the seed's week replayed under every arrangement on a map that scales.

Four panels (one per arrangement) show the same issues on a schematic map of the district drawn as
SVG, so it fills any window and stays sharp on a projector: roads and scenic areas carry their
names, each issue is a symbol whose shape and colour say what has happened to it, and a large clock
and the counters are part of the same picture, so they are always in step with the map. Reset,
Step, Play/Pause and a speed control drive it; playing runs in the kernel's own event loop at a
fixed frame rate and stops at the end of the replay. Everything shows in Chinese or English, with
the shipped Noto Sans SC subset, so nothing is fetched from the internet.
"""

from __future__ import annotations

import asyncio
import functools
import html
import time
import zlib
from datetime import timedelta
from pathlib import Path

import ipywidgets as W
import numpy as np

from streetchief.experiment import replay
from streetchief.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    arrangement,
    duration,
    role,
    status,
    tr,
    when,
)
from streetchief.issue_log import read_log
from streetchief.plots import Style, font_face_css, styles
from streetchief.scenario import load_scenario, shipped
from streetchief.story import (
    against_report,
    case_times,
    narrate,
    read_report,
    report_account,
    report_file,
    report_problems,
    seed_cases,
    timeline,
)

SEED_WEEK = shipped() / "jingxing_2019_cases.csv"
STATUSES = ("reported", "acknowledged", "dispatched", "being fixed", "resolved")
# Okabe-Ito colours, and a shape per status, so that no one needs to tell colours apart
STATUS_STYLE = {
    "reported": ("#D55E00", "circle"),
    "acknowledged": ("#E69F00", "diamond"),
    "dispatched": ("#56B4E9", "square"),
    "being fixed": ("#0072B2", "ring"),
    "resolved": ("#009E73", "check"),
}
WIDTH, HEIGHT = 132.0, 60.0  # the map's own units (its viewBox)
FONT = "'Noto Sans SC', 'DejaVu Sans', sans-serif"
RESOLVED_FADE_HOURS = 12.0  # resolved issues stay on the map this long


# One base size for every text: at least 18 px on a 1280×720 projector, 27 px at 1920×1080, read
# from the back of a room; everything else is sized in em of it.
PAGE_CSS = f"""
.sc-app {{ --sc-font: max(18px, min(2.5vh, 1.41vw)); font-size: var(--sc-font); }}
body, .jp-RenderedHTMLCommon, .sc-app, .sc-app .widget-label, .sc-app .widget-button,
.sc-app .widget-toggle-button,
.sc-app select, .sc-app input, .sc-app .widget-readout, .sc-app .widget-html-content {{
  font-family: {FONT} !important; }}
.sc-app .widget-button, .sc-app .widget-toggle-button, .sc-app select, .sc-app input,
.sc-app .widget-readout, .sc-app .widget-label, .sc-app .widget-html-content {{
  font-size: var(--sc-font) !important; }}
.sc-app .widget-button, .sc-app .widget-toggle-button, .sc-app select, .sc-app input {{
  height: 1.9em !important; line-height: 1.5em; }}
.sc-app .widget-inline-hbox .widget-label {{ width: auto !important; padding-right: 0.3em; }}
.sc-app .widget-html-content {{ line-height: 1.25; }}
.sc-view {{ line-height: 1.25; }}
.sc-top {{ display: flex; flex-wrap: wrap; align-items: baseline; gap: 0 1em; }}
.sc-top h2 {{ margin: 0; font-size: 1.3em; }}
.sc-clock {{ font-size: 1.45em; font-weight: 600; white-space: nowrap; }}
.sc-legend {{ display: flex; flex-wrap: wrap; gap: 0 1.1em; margin-top: 0.3em; }}
.sc-grid {{ position: relative; display: grid; grid-template-columns: repeat(4, minmax(0, 1fr));
  gap: 0.3em; }}
.sc-panel h4 {{ margin: 0; font-size: 1em; font-weight: 600; }}
.sc-panel .sc-counts {{ font-weight: 400; }}
.sc-panel svg.sc-map {{ width: 100%; aspect-ratio: {WIDTH / HEIGHT:.4f}; display: block;
  background: #fbfbf8; border: 1px solid #ddd; }}
.sc-lower {{ display: grid; grid-template-columns: minmax(0, 1.3fr) minmax(0, 1fr); gap: 0.6em;
  margin-top: 0.2em; }}
.sc-story .ahead, .sc-timeline .ahead {{ color: #777; }}
.sc-timeline {{ border-collapse: collapse; width: 100%; }}
.sc-timeline th, .sc-timeline td {{ padding: 0 0.35em; text-align: left; white-space: nowrap; }}
.sc-timeline tr:first-child th {{ white-space: normal; word-break: keep-all;
  vertical-align: bottom; border-bottom: 1px solid #999; }}
.sc-timeline td.sc-report {{ background: #f2efe6; white-space: normal; min-width: 6.5em;
  max-width: 10em; }}
.sc-who {{ margin-top: 0.1em; }}
.sc-story details summary {{ cursor: pointer; }}
.sc-words {{ margin: 0; padding-left: 1.1em; }}
.sc-chart {{ width: 100%; display: block; }}
.sc-chart text {{ font-size: 18px; fill: #222; }}
.sc-sofar {{ border-collapse: collapse; width: 100%; }}
.sc-sofar td, .sc-sofar th {{ padding: 0 0.3em; white-space: nowrap; text-align: left; }}
.sc-sofar td.num, .sc-sofar th.num {{ text-align: right; }}
.sc-sofar svg.sc-bar {{ width: 100%; height: 0.9em; display: block; }}
.sc-summary {{ position: absolute; inset: 0; background: rgba(255, 255, 255, 0.95);
  border: 2px solid #333; padding: 0.4em 0.8em; overflow: hidden; }}
.sc-summary h3 {{ margin: 0 0 0.2em 0; font-size: 1.3em; }}
.sc-summary p {{ margin: 0.15em 0; }}
.sc-summary .sc-covers {{ color: #444; }}
"""
# each arrangement's line in the live chart: its colour and its own dash, for a greyscale print
# matplotlib's named dashes, in units of the line's width: SVG is given the same pattern
_NAMED_DASHES = {"-": (), "solid": (), "--": (3.7, 1.6), ":": (1, 1.65), "-.": (6.4, 1.6, 1, 1.6)}


def dasharray(look: Style, width: float) -> str:
    """An arrangement's dash as the figures draw it (`plots.styles`), as an SVG stroke-dasharray
    for a line `width` wide; "" for a solid line."""
    d = look.dashes
    seq = _NAMED_DASHES.get(d, ()) if isinstance(d, str) else d[1]
    return " ".join(f"{v * width:.3g}" for v in seq)


def district_layout(scenario) -> dict[str, tuple]:
    """A schematic map: roads alternately east-west and north-south across the district, scenic
    areas as blocks along its east side; one place per zone."""
    roads = [k for k, z in scenario.zones.items() if z.kind == "road"]
    areas = [k for k, z in scenario.zones.items() if z.kind != "road"]
    ew, ns = roads[0::2], roads[1::2]
    out = {}
    for n, k in enumerate(ew):
        y = 4 + n * (HEIGHT - 8) / max(1, len(ew) - 1)
        out[k] = ("road", (3.0, y), (98.0, y))
    for n, k in enumerate(ns):
        x = 22 + n * (70.0 / max(1, len(ns) - 1))
        out[k] = ("road", (x, 3.0), (x, HEIGHT - 3))
    for n, k in enumerate(areas):
        h = (HEIGHT - 6 - 3 * (len(areas) - 1)) / max(1, len(areas))
        y = 3 + n * (h + 3)
        out[k] = ("area", (102.0, y), (WIDTH - 2, y + h))
    return out


def place(layout_entry, key: str) -> tuple[float, float]:
    """Where an issue of a zone is drawn: a fixed point along it, from the issue's id."""
    kind, a, b = layout_entry
    u = (zlib.crc32(key.encode()) % 1000) / 1000
    v = (zlib.crc32(key[::-1].encode()) % 1000) / 1000
    if kind == "road":
        u = 0.12 + 0.86 * u  # clear of the road's name at its start
        x, y = a[0] + u * (b[0] - a[0]), a[1] + u * (b[1] - a[1])
        off = 1.6 * (v - 0.5)
        return (x + off, y) if a[0] == b[0] else (x, y + off)
    return a[0] + 2 + u * (b[0] - a[0] - 4), a[1] + 6 + v * (b[1] - a[1] - 8)


ENDED = -2  # ended without a fix (expired, cancelled, dropped): off the map, not open


def statuses(table, t: float, work: np.ndarray) -> np.ndarray:
    """Each issue's status at time t (−1: not yet reported; `being fixed`: its crew on site;
    ENDED: ended without a fix by then)."""
    rep, ack, disp, res = (
        table[c] for c in ("reported_at", "acknowledged_at", "dispatched_at", "resolved_at")
    )
    fixing = res - work
    s = np.full(len(rep), -1)
    s[rep <= t] = 0
    s[ack <= t] = 1
    s[disp <= t] = 2
    s[(fixing <= t) & (disp <= t)] = 3
    s[res <= t] = 4
    if "ended_at" in table:
        s[(table["ended_at"] <= t).to_numpy() & (s != 4)] = ENDED
    return s


def _symbol(kind: str, x: float, y: float, colour: str, r: float = 1.25) -> str:
    if kind == "circle":
        return f'<circle cx="{x:.2f}" cy="{y:.2f}" r="{r}" fill="{colour}"/>'
    if kind == "diamond":
        return (
            f'<path d="M{x:.2f} {y - r * 1.3:.2f}l{r * 1.3} {r * 1.3}l{-r * 1.3} {r * 1.3}'
            f'l{-r * 1.3} {-r * 1.3}z" fill="{colour}"/>'
        )
    if kind == "square":
        return (
            f'<rect x="{x - r:.2f}" y="{y - r:.2f}" width="{2 * r}" height="{2 * r}" '
            f'fill="{colour}"/>'
        )
    if kind == "ring":
        return (
            f'<circle cx="{x:.2f}" cy="{y:.2f}" r="{r}" fill="{colour}" stroke="#003"'
            ' stroke-width="0.5"/>'
        )
    return (
        f'<path d="M{x - r:.2f} {y:.2f}l{r * 0.7} {r * 0.8}l{r * 1.4} {-r * 1.7}" '
        f'stroke="{colour}" stroke-width="0.7" fill="none" opacity="0.8"/>'
    )


def legend_html(lang: str) -> str:
    items = []
    for name in STATUSES:
        colour, kind = STATUS_STYLE[name]
        mark = _symbol(kind, 0, 0, colour, 1.4)
        icon = f'<svg viewBox="-2 -2 4 4" width="1.1em" height="1.1em">{mark}</svg>'
        items.append(f"<span>{icon} {status(name, lang)}</span>")
    return f"<div class='sc-legend'>{''.join(items)}</div>"


class Workshop:
    """The seed's week replayed under every arrangement of the scenario, side by side: a title
    and a clock, a map per arrangement, the followed case as a timeline beside the report's own
    words, live charts of what is open and how long resolution takes so far, each arrangement's
    officials' hours, and at the end who was faster; Reset / Step / Play / End, a time scrubber,
    speed, a language switch and an HTML export."""

    def __init__(
        self,
        scenario="jingxing_2019",
        log: str | Path = SEED_WEEK,
        seed: int = 1,
        lang: str = DEFAULT_LANGUAGE,
        fps: float = 12.0,
        report: str | Path | None = None,
    ):
        self.scenario = load_scenario(scenario) if not hasattr(scenario, "zones") else scenario
        self.log = read_log(log, self.scenario)
        self.report = self._read_report(log, report)
        self.lang, self.fps = lang, fps
        self.layout = district_layout(self.scenario)
        self.cases = seed_cases(self.log)
        self.highlight: str | None = None
        self.playing, self._task, self.frames = False, None, 0
        self.message = ""
        self._build_widgets(seed)
        self.run(seed)

    def _read_report(self, log, report) -> dict:
        """The report's account of the log's seed cases, checked against the log."""
        from streetchief.errors import InputError

        path = report if report is not None else report_file(log)
        if path is None:
            return {}
        cases = read_report(path)
        problems = report_problems(cases, self.log)
        if problems:
            raise InputError(str(path), problems)
        return cases

    # --- the replay ---------------------------------------------------------------------------
    def run(self, seed: int) -> None:
        """Replay the log under every arrangement with this replication's draws."""
        self.seed = seed
        res = replay(self.scenario, self.log, seed=seed, recorded=False, keep_models=True)
        self.result = res
        self.start = res.scenario.run.start
        self.tables = {k: t.to_pandas() for k, t in res.tables.items()}
        self.work = {}  # crew hours on site of each record's issue, for "crew on site"
        for k, m in res.models.items():
            slot = {issue: n for n, issue in enumerate(m.problems.issue_ids)}
            self.work[k] = np.array([m.issues.work[slot[i]] for i in self.tables[k].issue_id])
        self.xy = {
            k: np.array(
                [
                    place(self.layout[z], str(i))
                    for z, i in zip(t.zone.astype(str), t.issue_id, strict=True)
                ]
            )
            for k, t in self.tables.items()
        }
        self.first = float(next(iter(self.tables.values())).reported_at.min())
        self.end = res.horizon
        self.case_times = {c: case_times(res, c) for c in self.cases}
        self._open_curves()
        self.scrubber.min, self.scrubber.max = -1e9, 1e9  # any order of the two is valid
        self.scrubber.min, self.scrubber.max = self.first - 1.0, self.end
        self.t = self.first - 1.0
        self.draw()

    def _open_curves(self) -> None:
        """Open issues per arrangement on a half-hour grid over the replay, for the live chart."""
        self.grid_t = np.arange(self.first - 1.0, self.end + 0.5, 0.5)
        self.open_curve = {}
        for k, t in self.tables.items():
            left = np.fmin(t.resolved_at.to_numpy(), t.ended_at.to_numpy())  # NaN: never left
            rep = np.sort(t.reported_at.to_numpy())
            gone = np.sort(left[~np.isnan(left)])
            self.open_curve[k] = np.searchsorted(rep, self.grid_t, "right") - np.searchsorted(
                gone, self.grid_t, "right"
            )

    @property
    def arrangements(self) -> list[str]:
        return list(self.tables)

    @property
    def looks(self) -> dict[str, Style]:
        """Each arrangement's colour and dash, as every figure draws it (worked out once for the
        arrangements shown, not at every frame)."""
        names = tuple(self.tables)
        if getattr(self, "_looks_for", None) != names:
            self._looks_for, self._looks = names, styles(list(names))
        return self._looks

    def now(self):
        return self.start + timedelta(hours=self.t)

    def counts(self) -> dict[str, dict[str, int]]:
        out = {}
        for k, t in self.tables.items():
            s = statuses(t, self.t, self.work[k])
            out[k] = {name: int((s == n).sum()) for n, name in enumerate(STATUSES)}
            out[k]["ended"] = int((s == ENDED).sum())
        return out

    # --- the controls -------------------------------------------------------------------------
    def _build_widgets(self, seed: int) -> None:
        self.style = W.HTML(f"<style>{font_face_css()}{PAGE_CSS}</style>")
        self.language = W.ToggleButtons(
            options=[(v, k) for k, v in LANGUAGES.items()], value=self.lang
        )
        self.language.style.button_width = "4.6em"
        button = W.Layout(width="auto", min_width="5.2em")
        self.reset_button = W.Button(layout=button)
        self.step_button = W.Button(layout=button)
        self.play_button = W.Button(button_style="primary", layout=button)
        self.end_button = W.Button(layout=button)
        self.export_button = W.Button(layout=button)
        self.scrubber = W.FloatSlider(
            0.0,
            min=-1.0,
            max=1.0,
            step=0.25,
            readout=False,
            continuous_update=True,
            layout=W.Layout(flex="1 1 14em", min_width="8em"),
        )
        self.speed = W.FloatSlider(
            6.0,
            min=1.0,
            max=48.0,
            step=1.0,
            readout_format=".0f",
            layout=W.Layout(width="15em"),
        )
        self.replication = W.BoundedIntText(seed, min=1, max=100, layout=W.Layout(width="8em"))
        self.case = W.Dropdown(layout=W.Layout(flex="1 1 16em", min_width="10em"))
        self.view = W.HTML()
        self.notice = W.HTML()
        self.reset_button.on_click(lambda _: self.reset())
        self.step_button.on_click(lambda _: self.step())
        self.play_button.on_click(lambda _: self.toggle_play())
        self.end_button.on_click(lambda _: self.to_end())
        self.export_button.on_click(lambda _: self._export_clicked())
        self.language.observe(lambda c: self.set_language(c["new"]), names="value")
        self._relabelling = False
        self.case.observe(
            lambda c: None if self._relabelling else self.pick(c["new"]), names="value"
        )
        self._scrubbing = False
        self.scrubber.observe(
            lambda c: None if self._scrubbing else self.set_time(c["new"]), names="value"
        )
        self.replication.observe(lambda c: self._replicate(c["new"]), names="value")
        self._label_widgets()

    def _label_widgets(self) -> None:
        lang = self.lang
        self.reset_button.description = tr("reset", lang)
        self.step_button.description = tr("step", lang)
        self.play_button.description = tr("pause" if self.playing else "play", lang)
        self.end_button.description = tr("to_end", lang)
        self.export_button.description = tr("export", lang)
        self.scrubber.description = tr("time", lang)
        self.speed.description = tr("speed", lang)
        self.speed.tooltip = tr("speed.help", lang)
        self.replication.description = tr("replication", lang)
        self.replication.tooltip = tr("replication.help", lang)
        self.case.description = tr("case", lang)
        for w in (self.scrubber, self.speed, self.replication, self.case):
            w.style.description_width = "initial"
        options = [(tr("case.none", lang), "")] + [(self._case_name(c), c) for c in self.cases]
        self._relabelling = True  # new labels for the same cases: nothing to follow anew
        try:
            self.case.options = options
            self.case.value = self.highlight or ""
        finally:
            self._relabelling = False

    def _case_name(self, issue_id: str) -> str:
        row = self.log.frame.set_index("issue_id").loc[issue_id]
        told = self.report.get(issue_id)
        if told is not None and told.place.get(self.lang):
            place = told.place[self.lang]
        else:
            zone = self.scenario.zones[row.zone]
            cat = self.scenario.categories[row.category]
            place = (
                f"{zone.name} {cat.name}"
                if self.lang == "zh"
                else f"{row.category.replace('_', ' ')} at {_english(row.zone)}"
            )
        t = row.reported_at.to_pydatetime()
        day = f"{t.month}月{t.day}日" if self.lang == "zh" else f"{t.day} {t:%b}"
        return f"{place}, {day}" if self.lang == "en" else f"{place},{day}"

    def set_language(self, lang: str) -> None:
        self.lang = lang
        self.language.value = lang
        self._label_widgets()
        self.draw()

    def _replicate(self, seed: int) -> None:
        t, playing = self.t, self.playing
        self.pause()
        self.run(int(seed))
        self.set_time(t)
        if playing:
            self.play()

    # --- playback -----------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to the hour before the first report, paused."""
        self.pause()
        self.set_time(self.first - 1.0)

    def step(self, hours: float = 1.0) -> None:
        """One hour on (or `hours`), never past the end of the replay."""
        self.advance(hours)

    def advance(self, hours: float) -> None:
        self.set_time(self.t + hours)

    def set_time(self, t: float) -> None:
        """The clock to `t` (clamped to the replay); at the end it says so, elsewhere not."""
        self.t = min(max(t, self.first - 1.0), self.end)
        self.message = tr("at_end", self.lang) if self.t >= self.end else ""
        self.draw()

    def to_end(self) -> None:
        """Straight to the end of the replay and its summary, paused."""
        self.pause()
        self.set_time(self.end)

    def toggle_play(self) -> None:
        self.pause() if self.playing else self.play()

    def play(self) -> None:
        """Play from now at `fps` frames a second, `speed` hours a second, until the end."""
        if self.t >= self.end:
            self.t = self.first - 1.0
        self.playing = True
        self.play_button.description = tr("pause", self.lang)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = asyncio.get_event_loop_policy().get_event_loop()
        self._task = loop.create_task(self._play())

    def pause(self) -> None:
        self.playing = False
        self.play_button.description = tr("play", self.lang)
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None

    async def _play(self) -> None:
        period = 1.0 / self.fps
        due = time.perf_counter()
        while self.playing and self.t < self.end:
            self.advance(self.speed.value * period)
            due += period
            wait = due - time.perf_counter()
            if wait < 0:  # a slow frame: keep the speed in hours per second, drop the debt
                due, wait = time.perf_counter(), 0.0
            await asyncio.sleep(wait)
        if self.t >= self.end:
            self.playing = False
            self.play_button.description = tr("play", self.lang)

    def pick(self, issue_id: str) -> None:
        """Follow one of the seed's cases: the clock goes to just before its report."""
        if issue_id not in self.cases:
            self.highlight = None
            self.draw()
            return
        self.highlight = issue_id
        reported = next(iter(self.case_times[issue_id].values())).reported
        self.set_time((reported - self.start).total_seconds() / 3600 - 0.25)

    # --- the picture --------------------------------------------------------------------------
    @functools.lru_cache(maxsize=4)  # noqa: B019 (one per language and Workshop; few Workshops)
    def _background(self, lang: str) -> str:
        """Roads and scenic areas, named on hover: names in print could not be read from the
        back of the room at a panel's size, so they are in the case's heading instead."""
        out = []
        for z, (kind, a, b) in self.layout.items():
            name = html.escape(self.scenario.zones[z].name if lang == "zh" else _english(z))
            if kind == "road":
                out.append(
                    f'<line data-zone="{z}" x1="{a[0]}" y1="{a[1]}" x2="{b[0]}" y2="{b[1]}" '
                    f'stroke="#c8c8c8" stroke-width="1.6" stroke-linecap="round">'
                    f"<title>{name}</title></line>"
                )
            else:
                out.append(
                    f'<rect data-zone="{z}" x="{a[0]}" y="{a[1]}" width="{b[0] - a[0]:.2f}" '
                    f'height="{b[1] - a[1]:.2f}" rx="2" fill="#e3f1e3" stroke="#9c9">'
                    f"<title>{name}</title></rect>"
                )
        return "".join(out)

    def _case_zone(self) -> str | None:
        if not self.highlight:
            return None
        return str(self.log.frame.set_index("issue_id").loc[self.highlight, "zone"])

    def panel(self, k: str) -> str:
        t = self.tables[k]
        s = statuses(t, self.t, self.work[k])
        res = t.resolved_at.to_numpy()
        shown = (s >= 0) & ((s < 4) | (res > self.t - RESOLVED_FADE_HOURS))
        marks = []
        zone = self._case_zone()
        if zone is not None:  # the followed case's road or area, drawn dark under the marks
            kind, a, b = self.layout[zone]
            marks.append(
                f'<line x1="{a[0]}" y1="{a[1]}" x2="{b[0]}" y2="{b[1]}" stroke="#555" '
                'stroke-width="2.2" stroke-linecap="round"/>'
                if kind == "road"
                else f'<rect x="{a[0]}" y="{a[1]}" width="{b[0] - a[0]:.2f}" '
                f'height="{b[1] - a[1]:.2f}" rx="2" fill="none" stroke="#555" stroke-width="1.2"/>'
            )
        xy = self.xy[k]
        for n in np.flatnonzero(shown):
            colour, kind = STATUS_STYLE[STATUSES[s[n]]]
            marks.append(_symbol(kind, xy[n, 0], xy[n, 1], colour))
        if self.highlight:
            m = (t.issue_id == self.highlight).to_numpy() & (s >= 0)
            for x, y in xy[m]:
                marks.append(
                    f'<circle cx="{x:.2f}" cy="{y:.2f}" r="3.2" fill="none" stroke="#000" '
                    'stroke-width="0.6"/>'
                )
        open_now = int(((s >= 0) & (s < 4)).sum())
        done = int((s == 4).sum())
        ended = int((s == ENDED).sum())
        lang = self.lang
        title = (
            f"{_swatch(self.looks[k])} {arrangement(k, lang)}"
            f"<span class='sc-counts'> · {tr('open', lang)} {open_now}<br>"
            f"{tr('resolved_n', lang)} {done} · {tr('ended_n', lang)} {ended}</span>"
        )
        return (
            f"<div class='sc-panel' data-arrangement='{k}' data-open='{open_now}' "
            f"data-resolved='{done}' data-ended='{ended}'>"
            f"<h4>{title}</h4><svg class='sc-map' viewBox='0 0 {WIDTH} {HEIGHT}' "
            f"preserveAspectRatio='xMidYMid meet' font-family=\"{FONT}\">"
            f"{self._background(lang)}{''.join(marks)}</svg></div>"
        )

    def draw(self) -> None:
        """One frame: the clock, the maps, the case, the charts and the costs in one picture,
        so that they always agree."""
        self.frames += 1
        if abs(self.scrubber.value - self.t) > 1e-9:
            self._scrubbing = True
            try:
                self.scrubber.value = self.t
            finally:
                self._scrubbing = False
        self.view.value = self.frame_html()

    def frame_html(self) -> str:
        lang = self.lang
        panels = "".join(self.panel(k) for k in self.tables)
        if self.t >= self.end:
            panels += self.summary_html()
        note = f" <span style='color:#a40'>— {self.message}</span>" if self.message else ""
        return (
            f"<div class='sc-view' data-t='{self.t:.4f}'>"
            f"<div class='sc-top'><h2>{tr('workshop.title', lang)}</h2>"
            f"<div class='sc-clock' data-t='{self.t:.4f}'>{when(self.now(), lang)}{note}</div>"
            f"</div><div class='sc-grid'>{panels}</div>"
            f"<div class='sc-lower'><div class='sc-story'>{self._story()}</div>"
            f"<div class='sc-live'>{self.open_chart()}{self.so_far_html()}{legend_html(lang)}</div>"
            "</div></div>"
        )

    def _story(self) -> str:
        lang = self.lang
        if not self.highlight:
            return tr("story.pick", lang)
        now = self.now()
        times = self.case_times[self.highlight]
        told = self.report.get(self.highlight)
        parts = [timeline(times, told, lang, now)]  # the case's name is in the dropdown
        beside = against_report(told, times, lang, now)
        if beside:
            parts.append(f"<div>{beside}</div>")
        account = report_account(told, self.log, lang)
        if told is not None and told.caption is not None:
            parts.append(f"<div>{account}</div>")
        elif account:
            parts.append(
                f"<details><summary>{tr('story.words', lang)}</summary>{account}</details>"
            )
        return "".join(parts)

    def open_chart(self) -> str:
        """Open issues over time per arrangement, drawn up to the clock: colour and dash each."""
        w, h, left, bottom, top = 520.0, 130.0, 44.0, 24.0, 22.0
        upto = self.grid_t <= self.t + 1e-9
        peak = max(1, max(int(c.max()) for c in self.open_curve.values()))
        t0, t1 = self.grid_t[0], self.grid_t[-1]

        def x(v):
            return left + (v - t0) / (t1 - t0) * (w - left - 30)

        def y(v):
            return h - bottom - v / peak * (h - bottom - top)

        out = [
            f"<svg class='sc-chart' viewBox='0 0 {w:.0f} {h:.0f}' font-family=\"{FONT}\">",
            f"<text x='{left}' y='17'>{tr('chart.open', self.lang)}</text>",
            f"<line x1='{left}' y1='{y(0):.1f}' x2='{w - 8}' y2='{y(0):.1f}' stroke='#999'/>",
            f"<text x='{left - 6}' y='{y(peak) + 6:.1f}' text-anchor='end'>{peak}</text>",
            f"<text x='{left - 6}' y='{y(0) + 6:.1f}' text-anchor='end'>0</text>",
        ]
        for v in range(0, int(t1) + 1, 96):  # every fourth day
            out.append(f"<text x='{x(v):.1f}' y='{h - 4:.1f}' text-anchor='middle'>{v} h</text>")
        for k, c in self.open_curve.items():
            if upto.sum() < 2:
                break
            pts = " ".join(
                f"{x(a):.1f},{y(b):.1f}" for a, b in zip(self.grid_t[upto], c[upto], strict=True)
            )
            dash = dasharray(self.looks[k], 2.6)
            out.append(
                f"<polyline data-arrangement='{k}' points='{pts}' fill='none' "
                f"stroke='{self.looks[k].colour}' stroke-width='2.6'"
                + (f" stroke-dasharray='{dash}'" if dash else "")
                + "/>"
            )
        out.append(
            f"<line x1='{x(self.t):.1f}' y1='{top}' x2='{x(self.t):.1f}' "
            f"y2='{y(0):.1f}' stroke='#a40' stroke-width='1'/>"
        )
        return "".join(out) + "</svg>"

    def so_far(self) -> dict[str, dict]:
        """Per arrangement: issues resolved by the clock, and their report-to-resolution hours'
        median and 10th and 90th percentiles (None before the first)."""
        out = {}
        for k, t in self.tables.items():
            done = (t.resolved_at <= self.t).to_numpy()
            hours = (t.resolved_at - t.reported_at).to_numpy()[done]
            if len(hours):
                p10, med, p90 = np.percentile(hours, [10, 50, 90])
                out[k] = {"n": len(hours), "p10": p10, "median": med, "p90": p90}
            else:
                out[k] = {"n": 0, "p10": None, "median": None, "p90": None}
        return out

    def so_far_html(self) -> str:
        """Resolution times so far, a row per arrangement, and its officials' hours over the
        whole replay (a cost that does not wait for the clock)."""
        lang = self.lang
        rows = self.so_far()
        top = max([r["p90"] for r in rows.values() if r["p90"] is not None] + [1.0])
        body = []
        looks = self.looks
        for k, r in rows.items():
            summary = self.result.summaries[k]
            total = summary.get("official_hours_total") or 0.0
            if r["n"]:
                a, m, b = (r[q] / top * 100 for q in ("p10", "median", "p90"))
                bar = (
                    f"<svg class='sc-bar' viewBox='0 0 100 10' preserveAspectRatio='none'>"
                    f"<rect x='{a:.1f}' y='2' width='{max(b - a, 0.6):.1f}' height='6' "
                    f"fill='{looks[k].colour}' opacity='0.55'/>"
                    f"<rect x='{max(m - 0.6, 0):.1f}' y='0' width='1.2' height='10' fill='#000'/>"
                    "</svg>"
                )
                median = f"{r['median']:.1f} h"
            else:
                bar, median = "", tr("chart.none_yet", lang)
            roles = _costs_line(summary, lang, total)
            body.append(
                f"<tr data-arrangement='{k}'><td>{_swatch(looks[k])} "
                f"<b>{arrangement(k, lang)}</b></td>"
                f"<td style='width:38%'>{bar}</td><td class='num' data-median='{r['median']}'>"
                f"{median}</td><td class='num' title='{html.escape(roles)}'>{total:,.0f}</td></tr>"
            )
        head = (
            f"<tr><th colspan='3'>{tr('chart.so_far', lang)}</th>"
            f"<th class='num'>{tr('costs.short', lang)}</th></tr>"
        )
        return f"<table class='sc-sofar sc-costs'>{head}{''.join(body)}</table>"

    def summary(self) -> dict:
        """Who was faster over the replay, on the problems every arrangement resolved (the
        comparison `compare` makes), and at what cost in officials' hours."""
        sums = self.result.summaries
        common = {k: s["common_problems"]["resolution_mean_h"] for k, s in sums.items()}
        order = sorted(common, key=lambda k: common[k])
        n = next(iter(sums.values()))["common_problems"]["problems"]
        costs = {k: s.get("official_hours_total") or 0.0 for k, s in sums.items()}
        lead = common[order[1]] - common[order[0]] if len(order) > 1 else 0.0
        return {"mean_h": common, "order": order, "problems": n, "costs": costs, "lead_h": lead}

    def summary_html(self) -> str:
        lang, s = self.lang, self.summary()
        means = (", " if lang == "en" else ",").join(
            f"{arrangement(k, lang)} {s['mean_h'][k]:.1f} h" for k in s["order"]
        )
        parts = [
            f"<h3>{tr('summary.title', lang)}</h3>",
            f"<p>{tr('summary.common', lang, n=s['problems'])} {means}</p>",
        ]
        if len(s["order"]) > 1:
            parts.append(
                "<p><b>"
                + tr(
                    "summary.fastest",
                    lang,
                    name=arrangement(s["order"][0], lang),
                    next=arrangement(s["order"][1], lang),
                    lead=duration(s["lead_h"], lang),
                )
                + "</b></p>"
            )
        costs = (", " if lang == "en" else ",").join(
            f"{arrangement(k, lang)} {v:,.0f}" for k, v in s["costs"].items()
        )
        parts.append(f"<p>{tr('summary.costs', lang, costs=costs)}</p>")
        parts.append(f"<p class='sc-covers'>{tr('summary.covers', lang, seed=self.seed)}</p>")
        return f"<div class='sc-summary' data-fastest='{s['order'][0]}'>{''.join(parts)}</div>"

    # --- export -------------------------------------------------------------------------------
    def export_html(self, path: str | Path) -> Path:
        """Write `export_page()` to `path` (whole or not at all)."""
        from streetchief.files import atomic_write

        page = self.export_page()
        path = Path(path)
        atomic_write(path, lambda tmp: Path(tmp).write_text(page, encoding="utf-8"))
        return path

    def export_page(self) -> str:
        """The frame on screen, the followed case's story and the comparison table as one
        self-contained HTML page (font inline, nothing fetched): a trainer can send it."""
        lang = self.lang
        story = ""
        if self.highlight:
            told = self.report.get(self.highlight)
            times = self.case_times[self.highlight]
            said = "".join(
                f"<p>{narrate(c, self.result.scenario, lang)}</p>" for c in times.values()
            )
            story = (
                f"<h2>{html.escape(self._case_name(self.highlight))}</h2>"
                f"{timeline(times, told, lang)}{said}"
                f"<p>{against_report(told, times, lang)}</p>"
                f"<div>{report_account(told, self.log, lang)}</div>"
            )
        page = (
            "<!DOCTYPE html><html><head><meta charset='utf-8'>"
            f"<title>{tr('workshop.tab', lang)} · {html.escape(when(self.now(), lang))}</title>"
            f"<style>{font_face_css()}{PAGE_CSS} body {{ margin: 1em; }}"
            ".sc-summary { position: static; } .sc-grid { min-height: 8em; }</style></head>"
            f"<body class='sc-app'><div class='sc-app'>{self.frame_html()}"
            f"{self.summary_html()}{story}"
            f"<h2>{tr('export.table', lang)}</h2>{self.comparison_html()}</div></body></html>"
        )
        return page

    def comparison_html(self) -> str:
        """Per arrangement, from this replication's records: what `compare` reports first."""
        lang = self.lang
        cols = (
            "export.common_mean",
            "export.median",
            "export.p90",
            "export.resolved",
            "export.unfixed",
            "export.on_time",
            "costs.title",
        )
        head = "<tr><th></th>" + "".join(f"<th>{tr(c, lang)}</th>" for c in cols) + "</tr>"
        rows = []
        for k, s in self.result.summaries.items():
            hours = s["resolution_hours"]
            cells = (
                f"{s['common_problems']['resolution_mean_h']:.1f} h",
                "—" if hours["median"] is None else f"{hours['median']:.1f} h",
                "—" if hours["p90"] is None else f"{hours['p90']:.1f} h",
                f"{s['issues_resolved']}",
                f"{s['issues_ended_unfixed']}",
                "—" if s["on_time_share"] is None else f"{s['on_time_share']:.0%}",
                _costs_line(s, lang, s.get("official_hours_total") or 0.0).split(": ", 1)[-1],
            )
            rows.append(
                f"<tr data-arrangement='{k}'><th>{arrangement(k, lang)}</th>"
                + "".join(f"<td>{c}</td>" for c in cells)
                + "</tr>"
            )
        return f"<table class='sc-compare'>{head}{''.join(rows)}</table>"

    def _export_clicked(self) -> None:
        """Offer the page as a download from the browser: nothing is left on the server."""
        import base64

        data = base64.b64encode(self.export_page().encode("utf-8")).decode("ascii")
        name = f"workshop_{self.highlight or 'week'}_{self.lang}.html"
        self.notice.value = (
            f"<a download='{name}' href='data:text/html;charset=utf-8;base64,{data}'>"
            f"{tr('export.ready', self.lang, name=name)}</a>"
        )

    def widget(self):
        controls = W.HBox(
            [
                self.reset_button,
                self.step_button,
                self.play_button,
                self.end_button,
                self.scrubber,
                self.speed,
            ],
            layout=W.Layout(width="100%", flex_flow="row nowrap", align_items="center"),
        )
        choices = W.HBox(
            [self.case, self.replication, self.language, self.export_button, self.notice],
            layout=W.Layout(width="100%", flex_flow="row wrap", align_items="center"),
        )
        app = W.VBox([self.style, self.view, controls, choices], layout=W.Layout(width="100%"))
        app.add_class("sc-app")
        return app


def _swatch(look: Style) -> str:
    """An arrangement's line as the live chart draws it: colour and dash, for the legend."""
    dash = dasharray(look, 3)
    return (
        "<svg width='1.8em' height='0.7em' viewBox='0 0 36 10' style='vertical-align:middle'>"
        f"<line x1='0' y1='5' x2='36' y2='5' stroke='{look.colour}' "
        "stroke-width='3'" + (f" stroke-dasharray='{dash}'" if dash else "") + "/></svg>"
    )


def _english(key: str) -> str:
    return key.replace("_", " ").title()


def _costs_line(summary: dict, lang: str, total: float) -> str:
    roles = ", ".join(
        f"{role(r, lang)} {h:,.0f}" for r, h in (summary.get("official_hours") or {}).items()
    )
    return f"{tr('costs.title', lang)}: {total:,.0f} ({roles})"
