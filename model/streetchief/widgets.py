"""The planner's controls: tune a scenario, run every arrangement on the same issues, save, load.

Every control shows one value of the scenario (or, for volume and unclear responsibility, one factor
over its categories) and sets exactly that value: what is shown is what is set. A change runs once
the user stops moving it (debounced), in a worker thread, with a "running…" state; a run overtaken
by a newer change is abandoned. Saving writes the base scenario's own text with the changed values,
so every comment and source tag stays, and never overwrites a shipped scenario; loading a saved one
sets every control from it. The workshop's view is in `workshop.py`.
"""

from __future__ import annotations

import asyncio
import copy
import io
import json
import re
import textwrap
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import ipywidgets as W
import matplotlib
import numpy as np
import yaml
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from streetchief.errors import ScenarioError
from streetchief.experiment import run_scenario
from streetchief.files import write_text
from streetchief.i18n import LANGUAGES, layer, role, tr
from streetchief.plots import dashboard_figure, font_face_css, label, styles, use_cjk_font
from streetchief.scenario import apply_overrides, load_scenario, resolve_path, shipped, validate
from streetchief.scenario.reference import parameter_reference
from streetchief.workshop import SEED_WEEK, Workshop  # noqa: E402,F401 (the notebooks' names)

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,40}$")
# Chinese from the shipped font where the machine has none: the page's own font first
PLANNER_CSS = """
.sc-planner, .sc-planner .widget-label, .sc-planner button, .sc-planner select,
.sc-planner input, .sc-planner .widget-readout, .sc-planner .widget-html-content,
.sc-planner table, .sc-planner .lm-TabBar, .sc-planner .jupyter-widget-Collapse-header {
  font-family: var(--jp-ui-font-family, system-ui), 'Noto Sans SC', sans-serif !important; }
"""


def _raw(scenario) -> dict:
    if isinstance(scenario, dict):
        return scenario
    from streetchief.errors import ScenarioError
    from streetchief.scenario import read_yaml_mapping

    return read_yaml_mapping(resolve_path(scenario), ScenarioError, "sections")


def ledger_table(summaries: dict, results: list | None = None, lang: str = "en") -> str:
    """Per arrangement: median resolution, problems resolved within 24 h of arising, and the
    officials' hours by role (the ledger), as an HTML table; over several replications, each
    mean with its 95% interval."""
    import pandas as pd

    from streetchief.stats import paired_interval

    many = results is not None and len(results) > 1

    def ci(name, get) -> str:
        mean, lo, hi, _ = paired_interval(pd.Series([get(r.summaries[name]) for r in results]))
        text = tr("planner.ci", lang, mean=f"{mean:,.1f}", lo=f"{lo:,.1f}", hi=f"{hi:,.1f}")
        return f"<br><small>{text}</small>"

    head = "<tr><th></th>" + "".join(
        f"<th>{tr(k, lang)}</th>"
        for k in ("planner.median", "planner.within_24h", "planner.hours", "planner.by_role")
    )
    head += "</tr>"
    rows = []
    for k, s in summaries.items():
        med = s["resolution_hours"]["median"]
        within = (s.get("problems") or {}).get("resolved_within_24h_share")
        roles = ", ".join(
            f"{role(r, lang)} {h:,.0f}" for r, h in (s.get("official_hours") or {}).items()
        )
        med_ci = ci(k, lambda x: x["resolution_hours"]["median"] or np.nan) if many else ""
        cost_ci = ci(k, lambda x: x.get("official_hours_total") or 0.0) if many else ""
        rows.append(
            f"<tr><td><b>{label(k, lang)}</b></td>"
            f"<td align='right'>{'—' if med is None else f'{med:.1f} {tr("hours", lang)}'}"
            f"{med_ci}</td>"
            f"<td align='right'>{'—' if within is None else f'{within:.0%}'}</td>"
            f"<td align='right'>{s.get('official_hours_total') or 0:,.0f}{cost_ci}</td>"
            f"<td>{roles}</td></tr>"
        )
    return f"<table>{head}{''.join(rows)}</table>"


def _hhmm(hours: float) -> str:
    h = int(round(hours * 60))
    return f"{h // 60:02d}:{h % 60:02d}"


def _span_hours(spans: list[str]) -> float:
    total = 0.0
    for span in spans:
        a, b = span.split("-")
        ha, ma = map(int, a.split(":"))
        hb, mb = map(int, b.split(":"))
        total += (hb + mb / 60) - (ha + ma / 60)
    return total


def _get(raw: dict, dotted: str):
    node = raw
    for k in dotted.split("."):
        node = node[int(k)] if isinstance(node, list) else node[k]
    return node


def _source_tag(text: str, key: str, section: str | None = None) -> str:
    """The comment on the scenario file's line that sets `key` (its [seed]/[cal]/[assumption]),
    or on the comment-only line below it; the first such line after `section:` if given."""
    if section:
        m = re.search(rf"^\s*{re.escape(section)}:", text, re.MULTILINE)
        text = text[m.start() :] if m else text
    m = re.search(rf"^\s*-?\s*{re.escape(key)}:(.*)\n(\s*#.*)?", text, re.MULTILINE)
    if not m:
        return ""
    for part in (m.group(1), m.group(2) or ""):
        if "#" in part:
            return part.split("#", 1)[1].strip()
    return ""


class Overtaken(Exception):
    """A newer change came in while this run was going: its result would be stale."""


