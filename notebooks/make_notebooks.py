"""Writes the five notebooks from this file, so that their cells are reviewed as code:
    .venv/bin/python notebooks/make_notebooks.py
Each reads STREETCHIEF_NOTEBOOK_SMALL=1 (set by the tests) to run a small setting."""

from pathlib import Path

import nbformat as nbf

HERE = Path(__file__).resolve().parent
SMALL = """import os
SMALL = os.environ.get("STREETCHIEF_NOTEBOOK_SMALL") == "1"     # the tests run a small setting"""


def notebook(name, cells):
    nb = nbf.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbf.v4.new_markdown_cell(c[3:]) if c.startswith("md:") else nbf.v4.new_code_cell(c)
        for c in cells
    ]
    for k, cell in enumerate(nb.cells):  # stable ids: a notebook written again is the same file
        cell.id = f"{Path(name).stem[:2]}-cell-{k:02d}"
    nbf.write(nb, HERE / name)


notebook(
    "01_planner.ipynb",
    [
        "md:# Planner: tune a scenario\n\nEach control shows one value of the scenario and sets exactly that "
        "value (hover over it for its meaning, unit and source: [seed], [cal] or [assumption]). When you stop "
        "moving a control, every arrangement (street chiefs, the 12345 hotline, grid management, the "
        "traditional path) runs again **on the same issues**; *running…* shows meanwhile, and a run overtaken "
        "by a newer change is dropped. Beside the figure: median resolution, problems resolved within 24 h and "
        "the officials' hours by role; with more than one replication, 95% intervals; an arrangement whose "
        "backlog grows without bound is flagged in words.\n\n**Save** writes `../results/scenarios/NAME.yaml`: "
        "the base scenario's own text with your values, every comment and source tag kept, and a header that "
        "names the base and each change. A shipped scenario is never overwritten, and a file of yours only "
        "after **Overwrite**. **Load** sets every control from a saved scenario; **Compare saved** runs several "
        "side by side.",
        SMALL + '\nSCENARIO = "jingxing_2019"\nDAYS = 30 if SMALL else 365',
        "from streetchief.widgets import Planner\n\n"
        'planner = Planner(SCENARIO, days=DAYS, folder="../results/scenarios")\nplanner.widget()',
    ],
)

notebook(
    "02_evaluator.ipynb",
    [
        "md:# Evaluator: sweeps and sensitivity\n\nWhere does the street-chief arrangement pay off, and by how much? "
        "A sweep runs every point of a design, a few replications each, both arrangements on the same issues. "
        'Locally by default; give `SCHEDULER = "tcp://host:8786"` to send the same work to a Dask cluster.',
        SMALL + "\nSCHEDULER = None\nimport yaml\nfrom pathlib import Path\n\n"
        'spec = yaml.safe_load(Path("../scenarios/sweep_demo.yaml").read_text(encoding="utf-8"))\n'
        'spec["scenario"] = "jingxing_2019"\n'
        "if SMALL:\n    spec.update(days=20, samples=6, replications=2)\nspec",
        "md:Run it (a progress bar shows the time left). Its folder is named after the spec and the scenario it "
        "reads: run again unchanged, it skips what is done; changed, it starts a new folder.",
        "from streetchief import load_sweep, sweep\n\nsw = load_sweep(spec)\n"
        'result = sweep(sw, out=f"../results/notebook_sweep/{sw.digest}", scheduler=SCHEDULER,\n'
        "               workers=1 if SMALL else None)\nprint(result.summary_line())\nresult.runs.head()",
        "md:## The street-chief advantage per point\n\nPaired difference (street chief − multi-layer) in mean "
        "resolution hours, with its 95% confidence interval.",
        "from streetchief.sweeps.analysis import advantage, heatmap_figure, tornado, tornado_figure, load_runs\n\n"
        'runs, meta = load_runs(result.out)\nadv = advantage(runs, meta, "resolution_mean_h")\n'
        'adv.sort_values("difference").round(2)',
        'params = list(spec.get("uncertainties", {})) + list(spec.get("levers", {}))\n'
        "tor = tornado(adv, params)\nranked = list(tor.parameter[::-1])\n"
        'heatmap_figure(adv, ranked[0], ranked[1], "resolution_mean_h");',
        'tornado_figure(tor, adv.difference.mean(), "resolution_mean_h");',
        "md:## Where does the traditional path do as well?\n\nThe points where the confidence interval of the "
        "difference includes zero:",
        'same = adv[~adv.significant]\nprint(f"{len(same)} of {len(adv)} points: no significant difference")\nsame',
        "md:## Sensitivity indices\n\nA Morris screening over the same parameters (Sobol works the same way with "
        "`design: sobol`): which parameters move the advantage most, with 95% confidence intervals.",
        'from streetchief.sweeps.analysis import indices, indices_figure\n\nmorris = {**spec, "name": "notebook_morris", '
        '"design": "morris", "samples": 3 if SMALL else 8,\n          "replications": 1}\n'
        "sm = load_sweep(morris)\n"
        'm = sweep(sm, out=f"../results/notebook_morris/{sm.digest}", scheduler=SCHEDULER, workers=1 if SMALL else None)\n'
        'ind = indices(*load_runs(m.out), outcome="resolution_mean_h")\nindices_figure(ind, "resolution_mean_h")\n'
        "ind.round(2)",
    ],
)

