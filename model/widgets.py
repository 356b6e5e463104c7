"""Interactive views for the notebooks and the workshop app: the planner's controls and the
trainer's animated district. Notebooks stay short and call these; tests drive them from Python."""

from __future__ import annotations

import re
import zlib
from pathlib import Path

import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np
import yaml

from streetchief.errors import ScenarioError
from streetchief.experiment import replay, run_scenario
from streetchief.issue_log import read_log
from streetchief.plots import COLOURS, LABELS, dashboard_figure
from streetchief.scenario import apply_overrides, load_scenario, resolve_path, shipped, validate

SEED_WEEK = shipped() / "jingxing_2019_cases.csv"
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,40}$")


def _raw(scenario) -> dict:
    if isinstance(scenario, dict):
        return scenario
    return yaml.safe_load(resolve_path(scenario).read_text(encoding="utf-8"))


def ledger_table(summaries: dict) -> str:
    """Per arrangement: median resolution, problems resolved within 24 h of arising, and the
    officials' hours by role (the ledger), as an HTML table."""
    head = (
        "<tr><th></th><th>median resolution</th><th>problems resolved in 24 h</th>"
        "<th>officials' hours</th><th>by role</th></tr>"
    )
    rows = []
    for k, s in summaries.items():
        med = s["resolution_hours"]["median"]
        within = (s.get("problems") or {}).get("resolved_within_24h_share")
        roles = ", ".join(f"{r} {h:,.0f}" for r, h in (s.get("official_hours") or {}).items())
        rows.append(
            f"<tr><td><b>{LABELS.get(k, k)}</b></td>"
            f"<td align='right'>{'—' if med is None else f'{med:.1f} h'}</td>"
            f"<td align='right'>{'—' if within is None else f'{within:.0%}'}</td>"
            f"<td align='right'>{s.get('official_hours_total') or 0:,.0f}</td><td>{roles}</td></tr>"
        )
    return f"<table>{head}{''.join(rows)}</table>"


def _hhmm(hours: float) -> str:
    h = int(round(hours * 60))
    return f"{h // 60:02d}:{h % 60:02d}"