class Planner:
    """Tune a scenario: each change re-runs every arrangement on the same issues and redraws."""

    def __init__(
        self,
        scenario="jingxing_2019",
        days: float = 120,
        seed: int | None = None,
        display_figure=True,
        folder: str | Path | None = None,
        debounce: float = 0.4,
        lang: str = "en",
    ):
        self.base_name = scenario if isinstance(scenario, str) else "scenario"
        self.base_raw = _raw(scenario)
        self.base_text = (
            resolve_path(scenario).read_text(encoding="utf-8") if isinstance(scenario, str) else ""
        )
        self.raw = copy.deepcopy(self.base_raw)
        self.base = load_scenario(self.base_raw)
        self.days, self.seed = days, seed
        self.display_figure = display_figure
        self.lang = lang
        self.folder = Path(folder or Path.cwd() / "my_scenarios")
        self.debounce = debounce
        self.runs, self.generation, self.result, self.results = 0, 0, None, []
        # what the status and message lines say, as keys: redrawn in another language as they are
        self._status: tuple[str | None, dict] = (None, {})
        self._notice: tuple[str | None, dict] = (None, {})
        self._named: tuple[dict, str] | None = None  # (controls, name) of the last save or load
        self._ran_with: dict | None = None  # the setting the figure shows
        self._shown_moved = 0
        self.running, self._timer, self._pending_overwrite = False, None, None
        self.comparing, self._compare_task = False, None
        self.figure = None
        self._build_controls()
        self.update()

    # --- the controls, one scenario value each ----------------------------------------------------
    def _build_controls(self) -> None:
        b, raw, text = self.base, self.base_raw, self.base_text
        # wide enough for the longest label in either language, a slider and its readout
        style = {"description_width": "320px"}
        lay = W.Layout(width="610px")
        short, row = {"description_width": "120px"}, W.Layout(width="330px")
        button = W.Layout(width="170px")

        def tip(path: str, key: str, unit: str) -> str:
            meaning = REFERENCE.get(path, "")
            keys = path.split(".")
            section = keys[1] if keys[0] == "arrangements" else None
            source = _source_tag(text, key, section)
            return f"{meaning}. Set here in {unit}. Source: {source or 'see the scenario file'}"

        self.total_rate = sum(c.rate_per_day for c in b.categories.values())
        self.volume = W.FloatSlider(
            round(self.total_rate, 1),
            min=round(self.total_rate / 4, 1),
            max=round(self.total_rate * 4, 1),
            step=0.1,
            description="problems a day (all categories)",
            tooltip=tip("categories.<name>.rate_per_day", "rate_per_day", "problems/day")
            + "; each category keeps its share",
            style=style,
            layout=lay,
        )
        self.crews = {
            k: W.IntSlider(
                d.crews,
                min=1,
                max=max(30, d.crews),
                description=f"crews: {d.name} ({k})",
                tooltip=tip("departments.<name>.crews", "crews", "crews"),
                style=style,
                layout=lay,
            )
            for k, d in b.departments.items()
        }
        self.controls: dict[str, W.Widget] = {"volume": self.volume}
        self.controls |= {f"crews.{k}": w for k, w in self.crews.items()}
        if "street_chief" in b.arrangement_names:
            sc = raw["arrangements"]["street_chief"]
            self.liaison = W.FloatSlider(
                round(60 * sc["liaison_ack_day"]["median"], 1),
                min=1,
                max=240,
                step=0.5,
                description="liaison reply, day: median (min)",
                tooltip=tip(
                    "arrangements.street_chief.liaison_ack_day", "liaison_ack_day", "minutes"
                ),
                style=style,
                layout=lay,
            )
            self.night = W.ToggleButtons(
                options=["watch", "morning"],
                value=sc.get("night_coverage", "watch"),
                description="liaison at night",
                tooltip=tip(
                    "arrangements.street_chief.night_coverage", "night_coverage", "one of two ways"
                ),
                style={"description_width": "320px", "button_width": "90px"},
            )
            cal = next(iter(b.chiefs.values())).calendar
            self.chief_calendar = cal
            self.chief_hours = W.FloatSlider(
                _span_hours(raw["calendars"][cal]["weekly"].get("mon", [])),
                min=0.5,
                max=12,
                step=0.5,
                description="chief duty a weekday (h)",
                tooltip=f"hours a weekday each street chief gives to the duty (h), centred on "
                f"17:00 (calendars.{cal}). Source: {_source_tag(text, cal)}",
                style=style,
                layout=lay,
            )
            self.coordination = W.ToggleButtons(
                options=["unit", "chief"],
                value=b.arrangement_params("street_chief").coordination.by,
                description="unclear issues settled on site by",
                tooltip=tip("arrangements.street_chief.coordination.by", "by", "one of two ways"),
                style={"description_width": "320px", "button_width": "90px"},
            )
            self.controls |= {
                "liaison": self.liaison,
                "night": self.night,
                "coordination": self.coordination,
                "chief_hours": self.chief_hours,
            }
        unclear = [c.unclear_share for c in b.categories.values() if c.unclear_share > 0]
        self.unclear = W.FloatSlider(
            1.0,
            min=0.0,
            max=round(1 / max(unclear, default=1.0), 1),
            step=0.1,
            description="unclear responsibility (× factor)",
            tooltip=tip("categories.<name>.unclear_share", "unclear_share", "factor")
            + "; every category's share times this factor",
            style=style,
            layout=lay,
        )
        self.controls["unclear"] = self.unclear
        take_on = b.department_response.take_on
        if getattr(take_on, "median", None) is not None:  # a lognormal: its median to move
            self.take_on = W.FloatSlider(
                take_on.median,
                min=0.1,
                max=24,
                step=0.1,
                description="departments: take an issue on, median (h)",
                tooltip=tip("department_response.take_on", "take_on", "hours")
                + "; the same under every arrangement",
                style=style,
                layout=lay,
            )
            self.controls["take_on"] = self.take_on
        if "grid" in b.arrangement_names:
            self.grid_patrol = W.FloatSlider(
                raw["arrangements"]["grid"]["patrol"]["interval_days"],
                min=0.25,
                max=14,
                step=0.25,
                description="grid: days between patrols",
                tooltip=tip("arrangements.grid.patrol.interval_days", "patrol", "days"),
                style=style,
                layout=lay,
            )
            self.controls["grid_patrol"] = self.grid_patrol
        if "multi_layer" in b.arrangement_names:
            layers = raw["arrangements"]["multi_layer"]["layers"]
            self.layers = W.IntSlider(
                len(layers),
                min=1,
                max=len(layers),
                description="layers (traditional)",
                tooltip="layers an issue passes before the department (count); the first ones "
                "are kept. Source: " + _source_tag(text, "layers"),
                style=style,
                layout=lay,
            )
            self.misrouting = [
                W.FloatSlider(
                    layer["misrouting"],
                    min=0.0,
                    max=0.6,
                    step=0.01,
                    readout_format=".0%",  # a share of the issues passing the layer
                    description=f"misrouting: {layer['name']}",
                    tooltip=tip(
                        "arrangements.multi_layer.layers.<n>.misrouting", "misrouting", "share"
                    ),
                    style=style,
                    layout=lay,
                )
                for layer in layers
            ]
            office = raw["calendars"][layers[0]["calendar"]]["weekly"].get("mon", ["08:30-17:30"])
            a, z = office[0].split("-")[0], office[-1].split("-")[1]
            self.office = W.FloatRangeSlider(
                value=(_hours_of(a), _hours_of(z)),
                min=0,
                max=24,
                step=0.5,
                readout=False,  # its label says 08:30–17:30: hours as a clock writes them
                description="office hours (traditional path)",
                tooltip="when the traditional path's offices and departments work, weekdays "
                "(h of day; lunch 12:00-14:30 kept). Source: " + _source_tag(text, "office"),
                style=style,
                layout=lay,
            )
            self.controls |= {"layers": self.layers, "office": self.office}
            self.office.observe(lambda _: self._label_office(), names="value")
            self.controls |= {f"misrouting.{n}": w for n, w in enumerate(self.misrouting)}
        self.replications = W.IntSlider(
            1, min=1, max=10, description="replications (interval)", style=style, layout=lay
        )
        self.replications.tooltip = (
            "runs with seeds seed, seed+1, ...: with more than one, a 95% interval is shown"
        )
        for w in self.controls.values():
            _on_its_steps(w)
        self.initial = self.values()
        for w in [*self.controls.values(), self.replications]:
            w.observe(lambda change: self.changed(), names="value")
        self.name = W.Text("my_district", description="save as", style=short, layout=row)
        self.save_button = W.Button(description="Save scenario", layout=button)
        self.overwrite_button = W.Button(
            description="Overwrite",
            button_style="warning",
            layout=W.Layout(display="none", width="110px"),
        )
        self.saved = W.Dropdown(description="saved scenarios", style=short, layout=row)
        self.load_button = W.Button(description="Load", layout=button)
        self.compare_select = W.SelectMultiple(description="compare", style=short, layout=row)
        self.compare_button = W.Button(description="Compare saved", layout=button)
        self.status = W.HTML()
        self.message = W.HTML()
        self.table = W.HTML()
        self.image = W.Image(format="png", layout=W.Layout(width="100%", max_width="1100px"))
        self.comparison = W.HTML()
        self.save_button.on_click(lambda _: self.save())
        self.overwrite_button.on_click(lambda _: self.save(overwrite=True))
        self.name.observe(lambda _: self._disarm_overwrite(), names="value")
        self.load_button.on_click(lambda _: self.load(self.saved.value))
        self.compare_button.on_click(lambda _: self._compare_clicked())
        self.comparison_figure: Figure | None = None
        # at its own pixel size at most: scaled up it blurs, and its text is sized for this
        self.comparison_image = W.Image(
            format="png", layout=W.Layout(width="100%", max_width=f"{COMPARISON_PX}px")
        )
        self.comparison_view = W.VBox(layout=W.Layout(display="none"))
        self.language = W.ToggleButtons(
            options=[(v, k) for k, v in LANGUAGES.items()], value=self.lang
        )
        self.language.style.button_width = "90px"
        self.language.observe(lambda c: self.set_language(c["new"]), names="value")
        self.header = W.HTML()
        self.crews_box = W.Accordion([W.VBox(list(self.crews.values()))])
        self._label_controls()
        self.refresh_saved()

    def _label_controls(self) -> None:
        """Every control's label, button and heading in the chosen language."""
        lang, b = self.lang, self.base
        for k, w in self.controls.items():
            if k.startswith("crews."):
                key = k.split(".", 1)[1]
                # its scenario name is Chinese: in English, its key read as words
                name = b.departments[key].name if lang == "zh" else key.replace("_", " ")
                w.description = tr("planner.crews", lang, name=name)
            elif k.startswith("misrouting."):
                n = int(k.split(".", 1)[1])
                name = self.base_raw["arrangements"]["multi_layer"]["layers"][n]["name"]
                w.description = tr("planner.misrouting", lang, name=layer(name, lang))
            elif k == "office":
                self._label_office()
            else:
                w.description = tr(f"planner.{k}", lang)
        for key, values in (("night", ("watch", "morning")), ("coordination", ("unit", "chief"))):
            if key not in self.controls:
                continue
            w = self.controls[key]
            value, self._quiet = w.value, True
            try:
                w.options = [(tr(f"planner.{key}.{v}", lang), v) for v in values]
                w.value = value
            finally:
                self._quiet = False
        self.replications.description = tr("planner.replications", lang)
        self.name.description = tr("planner.save_as", lang)
        self.save_button.description = tr("planner.save", lang)
        self.overwrite_button.description = tr("planner.overwrite", lang)
        self.saved.description = tr("planner.saved", lang)
        self.load_button.description = tr("planner.load", lang)
        self.compare_select.description = tr("planner.compare", lang)
        self.compare_button.description = tr("planner.compare_button", lang)
        self.header.value = tr("planner.header", lang)
        self.crews_box.set_title(0, tr("planner.crews_title", lang))

    def _label_office(self) -> None:
        a, z = self.office.value
        self.office.description = f"{tr('planner.office', self.lang)} {_hhmm(a)}–{_hhmm(z)}"

    def set_language(self, lang: str) -> None:
        """Labels, table, figures, the status and the last message in `lang`; nothing runs again
        and nothing shown is replaced (a refusal stays a refusal)."""
        if lang == self.lang and self.language.value == lang:
            return
        self.lang = lang
        self.language.value = lang  # its observer calls back here, and returns at once
        self._label_controls()
        if self.results:
            self._draw_results()
        self._show_notice()
        self._show_status()
        if getattr(self, "comparison_runs", None):
            self._draw_comparison()

    def _set_status(self, key: str | None, **values) -> None:
        self._status = (key, values)
        self._show_status()

    def _show_status(self) -> None:
        key, values = self._status
        text = tr(key, self.lang, **values) if key else ""
        style = {"planner.waiting": "i", "planner.running": "b", "planner.comparing": "b"}.get(key)
        self.status.value = f"<{style}>{text}</{style}>" if style and text else text

    def _notify(self, kind: str, **values) -> None:
        """What the message line says: kept as what it means, so a language switch redraws it."""
        self._notice = (kind, values)
        self._show_notice()

    def _show_notice(self) -> None:
        kind, v = self._notice
        lang = self.lang
        if kind == "refused":  # the figure is of the last accepted run: its words would mislead
            why = tr(v["key"], lang, **v["values"])
            self.message.value = f"<b style='color:#b00'>{tr('planner.refused', lang)}</b> {why}"
            return
        html = ""
        if kind == "confirm":
            html = "<b style='color:#a60'>⚠</b> " + tr("planner.exists", lang, path=v["path"])
        elif kind == "saved":
            html = tr("planner.saved_to", lang, path=f"<code>{v['path']}</code>")
        elif kind == "loaded":
            html = tr("planner.loaded", lang, path=f"<code>{v['path']}</code>")
            if v["differ"]:
                html += tr("planner.differ", lang, paths=", ".join(v["differ"][:5]))
        if self.results:  # what the run shown says stays said, after a save or a load too
            warnings = unstable(self.result, lang)
            html = (f"<div>{html}</div>" if html else "") + (
                "".join(
                    f"<div style='color:#b00'><b>{tr('planner.unstable', lang)}</b> {w}</div>"
                    for w in warnings
                )
                or f"<span style='color:#070'>{tr('planner.keeps_up', lang)}</span>"
            )
        self.message.value = html

    def values(self) -> dict:
        """Every control's value, by its name, as the control shows it: on its own steps, to its
        step's precision (a slider's 29.999999999999996 minutes is 30)."""
        return {k: _as_shown(w) for k, w in self.controls.items()}

    def set_values(self, values: dict, named: str | None = None) -> None:
        """Set controls without a run for each; one run follows (titled `named`, if given)."""
        self._quiet = True
        try:
            for k, v in values.items():
                if k in self.controls:
                    w = self.controls[k]
                    w.value = tuple(v) if isinstance(w.value, tuple) else v
        finally:
            self._quiet = False
        if named:
            self._named = (self.values(), named)
        self.update()

    # --- the controls as scenario values ----------------------------------------------------------
    def _moved(self, key: str) -> bool:
        """Moved by the user: a browser slider's float steps (8.500000000000002) are not a move."""
        if key not in self.controls:
            return False
        return not _same({key: _as_shown(self.controls[key])}, {key: self.initial[key]})

    def moved(self) -> list[str]:
        """The controls the user moved, by name."""
        return [k for k in self.controls if self._moved(k)]

    def overrides(self) -> dict:
        """Only the controls moved from where they started: untouched, the scenario is its own."""
        b, raw, o, v = self.base, self.base_raw, {}, self.values()
        factor = v["volume"] / self.total_rate
        for k, c in b.categories.items():
            if self._moved("volume"):
                o[f"categories.{k}.rate_per_day"] = c.rate_per_day * factor
            if self._moved("unclear") and c.unclear_share:
                o[f"categories.{k}.unclear_share"] = min(1.0, c.unclear_share * v["unclear"])
        for k in self.crews:
            if self._moved(f"crews.{k}"):
                o[f"departments.{k}.crews"] = v[f"crews.{k}"]
        if self._moved("liaison"):
            o["arrangements.street_chief.liaison_ack_day.median"] = v["liaison"] / 60
        if self._moved("night"):
            o["arrangements.street_chief.night_coverage"] = v["night"]
        if self._moved("chief_hours"):
            h = v["chief_hours"]  # centred on 17:00 (2 h: 16:00-18:00), from 08:00 when long
            start = 17.0 - h / 2 if h <= 8 else 8.0
            span = [f"{_hhmm(start)}-{_hhmm(min(24, start + h))}"]
            for d in ("mon", "tue", "wed", "thu", "fri"):
                o[f"calendars.{self.chief_calendar}.weekly.{d}"] = span
        if self._moved("coordination"):
            o["arrangements.street_chief.coordination.by"] = v["coordination"]
        if self._moved("take_on"):
            o["department_response.take_on.median"] = v["take_on"]
        if self._moved("grid_patrol"):
            o["arrangements.grid.patrol.interval_days"] = v["grid_patrol"]
        if "multi_layer" in b.arrangement_names:
            layers = raw["arrangements"]["multi_layer"]["layers"]
            if self._moved("layers"):
                o["arrangements.multi_layer.layers"] = copy.deepcopy(layers[: self.layers.value])
            for n in range(min(len(self.misrouting), self.layers.value)):
                if self._moved(f"misrouting.{n}"):
                    o[f"arrangements.multi_layer.layers.{n}.misrouting"] = v[f"misrouting.{n}"]
            if self._moved("office"):
                a, z = v["office"]
                spans = [f"{_hhmm(a)}-{_hhmm(min(z, 12))}"] if a < 12 else []
                spans += [f"{_hhmm(max(a, 14.5))}-{_hhmm(z)}"] if z > 14.5 else []
                spans = spans or [f"{_hhmm(a)}-{_hhmm(z)}"]
                o["calendars.traditional_office"] = {
                    "weekly": {d: spans for d in ("mon", "tue", "wed", "thu", "fri")},
                    "source": "assumption",
                }
                for n in range(self.layers.value):  # the layers' clerks; departments keep theirs
                    o[f"arrangements.multi_layer.layers.{n}.calendar"] = "traditional_office"
        return _tidy(o)  # values as the controls show them: no 0.49999999999999994

    def problems(self) -> list[str]:
        """What the controls ask that no scenario allows: which control, what, what is allowed."""
        out = []
        if "office" in self.controls:
            a, z = self.office.value
            if z <= a:
                out.append(
                    f"office hours (traditional path): {_hhmm(a)} to {_hhmm(z)} is no time at "
                    "all; choose an end after the start"
                )
        return out

    def scenario_dict(self, name: str | None = None) -> dict:
        """The scenario the controls set: named `name` when saved, else after its base."""
        overrides = self.overrides()
        raw = apply_overrides(self.raw, overrides, "planner")
        base = raw.get("name") or self.base_name
        named = self._named
        if name and NAME.match(name):
            raw["name"] = name
        elif named and _same(named[0], self.values()):
            raw["name"] = named[1]
        else:  # not the save-as name: nothing is saved under it yet
            raw["name"] = base
        return raw

    def scenario(self):
        problems = self.problems()
        if problems:
            raise ScenarioError("the planner's settings", problems)
        return validate(self.scenario_dict(), "the planner's settings")

    # --- re-run and redraw ------------------------------------------------------------------------
    def changed(self) -> None:
        """A control moved: run once the user stops (debounced) when a kernel loop is running."""
        if getattr(self, "_quiet", False):
            return
        self.generation += 1  # whatever is running or waiting is now stale
        if self._ran_with is not None and _same(self._setting(), self._ran_with):
            # back where the figure stands (a browser echoing a value, a drag undone): no run
            if self._timer is not None:
                self._timer.cancel()
            self._set_status("planner.done", n=self.runs)
            if self._notice[0] == "refused":  # the setting refused is gone: the run's words again
                self._notify("results")
            return
        loop = _running_loop()
        if loop is None or not self.debounce:
            self.update()
            return
        if self._timer is not None:
            self._timer.cancel()
        self._set_status("planner.waiting")
        self._timer = loop.call_later(self.debounce, lambda: loop.create_task(self.update_async()))

    async def update_async(self) -> bool:
        """Run in a worker thread; a newer change abandons it (its result is never shown)."""
        gen = self.generation
        try:
            sc = self.scenario()
        except ScenarioError as e:
            self._refuse(e)
            return False
        self.running = True
        self._set_status("planner.running")
        loop = asyncio.get_running_loop()
        try:
            results = await loop.run_in_executor(None, self._compute, sc, gen)
        except Overtaken:
            return False
        finally:
            self.running = False
        if gen != self.generation:
            return False
        self._show(results)
        return True

    def _compute(self, sc, gen: int | None = None) -> list:
        def check(done, total):
            if gen is not None and gen != self.generation:
                raise Overtaken

        seed = sc.run.seed if self.seed is None else self.seed
        return [
            run_scenario(sc, days=self.days, seed=seed + r, progress=check)
            for r in range(self.replications.value)
        ]

    def update(self) -> bool:
        """Run every arrangement now; a setting the scenario refuses is reported, nothing runs."""
        try:
            sc = self.scenario()
        except ScenarioError as e:
            self._refuse(e)
            return False
        self._show(self._compute(sc))
        return True

    def _refuse(self, e: ScenarioError) -> None:
        self._set_status(None)
        self._notify("refused", key="planner.problems", values={"why": "; ".join(e.problems[:3])})

    def _setting(self) -> dict:
        return {**self.values(), "replications": self.replications.value}

    def _show(self, results: list) -> None:
        self.results, self.result = results, results[0]
        self.runs += 1
        self._ran_with, self._shown_moved = self._setting(), len(self.moved())
        self._draw()

    def _draw(self) -> None:
        """The table, the words and the figure of the latest run, in the chosen language."""
        self._draw_results()
        self._notify("results")
        self._set_status("planner.done", n=self.runs)

    def _draw_results(self) -> None:
        self.table.value = ledger_table(self.result.summaries, self.results, self.lang)
        self.figure, self.image.value = _dashboard_png(self.result, self.lang, self._title())

    def _title(self) -> str:
        """The scenario shown: its saved or loaded name, or its base and how many controls moved."""
        name = self.result.scenario.name
        if name == (self.raw.get("name") or self.base_name) and self._shown_moved:
            return tr("planner.n_changed", self.lang, name=name, n=self._shown_moved)
        return name

    # --- saved scenarios --------------------------------------------------------------------------
    def refresh_saved(self) -> None:
        files = sorted(p.stem for p in self.folder.glob("*.yaml")) if self.folder.is_dir() else []
        self.saved.options = files
        self.compare_select.options = files

    def save(self, folder: Path | None = None, overwrite: bool = False) -> Path | None:
        """Write the tuned scenario: the base's own text (every comment and source tag kept) with
        the changed values, and a header naming the base and each change. Never a shipped
        scenario; an existing file of the user's only when asked again (`overwrite`)."""
        folder = Path(folder or self.folder)
        name = self.name.value or ""
        if not NAME.match(name):
            return self._say("planner.bad_name", name=repr(name))
        shipped_names = {p.stem for p in shipped().glob("*.yaml")}
        if name in shipped_names or folder.resolve() == shipped().resolve():
            return self._say("planner.shipped", name=repr(name))
        path = folder / f"{name}.yaml"
        # Overwrite replaces only the file it was asked about: another name asks again
        if path.exists() and not (overwrite and self._pending_overwrite == path):
            self._pending_overwrite = path
            self.overwrite_button.layout.display = None
            self._notify("confirm", path=path)  # a question, not a refusal: the run's words stay
            return None
        try:
            raw = self.scenario_dict(name)
            validate(raw, name)
        except ScenarioError as e:
            return self._say("planner.problems", why="; ".join(e.problems[:3]))
        text = scenario_text(self.base_text, self.base_raw, raw, self.base_name, self.values())
        folder.mkdir(parents=True, exist_ok=True)
        write_text(text, path)
        load_scenario(path)
        self.overwrite_button.layout.display = "none"
        self._pending_overwrite = None
        self._named = (self.values(), name)
        self._notify("saved", path=path)
        self.refresh_saved()
        self.saved.value = name  # ready to Load back
        return path

    def _disarm_overwrite(self) -> None:
        """A new name: the question asked about the old one no longer stands."""
        if self._pending_overwrite is not None:
            self._pending_overwrite = None
            self.overwrite_button.layout.display = "none"

    def _say(self, key: str, **values) -> None:
        self._notify("refused", key=key, values=values)
        return None

    def load(self, name_or_path) -> bool:
        """Set every control from a saved scenario (its header's control values, checked against
        its own values); the run that follows is that scenario's."""
        if not name_or_path:
            self._say("planner.none_chosen")
            return False
        path = Path(name_or_path)
        if not path.suffix:
            path = self.folder / f"{path}.yaml"
        try:
            text = path.read_text(encoding="utf-8")
            load_scenario(path)
        except (OSError, ScenarioError) as e:
            return bool(self._say("planner.cannot_load", path=path, why=e))
        m = re.search(r"^# planner controls: (\{.*\})$", text, re.MULTILINE)
        values = json.loads(m.group(1)) if m else {}
        self.name.value = path.stem
        self.set_values(values, named=path.stem)
        saved = yaml.safe_load(text)
        mine = self.scenario_dict()
        differ = [p for p in _diff(saved, mine) if p not in ("name", "description")]
        self._notify("loaded", path=path, differ=differ)
        return True

    def compare_saved(self, names: list[str]) -> bool:
        """Every chosen saved scenario run with the same seed and days: a table and one chart of
        them all. The button is off and the status says so while they run."""
        scenarios = self._saved_scenarios(names)
        if scenarios is None:
            return False
        self._comparing(len(scenarios))
        try:
            runs = self._compare_runs(scenarios)
        finally:
            self._compared()
        self._show_comparison(runs)
        return True

    async def compare_saved_async(self, names: list[str]) -> bool:
        """As `compare_saved`, in a worker thread: the page stays live while they run."""
        scenarios = self._saved_scenarios(names)
        if scenarios is None:
            return False
        self._comparing(len(scenarios))
        loop = asyncio.get_running_loop()
        try:
            runs = await loop.run_in_executor(None, self._compare_runs, scenarios)
        finally:
            self._compared()
        self._show_comparison(runs)
        return True

    def _compare_clicked(self) -> None:
        names = list(self.compare_select.value)
        loop = _running_loop()
        if loop is None:
            self.compare_saved(names)
        else:  # a kernel's loop: it must not wait the runs out
            self._compare_task = loop.create_task(self.compare_saved_async(names))

    def _saved_scenarios(self, names: list[str]) -> dict | None:
        if not names:
            return self._say("planner.none_chosen")
        out = {}
        for n in names:
            try:
                out[n] = load_scenario(self.folder / f"{n}.yaml")
            except ScenarioError as e:
                return self._say("planner.problems", why=f"{n}: {'; '.join(e.problems[:2])}")
        return out

    def _compare_runs(self, scenarios: dict) -> dict:
        return {n: run_scenario(sc, days=self.days, seed=self.seed) for n, sc in scenarios.items()}

    def _comparing(self, n: int) -> None:
        self.comparing, self._before_comparing = True, self._status
        self.compare_button.disabled = True
        self._set_status("planner.comparing", n=n)

    def _compared(self) -> None:
        self.comparing = False
        self.compare_button.disabled = False
        if self._status[0] == "planner.comparing":  # else a run since has said its own
            key, values = self._before_comparing
            self._set_status(key, **values)

    def _show_comparison(self, runs: dict) -> None:
        self.comparison_runs = runs
        self._draw_comparison()

    def _draw_comparison(self) -> None:
        """The saved scenarios side by side: a table, and one chart of them all."""
        lang, rows = self.lang, []
        for n, result in self.comparison_runs.items():
            for a, s in result.summaries.items():
                rows.append(
                    f"<tr><td>{n}</td><td>{label(a, lang)}</td>"
                    f"<td align='right'>{_h(s['resolution_hours']['median'], lang)}</td>"
                    f"<td align='right'>{s.get('official_hours_total') or 0:,.0f}</td></tr>"
                )
        head = "<tr>" + "".join(
            f"<th>{tr(k, lang)}</th>"
            for k in ("planner.scenario", "planner.arrangement", "planner.median", "planner.hours")
        )
        # an arrangement that does not keep up in a scenario is said there too, not only in a run
        warnings = "".join(
            f"<div style='color:#b00'><b>{tr('planner.unstable', lang)}</b> {n}: {w}</div>"
            for n, result in self.comparison_runs.items()
            for w in unstable(result, lang)
        )
        self.comparison.value = f"<table>{head}</tr>{''.join(rows)}</table>{warnings}"
        self.comparison_figure, self.comparison_image.value = _comparison_png(
            self.comparison_runs, lang, self.days
        )
        self.comparison_view.children = [self.comparison_image]
        self.comparison_view.layout.display = None

    def widget(self):
        sidebar = [self.language, self.header]
        sidebar += [w for k, w in self.controls.items() if not k.startswith("crews.")]
        sidebar += [self.crews_box, self.replications]
        sidebar += [W.HBox([self.name, self.save_button, self.overwrite_button])]
        sidebar += [W.HBox([self.saved, self.load_button])]
        sidebar += [W.HBox([self.compare_select, self.compare_button])]
        main = W.VBox(
            [
                self.status,
                self.message,
                self.image,
                self.table,
                self.comparison,
                self.comparison_view,
            ]
        )
        style = W.HTML(f"<style>{font_face_css()}{PLANNER_CSS}</style>")
        # side by side where there is room for both; on a narrower screen the results go below,
        # at full width, rather than a figure shrunk past reading
        side = W.VBox(sidebar, layout=W.Layout(min_width="630px", flex="0 0 auto"))
        main.layout = W.Layout(flex="1 1 640px", min_width="640px")
        box = W.HBox([style, side, main], layout=W.Layout(flex_flow="row wrap"))
        box.add_class("sc-planner")
        return box