notebook(
    "03_workshop.ipynb",
    [
        SMALL + "\nfrom streetchief.workshop import Workshop\n\n"
        "workshop = Workshop()\nworkshop.widget()",
        "md:## 街长制 · the street chief, in the seed's own week\n\n"
        "Above, the same problems of 21–29 October 2019 in Jingxing Mining District (井陉矿区) under four "
        "arrangements: street chiefs (街长制), a 12345 hotline, grid management and the traditional "
        "multi-layer path. **▶ 播放 / Play** runs the week, **▶| 单步 / Step** moves an hour, **↺ 重置 / "
        "Reset** goes back to the start; **跟踪案例 / follow a case** picks one of the seed's reports (the "
        "street light at 南纬路口, the trash bins at 新王舍湿地公园) and tells what each arrangement did "
        "with it, from the model's own records. 中文 / English switches every label, the story and the "
        "map. `make workshop` serves this notebook as a web app (the app comes first, so that it fills "
        "the screen).",
    ],
)

notebook(
    "04_validation.ipynb",
    [
        "md:# Validation: the simulator against queueing theory and published figures\n\n"
        "With calendars, misrouting and merchants switched off, the multi-layer arrangement is a network of "
        "M/M/c queues, whose waiting times are known exactly.",
        SMALL
        + "\nimport numpy as np\nimport matplotlib.pyplot as plt\nfrom streetchief import load_scenario, run_scenario\n"
        "from streetchief.theory import mmc_sojourn, tandem_sojourn\n\nDAYS = 200 if SMALL else 2000",
        "md:## One station: M/M/3 (Erlang C)\n\nMean time in system against the arrival rate, simulated (dots, "
        "with 95% intervals from batch means) and exact (line).",
        "from scipy import stats\n\ndef batch_ci(x, batches=20):\n    x = x[len(x) // 10:]\n"
        "    x = x[: len(x) // batches * batches].reshape(batches, -1).mean(axis=1)\n"
        "    return x.mean(), stats.t.ppf(0.975, batches - 1) * x.std(ddof=1) / np.sqrt(batches)\n\n"
        "rhos = [0.3, 0.5, 0.7, 0.8, 0.9]\nsim = []\nfor rho in rhos:\n    lam = rho * 3 * 0.1\n"
        '    s = load_scenario("textbook_mmc", **{"run.days": DAYS, "categories.k.rate_per_day": lam * 24})\n'
        '    t = run_scenario(s).tables["multi_layer"]\n'
        '    x = (t["resolved_at"].to_numpy() - t["reported_at"].to_numpy())\n    sim.append(batch_ci(x[~np.isnan(x)]))\n'
        'grid = np.linspace(0.2, 0.92, 50)\nplt.plot(grid, [mmc_sojourn(3, r * 0.3, 0.1) for r in grid], label="Erlang C")\n'
        'plt.errorbar(rhos, [m for m, _ in sim], yerr=[h for _, h in sim], fmt="o", label="simulated")\n'
        'plt.xlabel("utilisation ρ"); plt.ylabel("mean time in system (h)"); plt.legend(); plt.grid(alpha=0.3);',
        "md:## Four stations in series (Burke's theorem)\n\nTheory: the sum of the stations' times, 19.96 h at "
        "ρ = 0.8.",
        's = load_scenario("textbook_tandem", **{"run.days": DAYS})\nt = run_scenario(s).tables["multi_layer"]\n'
        'x = t["resolved_at"].to_numpy() - t["reported_at"].to_numpy()\nw, half = batch_ci(x[~np.isnan(x)])\n'
        'theory = tandem_sojourn([(3, 1 / 2.4)] * 4, 1.0)\nprint(f"simulated {w:.2f} ± {half:.2f} h, theory {theory:.2f} h")\n'
        "assert abs(w - theory) <= 3 * half",
        "md:## The default scenario's parameters against published figures\n\nEach parameter of `jingxing_2019` "
        "says where it comes from: `[seed]` (the 2019 report), `[cal]` (a published figure) or `[assumption]`.",
        'import pandas as pd\nfrom streetchief import load_scenario, run_scenario\n\nj = load_scenario("jingxing_2019")\n'
        'res = run_scenario(j, days=60 if SMALL else 365)\nsc, ml = res.summaries["street_chief"], res.summaries["multi_layer"]\n'
        "pd.DataFrame([\n"
        '    ("liaison reply, day (median)", "Yanji: lead department replies within 10 min [cal]", '
        "f\"{60 * sc['acknowledgement_hours']['median']:.0f} min\"),\n"
        '    ("the seed\'s 23:00 trash-bin report", "answered at once, bins placed at 09:00 next day [seed]", '
        '"see the workshop notebook"),\n'
        '    ("street-light repairs", "Chicago target: 4 days [cal]", '
        "f\"{j.categories['street_light'].deadline_hours / 24:g}-day deadline\"),\n"
        '    ("share resolved on time, multi-layer", "about a third of county offices answer online requests [cal]", '
        "f\"{ml['on_time_share']:.0%}\"),\n"
        '], columns=["what", "published", "model"])',
    ],
)
notebook(
    "05_calibration.ipynb",
    [
        "md:# Your own city: a scenario from a real log, calibrated, checked out of sample, then the "
        "counterfactual\n\nThe log is a real export: 10,000 MyLA311 service requests (Los Angeles, "
        "January 2018). Five steps, each a function you can call on your own city's export:\n\n"
        "1. **Read** the export through a mapping of its columns; every row is accounted for.\n"
        "2. **A scenario** for the city: its council districts, request types and bureaus as the log names "
        "them; arrival rates and hours estimated from the report times (marked `[log]` with the log's "
        "sha256); everything a log cannot say at documented defaults (`[assumption]`).\n"
        "3. **Calibrate** the hotline (MyLA311 is one) to the recorded times to close: ABC-SMC gives a "
        "posterior, not only a best value.\n"
        "4. **Check out of sample**: fit on the earlier 70% of the requests, predict the later 30%.\n"
        "5. **The counterfactual**: street chiefs and the other arrangements on the same requests, each "
        "replication drawing the hotline's parameters from the posterior, so that the intervals include "
        "what the log leaves unknown.",
        SMALL
        + "\nfrom pathlib import Path\n\n"
        "# the shared copy of the export if it is there, else the one the repository keeps for its tests\n"
        'LOG = next(p for p in [Path("../../shared/realdata/la311_2018_mini.csv"),\n'
        '                       Path("../tests/data/real/la311_2018_mini.csv")] if p.exists())\n'
        'MAPPING = Path("../scenarios/mappings/la_311.yaml")\n'
        'OUT = Path("../results/calibration_la")\nOUT.mkdir(parents=True, exist_ok=True)\n'
        "print(LOG)",
        "md:## 1–2. The export, read; the city's scenario\n\nThe mapping says which of the export's "
        "columns is the report time, the council district, the request type, the owning bureau and the "
        "status. `scenario_from_log` reads every row, names zones, categories and departments as the "
        "export does, and estimates each request type's rate and hour-of-day profile.",
        "from streetchief.scenario.from_log import scenario_from_log\n\n"
        'made = scenario_from_log(LOG, MAPPING, holidays="US-CA", name="los_angeles")\n'
        'SCENARIO, CITY_MAPPING = OUT / "los_angeles.yaml", OUT / "los_angeles.mapping.yaml"\n'
        "SCENARIO.write_text(made.scenario_text, encoding=\"utf-8\")\n"
        "CITY_MAPPING.write_text(made.mapping_text, encoding=\"utf-8\")\n"
        "print(made.log.accounting())\nfor note in made.notes:\n    print(\"note:\", note)",
        "import pandas as pd\nfrom streetchief import load_scenario\n\ncity = load_scenario(SCENARIO)\n"
        "pd.DataFrame(\n    [(c.name, city.departments[c.department].name, round(c.rate_per_day), c.source)\n"
        "     for c in city.categories.values()],\n"
        '    columns=["request type", "bureau", "requests a day", "where the figure comes from"],\n)',
        "md:Each request type's hours of the day, as estimated (a type with few requests leans on the "
        "city's overall shape):",
        "import matplotlib.pyplot as plt\nimport numpy as np\n\nfig, ax = plt.subplots(figsize=(9, 3.5))\n"
        "for key, c in list(city.categories.items())[:5]:\n"
        "    ax.step(np.arange(24), city.arrivals.hour_profile(c.profile), where=\"post\", label=c.name)\n"
        'ax.set_xlabel("hour of the day (Los Angeles time)")\nax.set_ylabel("relative volume (mean 1)")\n'
        "ax.set_xticks(range(0, 24, 3))\nax.legend(fontsize=8)\nax.grid(alpha=0.3)\nplt.show()",
        "md:## 3–4. Calibrate the hotline, holding out the later 30%\n\n`scenarios/calibration/"
        "hotline.yaml` names what a hotline's record can teach: how long departments take to sign for an "
        "order (median and spread) and a scheduled service's wait before the crew comes. ABC-SMC "
        "(pyabc) draws parameter sets, replays the requests under each and keeps those whose hours to "
        "close come nearest the recorded ones, category by category. The search resumes from "
        "`OUT/hotline/abc.db` if it is interrupted.",
        "import yaml\nfrom streetchief.calibration import calibrate\nfrom streetchief.issue_log import read_log\n\n"
        'spec = yaml.safe_load(Path("../scenarios/calibration/hotline.yaml").read_text(encoding="utf-8"))\n'
        "if SMALL:\n    spec.update(population_size=12, generations=2, draws=4)\n"
        "log = read_log(LOG, city, CITY_MAPPING)\n"
        'fit = calibrate(SCENARIO, log, "hotline", spec, OUT / "hotline", holdout=0.3)\n'
        "IN_WORDS = {\n"
        '    "arrangements.hotline.sign_for.median": "time to sign for an order, median (hours)",\n'
        '    "arrangements.hotline.sign_for.sigma": "time to sign for an order, spread (log-scale σ)",\n'
        '    "categories.*.lead_hours": "a scheduled service\'s wait before the crew comes (hours)",\n'
        "}\n"
        "pd.DataFrame(\n"
        '    [(IN_WORDS.get(path, path), v[\"median\"], *v[\"interval_95\"])\n'
        '     for path, v in fit[\"fitted\"].items()],\n'
        '    columns=["parameter", "most likely (posterior median)", "95% interval from", "to"],\n'
        ").round(1)",
        "md:How close the fitted hotline comes to the recorded history, on the part it was fitted to and "
        "on the later part it never saw:",
        "rows = []\nfor part, check in ((\"fitted (earlier 70%)\", fit[\"fit\"]), "
        '("held out (later 30%)", fit["held_out"])):\n'
        "    rows.append((part, check[\"median_hours_recorded\"], check[\"median_hours_simulated\"],\n"
        "                 f\"{check['share_inside']:.0%}\"))\n"
        'pd.DataFrame(rows, columns=["part of the log", "median hours to close, recorded",\n'
        '                            "median hours to close, model", "medians and 90th percentiles inside '
        "the model's 90% interval\"]).round(1)",
        "from IPython.display import Image\n\nImage(OUT / \"hotline\" / \"fit.png\")",
        "md:## 5. The counterfactual, with the parameters' uncertainty\n\nEvery replication replays the "
        "same 10,000 requests under each arrangement and draws the hotline's parameters from the "
        "posterior. The first column is what really happened; the calibrated hotline should resemble it.",
        "from streetchief.calibration import draw_overrides\nfrom streetchief.experiment import compare\n\n"
        "REPLICATIONS = 2 if SMALL else 10\n"
        'drawn = draw_overrides(OUT / "hotline", REPLICATIONS, city.run.seed)\n'
        "cmp = compare(city, REPLICATIONS, log=log, baseline=\"hotline\", drawn=drawn)\n"
        'shown = ["resolution_median_h", "resolution_p90_h", "on_time_share", "official_hours"]\n'
        'table = cmp.means.set_index("outcome").loc[shown]\n'
        'table = table[["recorded", *[a for a in table.columns if a != "recorded"]]]\n'
        "table.index = [\"median hours to close\", \"90th percentile, hours\", \"share closed on time\",\n"
        "               \"officials' hours\"]\ntable.style.format(\"{:,.1f}\", na_rep=\"not recorded\")",
        "md:The street chiefs against the calibrated hotline, with 95% intervals over the replications "
        "(parameter draws included):",
        "from streetchief.report import headline\n\nprint(headline(cmp))",
        "md:**Read with care.** A council member as street chief for a district of 250,000 people is "
        "not the seed's arrangement, where a district leader had one road; the chiefs' hours, the liaison "
        "groups and the share of unclear responsibility are assumptions here. The calibrated part is the "
        "hotline's record; vary the rest in a sweep (`02_evaluator.ipynb`) before believing a number.",
    ],
)

print("wrote the notebooks in", HERE)