class Planner:
    """Tune a scenario: each change re-runs both arrangements on the same issues and redraws."""

    def __init__(
        self,
        scenario="jingxing_2019",
        days: float = 120,
        seed: int | None = None,
        display_figure=True,
    ):
        self.raw = _raw(scenario)
        self.base = load_scenario(self.raw)
        self.days, self.seed = days, seed
        self.display_figure = display_figure
        self.runs = 0
        self.result = None
        b = self.base
        layers = (
            b.arrangement_params("multi_layer").layers
            if "multi_layer" in b.arrangement_names
            else []
        )
        sc = b.arrangement_params("street_chief") if "street_chief" in b.arrangement_names else None
        style = {"description_width": "200px"}
        lay = W.Layout(width="460px")
        self.volume = W.FloatSlider(
            1.0, min=0.25, max=4.0, step=0.05, description="issue volume ×", style=style, layout=lay
        )
        self.crews = {
            k: W.IntText(d.crews, description=f"crews: {d.name}", style=style, layout=lay)
            for k, d in b.departments.items()
        }
        self.liaison = W.FloatSlider(
            round(60 * sc.liaison_ack_day.mean(), 1) if sc else 6.0,
            min=1,
            max=240,
            step=1,
            description="liaison reply (min, day)",
            style=style,
            layout=lay,
        )
        self.unclear = W.FloatSlider(
            1.0,
            min=0.0,
            max=5.0,
            step=0.1,
            description="unclear responsibility ×",
            style=style,
            layout=lay,
        )
        self.chief_hours = W.FloatSlider(
            2.0,
            min=0.5,
            max=10,
            step=0.5,
            description="chief hours a weekday",
            style=style,
            layout=lay,
        )
        self.office = W.FloatRangeSlider(
            value=(8.5, 17.5),
            min=0,
            max=24,
            step=0.5,
            description="office hours (traditional)",
            style=style,
            layout=lay,
        )
        self.layers = W.IntSlider(
            len(layers),
            min=1,
            max=max(1, len(layers)),
            description="layers (traditional)",
            style=style,
            layout=lay,
        )
        self.misrouting = W.FloatSlider(
            max((layer.misrouting for layer in layers), default=0.0),
            min=0.0,
            max=0.6,
            step=0.01,
            description="misrouting per layer",
            style=style,
            layout=lay,
        )
        self.name = W.Text("my_district", description="save as", style=style, layout=lay)
        self.save_button = W.Button(description="Save scenario as YAML", icon="save")
        self.message = W.HTML()
        self.output = W.Output()
        self.figure = None
        controls = [
            self.volume,
            self.liaison,
            self.unclear,
            self.chief_hours,
            self.office,
            self.layers,
            self.misrouting,
            *self.crews.values(),
        ]
        self._initial = {w.model_id: w.value for w in controls}
        for w in controls:
            w.observe(lambda change: self.update(), names="value")
        self.save_button.on_click(lambda _: self.save())
        self.update()

    # --- the controls as scenario overrides -------------------------------------------------------
    def _moved(self, w) -> bool:
        return w.value != self._initial[w.model_id]

    def overrides(self) -> dict:
        """Only the controls moved from where they started: untouched, the scenario is the base."""
        b, o = self.base, {}
        for k, c in b.categories.items():
            if self._moved(self.volume):
                o[f"categories.{k}.rate_per_day"] = c.rate_per_day * self.volume.value
            if self._moved(self.unclear):
                o[f"categories.{k}.unclear_share"] = min(1.0, c.unclear_share * self.unclear.value)
        for k, w in self.crews.items():
            if self._moved(w):
                o[f"departments.{k}.crews"] = w.value
        if "street_chief" in b.arrangement_names and self._moved(self.liaison):
            o["arrangements.street_chief.liaison_ack_day"] = {
                "dist": "lognormal",
                "median": self.liaison.value / 60,
                "sigma": 0.8,
            }
        if self._moved(self.chief_hours):
            # the chiefs' street duty, weekdays, centred on 17:00 (2 h: 16:00-18:00),
            # from 08:00 when long
            h = self.chief_hours.value
            start = 17.0 - h / 2 if h <= 8 else 8.0
            for cal in {c.calendar for c in b.chiefs.values()}:
                o[f"calendars.{cal}"] = {
                    "weekly": {
                        d: [f"{_hhmm(start)}-{_hhmm(min(24, start + h))}"]
                        for d in ("mon", "tue", "wed", "thu", "fri")
                    }
                }
        if "multi_layer" in b.arrangement_names and any(
            self._moved(w) for w in (self.layers, self.misrouting, self.office)
        ):
            p = b.arrangement_params("multi_layer").model_dump(mode="json", by_alias=True)
            p["layers"] = p["layers"][: self.layers.value]
            if self._moved(self.misrouting):
                for layer in p["layers"]:
                    layer["misrouting"] = self.misrouting.value
            a, z = self.office.value
            if (
                self._moved(self.office) and z > a
            ):  # the traditional path's own office hours: crews keep theirs
                spans = [f"{_hhmm(a)}-{_hhmm(min(z, 12))}"] if a < 12 else []
                spans += [f"{_hhmm(max(a, 14.5))}-{_hhmm(z)}"] if z > 14.5 else []
                spans = spans or [f"{_hhmm(a)}-{_hhmm(z)}"]
                o["calendars.traditional_office"] = {
                    "weekly": {d: spans for d in ("mon", "tue", "wed", "thu", "fri")}
                }
                for layer in p["layers"]:
                    if not b.calendars[layer["calendar"]].always:
                        layer["calendar"] = "traditional_office"
                if not b.calendars[p["department_calendar"]].always:
                    p["department_calendar"] = "traditional_office"
            o["arrangements.multi_layer"] = p
        return o

    def scenario_dict(self) -> dict:
        raw = apply_overrides(self.raw, self.overrides(), "planner")
        raw["name"] = (
            self.name.value if NAME.match(self.name.value or "") else raw.get("name", "tuned")
        )
        return raw

    def scenario(self):
        return validate(self.scenario_dict(), "the planner's settings")

    # --- re-run and redraw ------------------------------------------------------------------------
    def update(self) -> bool:
        """Run both arrangements again; a setting the scenario refuses is reported, nothing runs."""
        try:
            sc = self.scenario()
        except ScenarioError as e:
            self.message.value = "<b style='color:#b00'>Refused:</b> " + "; ".join(e.problems[:3])
            return False
        self.result = run_scenario(sc, days=self.days, seed=self.seed)
        self.runs += 1
        if self.figure is not None:
            plt.close(self.figure)
        self.figure = dashboard_figure(self.result)
        self.message.value = ledger_table(self.result.summaries)
        if self.display_figure:
            from IPython.display import display

            with self.output:
                self.output.clear_output(wait=True)
                display(self.figure)
        return True

    def save(self, folder: Path | None = None) -> Path | None:
        """Write the tuned scenario as YAML (valid: it is checked before and after writing)."""
        from streetchief.files import write_text

        name = self.name.value or ""
        if not NAME.match(name):
            self.message.value = (
                "<b style='color:#b00'>Refused:</b> a scenario name is letters, digits and _, "
                f"starting with a letter; got {name!r}"
            )
            return None
        try:
            raw = self.scenario_dict()
            validate(raw, name)
        except ScenarioError as e:
            self.message.value = "<b style='color:#b00'>Refused:</b> " + "; ".join(e.problems[:3])
            return None
        path = Path(folder or shipped()) / f"{name}.yaml"
        text = f"# tuned in the planner notebook from {self.base.name}\n" + yaml.safe_dump(
            raw, sort_keys=False, allow_unicode=True, width=110
        )
        write_text(text, path)
        load_scenario(path)
        self.message.value = f"Saved <code>{path}</code>"
        return path

    def widget(self):
        crews = W.Accordion([W.VBox(list(self.crews.values()))], titles=("crews per department",))
        controls = W.VBox(
            [
                W.HTML("<b>Levers and uncertainties</b>"),
                self.volume,
                crews,
                self.liaison,
                self.unclear,
                self.chief_hours,
                self.office,
                self.layers,
                self.misrouting,
                W.HBox([self.name, self.save_button]),
                self.message,
            ]
        )
        return W.VBox([controls, self.output])