def _dashboard_png(
    result, lang: str, name: str | None = None, figsize=(12, 7.5)
) -> tuple[Figure, bytes]:
    """The dashboard drawn into memory, apart from pyplot: nothing shows it a second time."""
    fig = Figure(figsize=figsize)
    dashboard_figure(result, figure=fig, lang=lang, title_name=name)
    buf = io.BytesIO()
    fig.set_dpi(90)
    FigureCanvasAgg(fig).print_png(buf)
    return fig, buf.getvalue()


COMPARISON_PX = 900  # the comparison chart's width in pixels: 10 by 5 inches at 90 dpi


def _comparison_png(runs: dict, lang: str, days: float) -> tuple[Figure, bytes]:
    """The saved scenarios in one chart: per arrangement, each scenario's median resolution as a
    bar beside the others', its hours written on it, a legend naming the scenarios."""
    arrangements = list(dict.fromkeys(a for r in runs.values() for a in r.summaries))
    look = styles(list(runs))
    with matplotlib.rc_context({"font.family": use_cjk_font(), "font.size": 12}):
        fig = Figure(figsize=(COMPARISON_PX / 90, COMPARISON_PX / 180), dpi=90)
        ax = fig.subplots()
        x, width = np.arange(len(arrangements)), 0.8 / max(1, len(runs))
        for k, (name, result) in enumerate(runs.items()):
            medians = [
                ((result.summaries.get(a) or {}).get("resolution_hours") or {}).get("median")
                for a in arrangements
            ]
            bars = ax.bar(
                x + (k - (len(runs) - 1) / 2) * width,
                [0.0 if m is None else m for m in medians],
                width,
                **look[name].bar(),
                label=name,
            )
            ax.bar_label(bars, ["—" if m is None else f"{m:.1f}" for m in medians], padding=2)
        ax.set_xticks(x, [textwrap.fill(label(a, lang), 14) for a in arrangements])
        ax.set_ylabel(tr("fig.median_hours", lang))
        ax.set_title(tr("planner.compare_title", lang, days=f"{days:g}"))
        ax.margins(y=0.15)  # room for the numbers over the tallest bar
        ax.grid(alpha=0.3, axis="y")
        # beside the axes: inside, it would hide a bar wherever the tallest falls
        ax.legend(title=tr("planner.scenario", lang), loc="upper left", bbox_to_anchor=(1.01, 1))
        fig.tight_layout()
        buf = io.BytesIO()
        FigureCanvasAgg(fig).print_png(buf)
    return fig, buf.getvalue()


