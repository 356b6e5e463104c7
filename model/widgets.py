"""Interactive views for the notebooks and the workshop app: the planner's controls and the
trainer's animated district. Notebooks stay short and call these; tests drive them from Python."""

from __future__ import annotations

import re
from pathlib import Path

import ipywidgets as W
import matplotlib.pyplot as plt
import yaml

from streetchief.errors import ScenarioError
from streetchief.experiment import run_scenario
from streetchief.plots import LABELS, dashboard_figure
from streetchief.scenario import apply_overrides, load_scenario, resolve_path, shipped, validate
from streetchief.workshop import SEED_WEEK, Workshop  # noqa: E402,F401 (the notebooks' names)

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
