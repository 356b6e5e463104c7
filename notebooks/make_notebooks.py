"""Writes the five notebooks from this file, so that their cells are reviewed as code:
    .venv/bin/python notebooks/make_notebooks.py
Each reads STREETCHIEF_NOTEBOOK_SMALL=1 (set by the tests) to run a small setting."""

from pathlib import Path

import nbformat as nbf

HERE = Path(__file__).resolve().parent
SMALL = """import os
SMALL = os.environ.get("STREETCHIEF_NOTEBOOK_SMALL") == "1"     # the tests run a small setting"""


def notebook(name, cells, title=None):
    nb = nbf.v4.new_notebook()
    if title:  # the browser tab's name when Voila serves it
        nb.metadata["title"] = title
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
        "md:# Evaluator: the answer over what is not known, then sweeps and sensitivity\n\n"
        "Most values of a scenario are assumptions, and the answer can change sign inside their plausible "
        "range. So the answer comes first over that range: parameter sets drawn from the scenario's "
        "`uncertain:` ranges (each with its reason, written beside it in the scenario file), "
        "each run as paired replications of every arrangement on the same problems. It prints, against "
        "each baseline (the strongest first: where street chiefs' chance on speed is lowest), the "
        "probability that street chiefs are better, the spread of the difference across the sets, what "
        "decides it and where they win. With a calibration folder, `calibrated=` draws what it fitted from "
        "its posterior, one draw per set. The runs are kept in a folder: run the cell again and it picks "
        "up where it stopped; `SCHEDULER` sends them to a Dask cluster.",
        SMALL + "\nSCHEDULER = None   # or a Dask cluster's address\n"
        "from streetchief import load_scenario\nfrom streetchief.report import LABELS\n"
        "from IPython.display import Markdown\n"
        "from streetchief.uncertainty import answer_markdown, uncertainty\n\n"
        'SETS = 24 if SMALL else 64\nbase = load_scenario("jingxing_2019")\n'
        'ans = uncertainty("jingxing_2019", sets=SETS, replications=2, days=20 if SMALL else None,\n'
        '                  out=f"../results/notebook_uncertainty/{SETS}", scheduler=SCHEDULER,\n'
        "                  workers=1 if SMALL else None)\n"
        "Markdown(answer_markdown(ans, base, LABELS))",
        "md:Each set's difference, street chiefs − the other (its mean over the set's replications), one "
        "row per baseline: the shaded side is where street chiefs are better; the title gives the "
        "probability and its 95% interval for the number of sets drawn.",
        "from streetchief.uncertainty.figures import discovery_figure, spread_figure\n\n"
        "spread_figure(ans, names=LABELS);",
        "md:## What decides it\n\nAgainst the strongest baseline: each value's partial rank correlation "
        "with the difference on the same problems across the sets (the other values' ranks regressed out), "
        "and whether it stands out of the noise at a 5% false discovery rate; then the sets over the two "
        "values that decide most, with the decision tree's box where street chiefs win most often.",
        "import pandas as pd\nfrom streetchief.sweeps.labels import parameter_label\n"
        "from streetchief.uncertainty.analysis import short_label\n\n"
        'pd.set_option("display.max_colwidth", 100)   # each label whole\n'
        "b = ans.focus\ns = ans.sensitivity[(ans.sensitivity.baseline == b)\n"
        '                    & (ans.sensitivity.outcome == "resolution_common_mean_h")]\n'
        "s = s.reindex(s.prcc.abs().sort_values(ascending=False).index)\n"
        'print(f"street chiefs against {LABELS.get(b, b)}, over {int(ans.row(b).sets)} stable sets")\n'
        "pd.DataFrame({\n"
        '    "what is not known": [short_label(parameter_label(p, base)) for p in s.parameter],\n'
        '    "partial rank correlation": s.prcc.round(2).to_numpy(),\n'
        '    "a higher value favours": [("street chiefs" if q < 0 else LABELS.get(b, b)) if q == q else "—"\n'
        "                               for q in s.prcc],\n"
        '    "decides it": ["yes" if d else "not at this many sets" for d in s.decides],\n'
        '}).set_index("what is not known")',
        "discovery_figure(ans, scenario=base, names=LABELS);",
        "md:## Sweeps: where does the street-chief arrangement pay off, and by how much?\n\n"
        "A sweep runs every point of a design, a few replications each, both arrangements on the same "
        "issues. Here it is built from the answer above: street chiefs against **the strongest baseline** "
        "(named below), over the two values that decide it most among those that act on these two "
        "arrangements (their ranges as the scenario gives them), and the crews of two departments, "
        "which a district can choose (`scenarios/sweep_demo.yaml` gives the crews, days and size). It "
        "runs on this computer; to send the same work to a Dask cluster, set `SCHEDULER` in the next "
        'cell to the cluster\'s address (for example `"tcp://host:8786"`).',
        SMALL
        + "\nSCHEDULER = None   # or a Dask cluster's address\nimport yaml\nimport pandas as pd\n"
        "from pathlib import Path\nfrom streetchief import load_scenario\n"
        "from streetchief.sweeps.labels import parameter_label, readable, readable_table\n\n"
        'spec = yaml.safe_load(Path("../scenarios/sweep_demo.yaml").read_text(encoding="utf-8"))\n'
        "b = ans.focus   # the strongest baseline, from the answer above\n"
        "# another arrangement's own values do not act on these two\n"
        'acts = [p for p in s.parameter if not p.startswith("arrangements.")\n'
        '        or p.split(".")[1] in ("street_chief", b, "*")]\n'
        "spec.update(\n"
        '    scenario="jingxing_2019", name=f"notebook_sweep_{b}", arrangements=["street_chief", b],\n'
        '    baseline=b, treatment="street_chief",\n'
        '    uncertainties={p: base.uncertain[p].model_dump(exclude={"why"}, exclude_defaults=True)\n'
        "                   for p in acts[:2]},\n"
        '    levers={p: r for p, r in spec["levers"].items() if p.startswith("departments.")},\n'
        ")\n"
        "if SMALL:\n    spec.update(days=20, samples=6, replications=2)\n"
        'base = load_scenario(spec["scenario"])\n'
        "print(f\"street chiefs against {LABELS.get(b, b)}: {spec['samples']} points, \"\n"
        "      f\"{spec['replications']} replications each, {spec['days']} days per run\")\n"
        "pd.DataFrame(\n"
        "    [(parameter_label(p, base), kind, readable(r['low']), readable(r['high']))\n"
        '     for kind, group in (("uncertainty (not chosen)", spec["uncertainties"]), ("lever (chosen)", spec["levers"]))\n'
        "     for p, r in group.items()],\n"
        '    columns=["what varies", "kind", "from", "to"],\n)',
        "md:Run it (a progress bar shows the time left). The results go to a folder named after the design: "
        "run this cell again unchanged and it picks up where it stopped; change the design above and it "
        "starts a new folder.",
        "from streetchief import load_sweep, sweep\n\nsw = load_sweep(spec)\n"
        'result = sweep(sw, out=f"../results/notebook_sweep/{sw.digest}", scheduler=SCHEDULER,\n'
        "               workers=1 if SMALL else None)\nprint(result.summary_line())",
        "md:## The street-chief advantage per point\n\nFor each point: the street chiefs' mean hours from report "
        "to resolution minus the baseline's (named above the table), on the same issues, with its 95% "
        "interval over the point's replications (replication noise only: the point fixes the values it "
        "varies). Below 0: street chiefs resolve faster at that point.",
        "from streetchief.sweeps.analysis import advantage, heatmap_figure, tornado, tornado_figure, load_runs\n\n"
        'runs, meta = load_runs(result.out)\nadv = advantage(runs, meta, "resolution_mean_h")\n'
        'print(f"street chiefs − {LABELS.get(b, b)}, mean hours to resolution, per point")\n'
        'readable_table(adv.sort_values("difference").drop(columns="point_id"), base, outcome="resolution_mean_h")',
        'params = list(spec.get("uncertainties", {})) + list(spec.get("levers", {}))\n'
        "tor = tornado(adv, params)\nranked = list(tor.parameter[::-1])\n"
        'heat = heatmap_figure(adv, ranked[0], ranked[1], "resolution_mean_h", scenario=base)\n'
        'print(f"{heat.missing_cells} of {heat.cells} cells hold no point of the design: grey, hatched, marked \\"no point\\"")',
        'tornado_figure(tor, adv.difference.mean(), "resolution_mean_h", scenario=base);',
        "md:## Where does the baseline do as well?\n\nThe points where the 95% interval of the "
        "difference includes zero:",
        'same = adv[~adv.significant]\nprint(f"against {LABELS.get(b, b)}: {len(same)} of {len(adv)} points "\n'
        '      "with no significant difference (replication noise only)")\n'
        'readable_table(same.drop(columns="point_id"), base, outcome="resolution_mean_h")',
        "md:## What moves the advantage most\n\nA Morris screening over the same parameters (a Sobol analysis "
        "works the same way, with `design` set to `sobol`): how far each parameter moves the advantage, with "
        "95% confidence intervals.",
        'from streetchief.sweeps.analysis import indices, indices_figure\n\nmorris = {**spec, "name": "notebook_morris", '
        '"design": "morris", "samples": 3 if SMALL else 8,\n          "replications": 1}\n'
        "sm = load_sweep(morris)\n"
        'm = sweep(sm, out=f"../results/notebook_morris/{sm.digest}", scheduler=SCHEDULER, workers=1 if SMALL else None)\n'
        'ind = indices(*load_runs(m.out), outcome="resolution_mean_h")\n'
        'indices_figure(ind, "resolution_mean_h", scenario=base)\n'
        "readable_table(ind, base)",
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
    title="街长制 · streetchief workshop",
)