def _on_its_steps(w) -> None:
    """A browser slider snaps its value to min + k·step and sends it back as a move: start each
    one's steps from a point of its value (23.7 stays 23.7, not 23.9) so what it shows is what
    the scenario says."""
    if not isinstance(w, W.FloatSlider | W.FloatRangeSlider) or not w.step:
        return
    first = min(np.atleast_1d(w.value))
    off = (first - w.min) / w.step
    if abs(off - round(off)) > 1e-9:
        w.min = round(first - w.step * np.floor(off), 10)


def _as_shown(w):
    """A float control's value on its own steps (from its min), to the precision of its step and
    min: what its readout shows and a browser sends back. Other controls' values as they are."""
    if not isinstance(w, W.FloatSlider | W.FloatRangeSlider) or not w.step:
        return w.value
    places = max(_places(w.step), _places(w.min))

    def snap(x: float) -> float:
        return round(w.min + round((x - w.min) / w.step) * w.step, places)

    return tuple(snap(x) for x in w.value) if isinstance(w.value, tuple) else snap(w.value)


def _places(x: float) -> int:
    """Decimal places a number is written with: 0.25 has 2, 5.9 has 1, 3 has 0."""
    return max(0, -Decimal(f"{x:.10g}").normalize().as_tuple().exponent)


