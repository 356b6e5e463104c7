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
from streetchief.i18n import DEFAULT_LANGUAGE, LANGUAGES, arrangement, role, status, tr, when
from streetchief.issue_log import read_log
from streetchief.plots import COLOURS, font_face_css
from streetchief.scenario import load_scenario, shipped
from streetchief.story import against_report, case_times, narrate, report_account, seed_cases

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
WIDTH, HEIGHT = 132.0, 80.0  # the map's own units (its viewBox)
FONT = "'Noto Sans SC', 'DejaVu Sans', sans-serif"
RESOLVED_FADE_HOURS = 12.0  # resolved issues stay on the map this long


PAGE_CSS = f"""
body, .jp-RenderedHTMLCommon, .sc-app, .sc-app .widget-label, .sc-app .widget-button,
.sc-app .widget-toggle-button,
.sc-app select, .sc-app input, .sc-app .widget-readout, .sc-app .widget-html-content {{
  font-family: {FONT} !important; }}
.sc-app .widget-button, .sc-app .widget-toggle-button {{ font-size: 16px; height: 38px; }}
.sc-app .widget-label {{ font-size: 14px; }}
.sc-side {{ overflow-y: auto; }}
.sc-clock {{ font-size: clamp(22px, 3.2vw, 44px); font-weight: 600; line-height: 1.1; }}
.sc-legend {{ font-size: clamp(13px, 1.1vw, 20px); display: flex; flex-wrap: wrap; gap: 4px 18px; }}
.sc-grid {{ display: grid; grid-template-columns: 1fr 1fr; gap: 6px; }}
.sc-panel h4 {{ margin: 0; font-size: clamp(14px, 1.25vw, 24px); }}
.sc-panel svg {{ width: 100%; height: calc((100vh - 190px) / 2); min-height: 150px;
  display: block; background: #fbfbf8; border: 1px solid #ddd; }}
.sc-story {{ font-size: 14px; line-height: 1.45; }}
.sc-side .sc-story {{ max-height: 36vh; overflow-y: auto; }}
.sc-story .ahead {{ color: #777; }}
.sc-costs td, .sc-costs th {{ padding: 1px 6px; font-size: 13px; }}
"""


def district_layout(scenario) -> dict[str, tuple]:
    """A schematic map: roads alternately east-west and north-south across the district, scenic
    areas as blocks along its east side; one place per zone."""
    roads = [k for k, z in scenario.zones.items() if z.kind == "road"]
    areas = [k for k, z in scenario.zones.items() if z.kind != "road"]
    ew, ns = roads[0::2], roads[1::2]
    out = {}
    for n, k in enumerate(ew):  # the top strip holds the north-south roads' names
        y = 17 + n * (HEIGHT - 21) / max(1, len(ew) - 1)
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