notebook(
    "04_validation.ipynb",
    [
        "md:# Validation: the simulator against queueing theory and published figures\n\n"
        "With calendars, misrouting and merchants switched off, the multi-layer arrangement is a network of "
        "M/M/c queues, whose waiting times are known exactly. Each check below compares the same quantity on "
        "both sides: a time in the system with the theory's time, a reply time with a published reply time, "
        "a case's hours with the hours the 2019 report gives.",
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
        "md:## Four stations in series (Burke's theorem)\n\nFour M/M/3 stations, each with a mean service of "
        "2.4 h: the mean time through all four is the sum of the stations' own (Burke's theorem). Simulated "
        "(dots, 95% intervals) and exact (line) against the utilisation; at ρ = 0.8 (19.96 h) the notebook "
        "stops with an error if they disagree.",
        "tandem_rhos = [0.3, 0.5, 0.7, 0.8]\ntandem = []\nfor rho in tandem_rhos:\n"
        "    lam = rho * 3 / 2.4                      # arrivals an hour at this utilisation\n"
        '    s = load_scenario("textbook_tandem", **{"run.days": DAYS, "categories.k.rate_per_day": lam * 24})\n'
        '    t = run_scenario(s).tables["multi_layer"]\n'
        '    x = t["resolved_at"].to_numpy() - t["reported_at"].to_numpy()\n'
        "    tandem.append(batch_ci(x[~np.isnan(x)]))\n"
        "line = np.linspace(0.2, 0.85, 50)\n"
        'plt.plot(line, [tandem_sojourn([(3, 1 / 2.4)] * 4, r * 3 / 2.4) for r in line], label="theory (sum of four M/M/3)")\n'
        'plt.errorbar(tandem_rhos, [m for m, _ in tandem], yerr=[h for _, h in tandem], fmt="o", label="simulated")\n'
        'plt.xlabel("utilisation ρ of each station"); plt.ylabel("mean time through the four stations (h)")\n'
        "plt.legend(); plt.grid(alpha=0.3)\n"
        "w, half = tandem[-1]\ntheory = tandem_sojourn([(3, 1 / 2.4)] * 4, 1.0)\n"
        'print(f"at ρ = 0.8: simulated {w:.2f} ± {half:.2f} h, theory {theory:.2f} h")\n'
        "assert abs(w - theory) <= 3 * half",
        "md:## The seed's district against published figures\n\nThe model's own output beside a published figure "
        "of the same quantity. Where a parameter was set from the figure, the model's input says so: the output "
        "is what the model makes of it, with queues, nights and weekends. (A published figure with no model "
        "counterpart, such as the share of county offices that answer online requests, is left out.)",
        'import pandas as pd\nfrom streetchief.sweeps.labels import readable\n\nj = load_scenario("jingxing_2019")\n'
        'res = run_scenario(j, days=60 if SMALL else 365)\nsc = res.tables["street_chief"].to_pandas()\n'
        "hour = (j.run.start.hour + sc.reported_at) % 24\n"
        'day_posts = sc[(sc.discovered_by == "merchant") & (hour >= 7) & (hour < 22)]\n'
        "answered = (day_posts.acknowledged_at - day_posts.reported_at) * 60\n"
        "lights = {k: t.to_pandas().query(\"category == 'street_light'\") for k, t in res.tables.items()}\n"
        "within_4_days = {k: ((t.resolved_at - t.reported_at) <= 96).mean() for k, t in lights.items()}\n"
        "pd.DataFrame([\n"
        '    ("liaison group: daytime posts answered within 10 minutes", "Yanji: the lead department replies within 10 min [cal]",\n'
        '     f"{(answered <= 10).mean():.0%} of {len(answered):,} posts (median {answered.median():.0f} min)",\n'
        "     f\"reply median {60 * j.arrangement_params('street_chief').liaison_ack_day.median:.0f} min, set from the figure\"),\n"
        '    ("street lights repaired within 4 days of the report", "Chicago: repair within 4 days (a target) [cal]",\n'
        "     \"; \".join(f\"{k.replace('_', ' ')} {v:.0%}\" for k, v in within_4_days.items()),\n"
        '     "deadline 4 days, set from the figure"),\n'
        '], columns=["the same quantity on both sides", "published", "model (output)", "model (input)"])',
        "md:## The seed's night-time case: trash bins asked for at 23:00\n\nOn 28 October 2019 a merchant by "
        "新王舍湿地公园 asked in the liaison group for trash bins at 23:00; the report says it was answered at once "
        "(收到, 23:04), the staff were on site at 07:00 with the township and the community, and the bins were in "
        "place at 09:00. Below, the same post replayed under every arrangement in several replications (what the "
        "log does not say, such as other issues in the queue and the department's time to claim it, differs "
        "between them), each event's hours after the post beside the report's (dotted lines).",
        "from streetchief.experiment import replay\nfrom streetchief.issue_log import read_log\n"
        "from streetchief.plots import LABELS\nfrom streetchief.story import case_times\n"
        "from streetchief.workshop import SEED_WEEK\n\n"
        "log = read_log(SEED_WEEK, j)\nREPLICATIONS = 4 if SMALL else 30\nrows = []\n"
        "for seed in range(1, REPLICATIONS + 1):\n"
        "    r = replay(j, log, seed=seed, recorded=False, keep_models=True)\n"
        '    for name, c in case_times(r, "JX-0139").items():\n'
        '        for event in ("acknowledged", "on_site", "resolved"):\n'
        "            rows.append((name, event, seed, c.hours(event)))\n"
        'case = pd.DataFrame(rows, columns=["arrangement", "event", "replication", "hours"])\n'
        'report = {"acknowledged": 4 / 60, "on_site": 8.0, "resolved": 10.0}   # 23:04, 07:00, 09:00\n'
        'words = {"acknowledged": "answered", "on_site": "crew on site", "resolved": "bins placed"}\n'
        'marks = {"acknowledged": "o", "on_site": "s", "resolved": "^"}\n'
        "names = list(dict.fromkeys(case.arrangement))\nfig, ax = plt.subplots(figsize=(9, 3.8))\n"
        'for n, (event, colour) in enumerate(zip(report, ["#E69F00", "#0072B2", "#009E73"])):\n'
        "    e = case[case.event == event].dropna()\n"
        "    y = [names.index(a) + 0.22 * (n - 1) for a in e.arrangement]\n"
        '    ax.scatter(e.hours.clip(lower=1 / 60), y, marker=marks[event], color=colour, label=f"model: {words[event]}", alpha=0.7)\n'
        '    ax.axvline(report[event], color=colour, ls=":", label=f"2019 report: {words[event]}")\n'
        'ax.set_xscale("log"); ax.set_yticks(range(len(names)), [LABELS.get(n, n) for n in names])\n'
        'ax.set_xlabel("hours after the 23:00 post (log scale; within a minute is shown at one minute)")\n'
        'ax.legend(fontsize=8, ncol=2, loc="upper left", bbox_to_anchor=(1.01, 1)); ax.grid(alpha=0.3, axis="x")\n'
        "fig.tight_layout()\n"
        'bins = case[(case.arrangement == "street_chief")].pivot(index="replication", columns="event", values="hours")\n'
        "pd.DataFrame({\n"
        '    "under street chiefs, over the replications": ["answered within an hour", "crew on site by 08:00",\n'
        '        "bins placed by 09:00 (as reported)", "bins placed by 10:00", "bins placed by noon"],\n'
        '    "share": [f"{v:.0%}" for v in ((bins.acknowledged <= 1).mean(), (bins.on_site <= 9).mean(),\n'
        "        (bins.resolved <= 10).mean(), (bins.resolved <= 11).mean(), (bins.resolved <= 13).mean())],\n"
        "})",
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
        SMALL + "\nfrom pathlib import Path\n\n"
        "# the shared copy of the export if it is there, else the one the repository keeps for its tests\n"
        'LOG = next(p for p in [Path("../../shared/realdata/la311_2018_mini.csv"),\n'
        '                       Path("../tests/data/real/la311_2018_mini.csv")] if p.exists())\n'
        'MAPPING = Path("../scenarios/mappings/la_311.yaml")\n'
        'OUT = Path("../results/calibration_la")\n'
        "if SMALL:  # the small setting (the tests) starts afresh, in a folder of its own\n"
        '    import shutil\n\n    OUT = Path("../results/calibration_la_small")\n'
        "    shutil.rmtree(OUT, ignore_errors=True)\n"
        "OUT.mkdir(parents=True, exist_ok=True)\n"
        "print(LOG)",
        "md:## 1–2. The export, read; the city's scenario\n\nThe mapping says which of the export's "
        "columns is the report time, the council district, the request type, the owning bureau and the "
        "status. `scenario_from_log` reads every row, names zones, categories and departments as the "
        "export does, and estimates each request type's rate and hour-of-day profile.",
        "from streetchief.scenario.from_log import scenario_from_log\n\n"
        'made = scenario_from_log(LOG, MAPPING, holidays="US-CA", name="los_angeles")\n'
        'SCENARIO, CITY_MAPPING = OUT / "los_angeles.yaml", OUT / "los_angeles.mapping.yaml"\n'
        'SCENARIO.write_text(made.scenario_text, encoding="utf-8")\n'
        'CITY_MAPPING.write_text(made.mapping_text, encoding="utf-8")\n'
        'print(made.log.accounting())\nfor note in made.notes:\n    print("note:", note)',
        "import pandas as pd\nfrom streetchief import load_scenario\n\ncity = load_scenario(SCENARIO)\n"
        'pd.set_option("display.max_colwidth", 120)   # each source whole\n'
        "pd.DataFrame(\n    [(c.name, city.departments[c.department].name, round(c.rate_per_day), c.source)\n"
        "     for c in city.categories.values()],\n"
        '    columns=["request type", "bureau", "requests a day", "where the figure comes from"],\n)',
        "md:Each request type's hours of the day, as estimated (a type with few requests leans on the "
        "city's overall shape):",
        "import matplotlib.pyplot as plt\nimport numpy as np\n\nfig, ax = plt.subplots(figsize=(9, 3.5))\n"
        "for key, c in list(city.categories.items())[:5]:\n"
        '    ax.step(np.arange(24), city.arrivals.hour_profile(c.profile), where="post", label=c.name)\n'
        'ax.set_xlabel("hour of the day (Los Angeles time)")\nax.set_ylabel("relative volume (mean 1)")\n'
        "ax.set_xticks(range(0, 24, 3))\nax.legend(fontsize=8)\nax.grid(alpha=0.3)\nplt.show()",
        "md:## 3–4. Calibrate the hotline, holding out the later 30%\n\n`scenarios/calibration/"
        "hotline.yaml` names what a hotline's record can teach: how long departments take to take an "
        "order on (median and spread: the departments' own time, so the fitted value holds under every "
        "arrangement) and a scheduled service's wait before the crew comes. ABC-SMC "
        "(pyabc) draws parameter sets, replays the requests under each and keeps those whose hours to "
        "close come nearest the recorded ones, category by category. The search resumes from "
        "`OUT/hotline/abc.db` if it is interrupted.",
        "import yaml\nfrom streetchief.calibration import calibrate\nfrom streetchief.issue_log import read_log\n\n"
        'spec = yaml.safe_load(Path("../scenarios/calibration/hotline.yaml").read_text(encoding="utf-8"))\n'
        "if SMALL:\n    spec.update(population_size=12, generations=2, draws=4)\n"
        "log = read_log(LOG, city, CITY_MAPPING)\n"
        'fit = calibrate(SCENARIO, log, "hotline", spec, OUT / "hotline", holdout=0.3)\n'
        "IN_WORDS = {\n"
        '    "department_response.take_on.median": "departments\' time to take an order on, median (hours)",\n'
        '    "department_response.take_on.sigma": "departments\' time to take an order on, spread (log-scale σ)",\n'
        '    "categories.*.lead_hours": "a scheduled service\'s wait before the crew comes (hours)",\n'
        "}\n"
        "pd.DataFrame(\n"
        '    [(IN_WORDS.get(path, path), v["median"], *v["interval_95"])\n'
        '     for path, v in fit["fitted"].items()],\n'
        '    columns=["parameter", "most likely (posterior median)", "95% interval from", "to"],\n'
        ").round(1)",
        "md:How close the fitted hotline comes to the recorded history, on the part it was fitted to and "
        "on the later part it never saw:",
        "from IPython.display import Markdown, display\n"
        "from streetchief.calibration import coverage_rows, held_out_words\n\n"
        "display(Markdown(held_out_words(fit)))\n"
        'pd.DataFrame(coverage_rows(fit), columns=["part of the log", "median hours to close, recorded",\n'
        '                                          "median hours to close, model",\n'
        '                                          "categories whose median is inside the model\'s 90% band",\n'
        '                                          "categories whose 90th percentile is inside it"]).round(1)',
        'from IPython.display import Image\n\nImage(OUT / "hotline" / "fit.png")',
        "md:## 5. The counterfactual, with the parameters' uncertainty\n\nOnly a calibration that "
        "passed its held-out check may carry a counterfactual: otherwise the calibrated hotline does not "
        "reproduce the city out of sample, and what street chiefs would do there is not evidence. A "
        "refused calibration is said here and the comparison is not run; `FORCE = True` runs it anyway, "
        "as a demonstration of the mechanism, with the warning first. Every replication replays the "
        "same 10,000 requests under each arrangement and draws the hotline's parameters from the "
        "posterior. The first column is what really happened; the calibrated hotline should resemble it.",
        "from streetchief.calibration import CalibrationError, draw_overrides\n"
        "from streetchief.calibration.run import check_calibrated\nfrom streetchief.experiment import compare\n\n"
        "FORCE = False   # True: compare even on a calibration that failed its check\n"
        "REPLICATIONS = 2 if SMALL else 10\ncmp = None\n"
        "try:\n"
        '    for warning in check_calibrated(OUT / "hotline", SCENARIO, force=FORCE):\n'
        '        print("WARNING:", warning)\n'
        "except CalibrationError as refusal:\n"
        '    print("The counterfactual refuses to speak:", *refusal.problems, sep="\\n- ")\n'
        "else:\n"
        '    drawn = draw_overrides(OUT / "hotline", REPLICATIONS, city.run.seed)\n'
        '    cmp = compare(city, REPLICATIONS, log=log, baseline="hotline", drawn=drawn)\n'
        "if cmp is not None:\n"
        '    shown = ["resolution_median_h", "resolution_p90_h", "on_time_share", "official_hours"]\n'
        '    table = cmp.means.set_index("outcome").loc[shown]\n'
        '    table = table[["recorded", *[a for a in table.columns if a != "recorded"]]]\n'
        '    table.index = ["median hours to close", "90th percentile, hours", "share closed on time",\n'
        '                   "officials\' hours"]\n'
        '    display(table.style.format("{:,.1f}", na_rep="not recorded"))',
        "md:The street chiefs against the calibrated hotline, with the 90% range of the paired difference "
        "over the replications, each with its own posterior draw (it does not narrow with more of them):",
        "from streetchief.report import headline\n\nprint(headline(cmp) if cmp is not None else "
        '"not run: the calibration did not pass its held-out check (above)")',
        "md:**Read with care.** A council member as street chief for a district of 250,000 people is "
        "not the seed's arrangement, where a district leader had one road; the chiefs' hours, the liaison "
        "groups and the share of unclear responsibility are assumptions here. The calibrated part is the "
        "hotline's record; vary the rest in a sweep (`02_evaluator.ipynb`) before believing a number.",
    ],
)

print("wrote the notebooks in", HERE)