def _same(a: dict, b: dict) -> bool:
    """Two settings alike but for a browser's float noise."""
    if a.keys() != b.keys():
        return False
    for k, x in a.items():
        y = b[k]
        if isinstance(x, int | float | tuple | list) and not isinstance(x, bool):
            if np.shape(x) != np.shape(y) or not np.allclose(x, y, rtol=0, atol=1e-6):
                return False
        elif x != y:
            return False
    return True


def _tidy(value):
    """Numbers as a person set them: a slider's 8.500000000000002 is 8.5."""
    if isinstance(value, float):
        return float(f"{value:.10g}")
    if isinstance(value, (list, tuple)):
        return [_tidy(v) for v in value]
    if isinstance(value, dict):
        return {k: _tidy(v) for k, v in value.items()}
    return value


def _running_loop():
    """The kernel's event loop when one runs (a notebook, Voila), else None (a script, a test)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _hours_of(hhmm: str) -> float:
    h, m = map(int, hhmm.split(":"))
    return h + m / 60


def _h(v, lang: str = "en") -> str:
    return "—" if v is None else f"{v:.1f} {tr('hours', lang)}"


def _diff(a, b, path: str = "") -> list[str]:
    """Dotted paths where two scenario mappings differ (lists of the same length item by item)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in list(a) + [k for k in b if k not in a]:
            p = f"{path}.{k}" if path else str(k)
            out += _diff(a.get(k), b.get(k), p) if k in a and k in b else [p]
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            q for n, (x, y) in enumerate(zip(a, b, strict=True)) for q in _diff(x, y, f"{path}.{n}")
        ]
    return [] if a == b else [path]