def statuses(table, t: float, work: np.ndarray) -> np.ndarray:
    """Each issue's status at time t (−1: not yet reported; `being fixed`: its crew on site)."""
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
    """The seed's week replayed under every arrangement of the scenario, side by side, with a
    clock, counters, costs, Reset / Step / Play / Pause / speed, a language switch and the seed's
    cases told from what the model did."""

    def __init__(
        self,
        scenario="jingxing_2019",
        log: str | Path = SEED_WEEK,
        seed: int = 1,
        lang: str = DEFAULT_LANGUAGE,
        fps: float = 12.0,
    ):
        self.scenario = load_scenario(scenario) if not hasattr(scenario, "zones") else scenario
        self.log = read_log(log, self.scenario)
        self.lang, self.fps = lang, fps
        self.layout = district_layout(self.scenario)
        self.cases = seed_cases(self.log)
        self.highlight: str | None = None
        self.playing, self._task, self.frames = False, None, 0
        self.message = ""
        self._build_widgets(seed)
        self.run(seed)

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
        self.t = self.first - 1.0
        self.draw()

    @property
    def arrangements(self) -> list[str]:
        return list(self.tables)

    def now(self):
        return self.start + timedelta(hours=self.t)

    def counts(self) -> dict[str, dict[str, int]]:
        out = {}
        for k, t in self.tables.items():
            s = statuses(t, self.t, self.work[k])
            out[k] = {name: int((s == n).sum()) for n, name in enumerate(STATUSES)}
        return out

    # --- the controls -------------------------------------------------------------------------
    def _build_widgets(self, seed: int) -> None:
        self.style = W.HTML(f"<style>{font_face_css()}{PAGE_CSS}</style>")
        self.language = W.ToggleButtons(
            options=[(v, k) for k, v in LANGUAGES.items()], value=self.lang
        )
        self.language.style.button_width = "90px"
        self.reset_button = W.Button(layout=W.Layout(width="31%"))
        self.step_button = W.Button(layout=W.Layout(width="31%"))
        self.play_button = W.Button(button_style="primary", layout=W.Layout(width="31%"))
        self.speed = W.FloatSlider(
            6.0, min=1.0, max=48.0, step=1.0, readout_format=".0f", layout=W.Layout(width="98%")
        )
        self.replication = W.BoundedIntText(seed, min=1, max=100, layout=W.Layout(width="98%"))
        self.case = W.Dropdown(layout=W.Layout(width="98%"))
        self.speed_label, self.replication_label, self.case_label = W.HTML(), W.HTML(), W.HTML()
        self.view = W.HTML()
        self.story = W.HTML()
        self.costs = W.HTML()
        self.notice = W.HTML()
        self.mechanism = W.HTML()
        self.reset_button.on_click(lambda _: self.reset())
        self.step_button.on_click(lambda _: self.step())
        self.play_button.on_click(lambda _: self.toggle_play())
        self.language.observe(lambda c: self.set_language(c["new"]), names="value")
        self._relabelling = False
        self.case.observe(
            lambda c: None if self._relabelling else self.pick(c["new"]), names="value"
        )
        self.replication.observe(lambda c: self._replicate(c["new"]), names="value")
        self._label_widgets()

    def _label_widgets(self) -> None:
        lang = self.lang
        self.reset_button.description = tr("reset", lang)
        self.step_button.description = tr("step", lang)
        self.play_button.description = tr("pause" if self.playing else "play", lang)
        self.speed_label.value = f"<b>{tr('speed', lang)}</b>"
        self.speed.description_allow_html = False
        self.speed.tooltip = tr("speed.help", lang)
        self.replication_label.value = f"<b>{tr('replication', lang)}</b>"
        self.replication.tooltip = tr("replication.help", lang)
        self.case_label.value = f"<b>{tr('case', lang)}</b>"
        options = [(tr("case.none", lang), "")] + [(self._case_name(c), c) for c in self.cases]
        self._relabelling = True  # new labels for the same cases: nothing to follow anew
        try:
            self.case.options = options
            self.case.value = self.highlight or ""
        finally:
            self._relabelling = False
        self.mechanism.value = f"<div class='sc-story'>{tr('mechanism', lang)}</div>"

    def _case_name(self, issue_id: str) -> str:
        row = self.log.frame.set_index("issue_id").loc[issue_id]
        zone = self.scenario.zones[row.zone]
        cat = self.scenario.categories[row.category]
        t = when(row.reported_at.to_pydatetime(), self.lang)
        if self.lang == "zh":
            return f"{zone.name} {cat.name},{t}"
        return f"{row.category.replace('_', ' ')} at {zone.name}, {t}"

    def set_language(self, lang: str) -> None:
        self.lang = lang
        self.language.value = lang
        self._label_widgets()
        self.draw()

    def _replicate(self, seed: int) -> None:
        t, playing = self.t, self.playing
        self.pause()
        self.run(int(seed))
        self.t = t
        self.draw()
        if playing:
            self.play()

    # --- playback -----------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to the hour before the first report, paused."""
        self.pause()
        self.t = self.first - 1.0
        self.message = ""
        self.draw()

    def step(self, hours: float = 1.0) -> None:
        """One hour on (or `hours`), never past the end of the replay."""
        self.advance(hours)

    def advance(self, hours: float) -> None:
        self.t = min(self.t + hours, self.end)
        self.message = tr("at_end", self.lang) if self.t >= self.end else ""
        self.draw()

    def set_time(self, t: float) -> None:
        self.t = min(max(t, self.first - 1.0), self.end)
        self.draw()

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
        out = []
        for z, (kind, a, b) in self.layout.items():
            name = html.escape(self.scenario.zones[z].name if lang == "zh" else _english(z))
            if kind == "road":
                out.append(
                    f'<line x1="{a[0]}" y1="{a[1]}" x2="{b[0]}" y2="{b[1]}" stroke="#c8c8c8" '
                    'stroke-width="1.6" stroke-linecap="round"/>'
                )
                if a[1] == b[1]:
                    out.append(
                        f'<text x="{a[0]}" y="{a[1] - 1.1:.2f}" font-size="2.9" fill="#333">'
                        f"{name}</text>"
                    )
                else:
                    out.append(
                        f'<text x="{a[0] + 1.1:.2f}" y="{a[1]:.2f}" font-size="2.9" '
                        f'fill="#444" writing-mode="vertical-rl">{name}</text>'
                        if lang == "zh"
                        else f'<text transform="translate({a[0] + 1.1:.2f},{a[1] + 1}) '
                        f'rotate(90)" font-size="2.4" fill="#444">{name}</text>'
                    )
            else:
                out.append(
                    f'<rect x="{a[0]}" y="{a[1]}" width="{b[0] - a[0]:.2f}" '
                    f'height="{b[1] - a[1]:.2f}" rx="2" fill="#e3f1e3" stroke="#9c9"/>'
                    f'<text x="{(a[0] + b[0]) / 2:.2f}" y="{a[1] + 4:.2f}" font-size="2.8" '
                    f'text-anchor="middle" fill="#264">{name}</text>'
                )
        return "".join(out)

    def panel(self, k: str) -> str:
        t = self.tables[k]
        s = statuses(t, self.t, self.work[k])
        res = t.resolved_at.to_numpy()
        shown = (s >= 0) & ((s < 4) | (res > self.t - RESOLVED_FADE_HOURS))
        marks = []
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
        summary = self.result.summaries[k]
        hours = summary.get("official_hours_total") or 0.0
        title = (
            f"<span style='color:{COLOURS.get(k, '#333')}'>■</span> {arrangement(k, self.lang)}"
            f" · {tr('open', self.lang)} {open_now} · {tr('resolved_n', self.lang)} {done}"
        )
        return (
            f"<div class='sc-panel' data-arrangement='{k}' data-open='{open_now}'>"
            f"<h4>{title}</h4><svg viewBox='0 0 {WIDTH} {HEIGHT}' "
            f"preserveAspectRatio='xMidYMid meet' font-family=\"{FONT}\">"
            f"<title>{html.escape(_costs_line(summary, self.lang, hours))}</title>"
            f"{self._background(self.lang)}{''.join(marks)}</svg></div>"
        )

    def draw(self) -> None:
        """One frame: the clock, the legend and every panel in one picture, so they agree."""
        self.frames += 1
        panels = "".join(self.panel(k) for k in self.tables)
        note = f" <span style='color:#a40'>— {self.message}</span>" if self.message else ""
        self.view.value = (
            f"<div class='sc-view' data-t='{self.t:.4f}'>"
            f"<div class='sc-clock' data-t='{self.t:.4f}'>{when(self.now(), self.lang)}{note}</div>"
            f"{legend_html(self.lang)}<div class='sc-grid'>{panels}</div></div>"
        )
        self.story.value = self._story()
        self.costs.value = self._costs()

    def _story(self) -> str:
        if not self.highlight:
            return f"<div class='sc-story'>{tr('story.pick', self.lang)}</div>"
        now = self.now()
        lines = [
            narrate(c, self.result.scenario, self.lang, now)
            for c in self.case_times[self.highlight].values()
        ]
        lines.append(report_account(self.log, self.highlight, self.lang))
        beside = against_report(
            self.log, self.highlight, self.case_times[self.highlight], self.lang, now
        )
        if beside:
            lines.append(beside)
        return "<div class='sc-story'>" + "<br>".join(lines) + "</div>"

    def _costs(self) -> str:
        rows = []
        for k, s in self.result.summaries.items():
            total = s.get("official_hours_total") or 0.0
            roles = ", ".join(
                f"{role(r, self.lang)} {h:,.0f}" for r, h in (s.get("official_hours") or {}).items()
            )
            rows.append(
                f"<tr><td><b>{arrangement(k, self.lang)}</b></td><td align='right'>{total:,.0f}"
                f"</td><td>{roles}</td></tr>"
            )
        head = tr("costs.title", self.lang)
        return f"<table class='sc-costs'><caption>{head}</caption>{''.join(rows)}</table>"

    def widget(self):
        side = W.VBox(
            [
                self.style,
                self.language,
                W.HBox([self.reset_button, self.step_button, self.play_button]),
                self.speed_label,
                self.speed,
                self.case_label,
                self.case,
                self.story,
                self.replication_label,
                self.replication,
                W.Accordion(
                    [W.VBox([self.costs, self.mechanism])],
                    titles=("官员工时 · costs · 说明 · about",),
                ),
            ],
            layout=W.Layout(width="330px", min_width="300px", max_height="calc(100vh - 12px)"),
        )
        side.add_class("sc-side")
        main = W.VBox([self.view], layout=W.Layout(flex="1 1 auto", min_width="0"))
        app = W.HBox([side, main], layout=W.Layout(width="100%"))
        app.add_class("sc-app")
        return app


def _english(key: str) -> str:
    return key.replace("_", " ").title()


def _costs_line(summary: dict, lang: str, total: float) -> str:
    roles = ", ".join(
        f"{role(r, lang)} {h:,.0f}" for r, h in (summary.get("official_hours") or {}).items()
    )
    return f"{tr('costs.title', lang)}: {total:,.0f} ({roles})"