# --- the trainer's view: the district, animated ---------------------------------------------------
STATUSES = ("reported", "acknowledged", "dispatched", "being fixed", "resolved")
STATUS_COLOURS = {
    "reported": "#d62728",
    "acknowledged": "#ff7f0e",
    "dispatched": "#bcbd22",
    "being fixed": "#1f77b4",
    "resolved": "#2ca02c",
}
CASES = {
    "the street light at 南纬路口, 23 Oct 19:42": "毛毛烟酒",
    "the trash bins at 新王舍湿地公园, 28 Oct 23:00": "湿地公园旁商户",
}


def district_layout(scenario) -> dict[str, tuple]:
    """A schematic map: roads as segments on a grid, scenic areas as squares, one place per zone."""
    roads = [k for k, z in scenario.zones.items() if z.kind == "road"]
    areas = [k for k, z in scenario.zones.items() if z.kind != "road"]
    out = {}
    for n, k in enumerate(roads):
        if n % 2 == 0:  # east-west
            y = 1 + (n // 2) * (8 / max(1, (len(roads) + 1) // 2))
            out[k] = ("road", (0.5, y), (9.5, y))
        else:  # north-south
            x = 1 + (n // 2) * (8 / max(1, len(roads) // 2))
            out[k] = ("road", (x, 0.5), (x, 9.5))
    for n, k in enumerate(areas):
        out[k] = ("area", (10.8, 1.5 + n * 3.0), (12.6, 3.3 + n * 3.0))
    return out


def place(layout_entry, key: str) -> tuple[float, float]:
    """Where an issue of a zone is drawn: a fixed point along it, from the issue's id."""
    kind, a, b = layout_entry
    u = (zlib.crc32(key.encode()) % 1000) / 1000
    v = (zlib.crc32(key[::-1].encode()) % 1000) / 1000
    if kind == "road":
        return a[0] + u * (b[0] - a[0]) + (0.15 * (v - 0.5) if a[0] == b[0] else 0), a[1] + u * (
            b[1] - a[1]
        ) + (0.15 * (v - 0.5) if a[1] == b[1] else 0)
    return a[0] + u * (b[0] - a[0]), a[1] + v * (b[1] - a[1])


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


class Workshop:
    """The seed's week, the same issues in two panels (street chief | multi-layer), a clock,
    counters, and Play / Pause / Step / speed; the seed's two night-time cases can be picked."""

    def __init__(
        self,
        scenario="jingxing_2019",
        log: str | Path = SEED_WEEK,
        seed: int = 1,
        display_figure=True,
    ):
        self.scenario = load_scenario(scenario) if not hasattr(scenario, "zones") else scenario
        self.log = read_log(log, self.scenario)
        res = replay(
            self.scenario,
            self.log,
            ["street_chief", "multi_layer"],
            seed=seed,
            recorded=False,
            keep_models=True,
        )
        self.result = res
        self.start = res.scenario.run.start
        self.tables = {k: t.to_pandas() for k, t in res.tables.items()}
        self.work = {}  # crew hours on site of each record's issue, for "being fixed"
        for k, m in res.models.items():
            slot = {issue: n for n, issue in enumerate(m.problems.issue_ids)}
            self.work[k] = np.array([m.issues.work[slot[i]] for i in self.tables[k].issue_id])
        self.layout = district_layout(self.scenario)
        # the merchants along each zone (shops, schools, banks, offices): one small square each
        self.merchants = {
            z: np.array([place(self.layout[z], f"{z}/{k}") for k in range(zone.merchants)])
            for z, zone in self.scenario.zones.items()
        }
        self.xy = {
            k: np.array(
                [
                    place(self.layout[z], str(i))
                    for z, i in zip(t.zone.astype(str), t.issue_id, strict=True)
                ]
            )
            for k, t in self.tables.items()
        }
        self.t = float(self.tables["street_chief"].reported_at.min()) - 1.0
        self.horizon = res.horizon
        self.display_figure = display_figure
        self.highlight = None
        self.clock = W.HTML()
        self.counters = W.HTML()
        self.story = W.HTML()
        self.speed = W.FloatSlider(
            3.0,
            min=0.25,
            max=24,
            step=0.25,
            description="hours per step",
            style={"description_width": "110px"},
            layout=W.Layout(width="380px"),
        )
        self.step_button = W.Button(description="Step", icon="step-forward")
        self.play = W.Play(value=0, min=0, max=100_000, step=1, interval=700, description="Play")
        self.case = W.Dropdown(
            options=["(pick one of the seed's cases)", *CASES], description="case"
        )
        self.output = W.Output()
        self.step_button.on_click(lambda _: self.step())
        self.play.observe(
            lambda change: self.step() if change["new"] > change["old"] else None, names="value"
        )
        self.case.observe(lambda change: self.pick(change["new"]), names="value")
        self.figure = None
        self.draw()

    def now_text(self) -> str:
        from datetime import timedelta

        when = self.start + timedelta(hours=max(self.t, 0))
        return f"{when:%a %d %b %Y, %H:%M}"

    def step(self, hours: float | None = None) -> None:
        self.t = min(self.t + (self.speed.value if hours is None else hours), self.horizon)
        self.draw()

    def set_time(self, t: float) -> None:
        self.t = t
        self.draw()

    def pick(self, case: str) -> None:
        if case not in CASES:
            self.highlight = None
            return
        self.highlight = CASES[case]
        row = self.tables["street_chief"][
            self.tables["street_chief"].reporter == self.highlight
        ].iloc[0]
        self.set_time(float(row.reported_at) - 0.25)

    def counts(self) -> dict[str, dict[str, int]]:
        out = {}
        for k, t in self.tables.items():
            s = statuses(t, self.t, self.work[k])
            out[k] = {name: int((s == n).sum()) for n, name in enumerate(STATUSES)}
        return out

    def _story(self) -> str:
        if not self.highlight:
            return ""
        lines = []
        for k, t in self.tables.items():
            row = t[t.reporter == self.highlight].iloc[0]

            def at(col, row=row):
                v = row[col]
                if v != v:
                    return "not yet"
                from datetime import timedelta

                when = self.start + timedelta(hours=float(v))
                return f"{when:%d %b %H:%M}" + (" ✓" if v <= self.t else "")

            lines.append(
                f"<b>{LABELS.get(k, k)}</b>: reported {at('reported_at')}, acknowledged "
                f"{at('acknowledged_at')}, dispatched {at('dispatched_at')}, resolved "
                f"{at('resolved_at')}"
            )
        return "<br>".join(lines)

    def draw(self) -> None:
        counts = self.counts()
        self.clock.value = f"<h3 style='margin:0'>{self.now_text()}</h3>"
        self.counters.value = (
            "<table><tr><th></th>"
            + "".join(f"<th>{s}</th>" for s in STATUSES)
            + "</tr>"
            + "".join(
                f"<tr><td><b>{LABELS.get(k, k)}</b></td>"
                + "".join(f"<td align='right'>{c[s]}</td>" for s in STATUSES)
                + "</tr>"
                for k, c in counts.items()
            )
            + "</table>"
        )
        self.story.value = self._story()
        if self.figure is None:
            self.figure, self.axes = plt.subplots(1, 2, figsize=(13, 5.2))
        for ax, (k, t) in zip(self.axes, self.tables.items(), strict=True):
            ax.clear()
            for z, (kind, a, b) in self.layout.items():
                if kind == "road":
                    ax.plot([a[0], b[0]], [a[1], b[1]], color="#bbbbbb", lw=3, zorder=1)
                else:
                    ax.add_patch(
                        plt.Rectangle(a, b[0] - a[0], b[1] - a[1], color="#e6f2e6", zorder=0)
                    )
                    ax.text(
                        (a[0] + b[0]) / 2, b[1] + 0.15, z, ha="center", fontsize=6, color="#557755"
                    )
                ax.scatter(
                    *self.merchants[z].T, s=4, marker="s", color="#888888", zorder=2, linewidth=0
                )
            s = statuses(t, self.t, self.work[k])
            recent = (s < 4) | (
                t.resolved_at.to_numpy() > self.t - 12
            )  # resolved ones fade after 12 h
            for n, name in enumerate(STATUSES):
                m = (s == n) & recent
                if m.any():
                    ax.scatter(
                        *self.xy[k][m].T,
                        s=30,
                        color=STATUS_COLOURS[name],
                        label=name,
                        zorder=3,
                        edgecolor="white",
                        linewidth=0.5,
                    )
            if self.highlight:
                m = (t.reporter == self.highlight).to_numpy() & (s >= 0)
                if m.any():
                    ax.scatter(
                        *self.xy[k][m].T,
                        s=260,
                        facecolor="none",
                        edgecolor="black",
                        linewidth=2,
                        zorder=4,
                    )
            ax.set_xlim(0, 13.2)
            ax.set_ylim(0, 10.5)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(
                f"{LABELS.get(k, k)}: {int((s >= 0).sum() - (s == 4).sum())} open",
                color=COLOURS.get(k),
            )
        handles = [
            plt.Line2D([], [], marker="o", ls="", color=STATUS_COLOURS[s], label=s)
            for s in STATUSES
        ]
        self.figure.legend(handles=handles, loc="lower center", ncol=5, fontsize=9, frameon=False)
        self.figure.suptitle(f"The same issues in both arrangements - {self.now_text()}")
        if self.display_figure:
            from IPython.display import display

            with self.output:
                self.output.clear_output(wait=True)
                display(self.figure)

    def widget(self):
        return W.VBox(
            [
                W.HBox([self.play, self.step_button, self.speed]),
                self.case,
                self.clock,
                self.counters,
                self.story,
                self.output,
            ]
        )