def scenario_text(base_text: str, base: dict, raw: dict, base_name: str, controls: dict) -> str:
    """The base scenario's own text with the values that differ set in place (its comments and
    source tags kept), under a header that names the base, each change and the control values."""
    from ruamel.yaml import YAML
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    y = YAML()
    y.width = 4096
    doc = y.load(base_text) if base_text else y.load(yaml.safe_dump(base))
    changed = _diff(base, raw)

    def quoted(v):
        if isinstance(v, str) and ":" in v:
            return DoubleQuotedScalarString(v)
        if isinstance(v, list):
            return [quoted(x) for x in v]
        if isinstance(v, dict):
            return {k: quoted(x) for k, x in v.items()}
        return v

    for p in changed:
        keys = p.split(".")
        node = doc
        for k in keys[:-1]:
            node = node[int(k)] if isinstance(node, list) else node[k]
        last = keys[-1]
        value = _get(raw, p) if _has(raw, p) else None
        old = _get(base, p) if _has(base, p) else None
        if isinstance(value, list) and isinstance(old, list) and old[: len(value)] == value:
            del node[last][len(value) :]  # fewer items: the rest keep their layout and comments
        elif isinstance(node, list):
            node[int(last)] = quoted(value)
        elif value is None and not _has(raw, p):
            del node[last]
        else:
            node[last] = quoted(value)
    out = io.StringIO()
    y.dump(doc, out)
    body = out.getvalue()
    # a comment on a value the planner removed (a layer dropped) is kept in the header
    kept = {line.split("#", 1)[1].strip() for line in body.splitlines() if "#" in line}
    lost = [
        c
        for c in (line.split("#", 1)[1].strip() for line in base_text.splitlines() if "#" in line)
        if c not in kept
    ]
    lines = [
        f"# saved by the planner from {base_name} on {datetime.now():%Y-%m-%d %H:%M}",
        f"# planner base: {base_name}",
        f"# planner controls: {json.dumps(_tidy(controls), ensure_ascii=False)}",
    ]
    for p in changed:
        if p in ("name", "description"):
            continue
        old = _get(base, p) if _has(base, p) else "(none)"
        new = _get(raw, p) if _has(raw, p) else "(removed)"
        lines.append(f"# changed: {p}: {_short(old)} -> {_short(new)}")
    lines += [f"# on a removed value: {c}" for c in lost]
    return "\n".join(lines) + "\n" + body


def _has(raw, dotted: str) -> bool:
    try:
        _get(raw, dotted)
        return True
    except (KeyError, IndexError, TypeError, ValueError):
        return False


def _short(v) -> str:
    text = json.dumps(v, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def unstable(result, lang: str = "en") -> list[str]:
    """The arrangements whose backlog grows without bound (`records.backlog_growth`), in words."""
    from streetchief.records.summary import backlog_growth

    out = []
    for name, table in result.tables.items():
        g = backlog_growth(table, result.horizon)
        if g is not None and g[2]:
            who = label(name, lang)
            out.append(tr("planner.unstable_line", lang, name=who, slope=g[0], end=g[1]))
    return out


REFERENCE = {path: meaning for path, _, _, meaning in parameter_reference()}
