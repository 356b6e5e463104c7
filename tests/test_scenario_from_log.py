"""A scenario from a log: what a log exported from a scenario says comes back within sampling
error; a real export becomes a valid scenario whose every row is accounted for; bad input is
refused by name and writes nothing."""

import hashlib
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from streetchief import load_scenario
from streetchief.cli import main
from streetchief.issue_log import read_log
from streetchief.scenario.arrival_fit import SHRINK_ISSUES

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "tests" / "data" / "real"
LA = REAL / "la311_2018_mini.csv"
LA_MAPPING = ROOT / "scenarios" / "mappings" / "la_311.yaml"


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    """A year of jingxing_2019's problems exported as a log, and the scenario made from it."""
    d = tmp_path_factory.mktemp("round_trip")
    truth = load_scenario("jingxing_2019")
    log = d / "arrivals.csv"
    assert main(["export-arrivals", "jingxing_2019", "--days", "364", "--out", str(log)]) == 0
    holidays = d / "holidays.txt"
    holidays.write_text("\n".join(x.isoformat() for x in truth.holidays) + "\n")
    out = d / "city.yaml"
    args = ["scenario-from-log", str(log), "--timezone", "Asia/Shanghai", "--out", str(out)]
    assert main([*args, "--holidays", str(holidays)]) == 0
    return truth, load_scenario(out), out, log


def test_rates_weekdays_holidays_and_zones_come_back_within_sampling_error(round_trip):
    truth, got, _, _ = round_trip
    assert set(got.categories) == set(truth.categories)
    z = []
    for key, c in truth.categories.items():
        g = got.categories[key]
        n = float(g.source.split(": ")[1].split(" issues")[0].replace(",", ""))
        se = c.rate_per_day / np.sqrt(n)
        z.append((g.rate_per_day - c.rate_per_day) / se)
    z = np.array(z)
    assert np.all(np.abs(z) < 4), z.round(2)
    assert abs(z.mean()) < 4 / np.sqrt(len(z))  # no bias over the categories
    w_true, w_got = truth.arrivals.weekday_factors(), got.arrivals.weekday_factors()
    assert np.allclose(w_got, w_true, atol=0.06), (w_got, w_true)
    assert abs(got.arrivals.holiday_factor - truth.arrivals.holiday_factor) < 0.12
    share_true = np.array([z.weight for z in truth.zones.values()])
    share_true /= share_true.sum()
    share_got = np.array([got.zones[k].weight for k in truth.zones])
    total = sum(c.rate_per_day for c in truth.categories.values()) * 364
    assert np.all(np.abs(share_got - share_true) < 4 * np.sqrt(share_true / total))


def test_hour_profiles_come_back_within_sampling_error(round_trip):
    truth, got, _, _ = round_trip
    city = np.array(got.arrivals.hour_profile("city"))
    for key, c in truth.categories.items():
        n = c.rate_per_day * 364
        p_true = np.array(truth.arrivals.hour_profile(c.profile))
        p_got = np.array(got.arrivals.hour_profile(got.categories[key].profile))
        # Poisson error of each hour's share, and the known pull towards the city's shape
        shrink = SHRINK_ISSUES / (n + SHRINK_ISSUES)
        allowed = 4 * np.sqrt(p_true * 24 / n) + shrink * np.abs(city - p_true) + 0.02
        assert np.all(np.abs(p_got - p_true) < allowed), key
    # and the shapes differ where the truth's differ: the street lights peak after dark
    lights = np.array(got.arrivals.hour_profile(got.categories["street_light"].profile))
    assert lights[18:22].mean() > 2 * lights[8:12].mean()


def test_every_value_says_where_it_comes_from(round_trip):
    _, got, out, log = round_trip
    text = out.read_text()
    sha = hashlib.sha256(log.read_bytes()).hexdigest()
    assert f"sha256 {sha}" in text and f"[log] sha256 {sha[:12]}" in text
    raw = yaml.safe_load(text)
    for key, c in raw["categories"].items():
        assert c["source"].startswith(f"[log] sha256 {sha[:12]}"), key
    for line in text.splitlines():  # every value line of the made sections is marked
        if line.startswith(("  start:", "  days:", "  day_of_week:", "  holiday_factor:")):
            assert "[log]" in line, line
        if line.startswith(("  trend_per_year:", "  frontage_self_fix_share:")):
            assert "[assumption]" in line, line
    assert "[assumption]" in text and "[seed]" in text  # the template's arrangements, comments kept
    # the log names the keys already: no mapping is needed, none is written
    assert not out.with_name("city.mapping.yaml").exists()
    assert (
        got.run.timezone == "Asia/Shanghai" and got.run.start.isoformat() == "2019-10-14T00:00:00"
    )


def test_a_real_export_becomes_a_scenario_its_log_replays_on(tmp_path, capsys):
    out = tmp_path / "la.yaml"
    args = ["scenario-from-log", str(LA), "--mapping", str(LA_MAPPING), "--out", str(out)]
    assert main([*args, "--holidays", "US-CA"]) == 0
    printed = capsys.readouterr().out
    assert "10,000 rows: 10,000 kept, 0 rejected" in printed
    assert "12 categories" in printed and "2,943 issues a day" in printed
    s = load_scenario(out)
    mapping = tmp_path / "la.mapping.yaml"
    assert {"bulky_items", "graffiti_removal", "single_streetlight_issue"} <= set(s.categories)
    assert s.categories["graffiti_removal"].department == "ocb"  # the owner on its rows
    assert s.categories["bulky_items"].department == "bos"
    assert len(s.zones) == 16 and s.zones["unlocated"].name == "(no zone in the log)"
    assert s.zones["zone_13"].name == "13" and s.run.timezone == "America/Los_Angeles"
    assert str(s.holidays[0]) == "2018-01-01" and s.arrivals.holiday_factor < 1
    # a city of 2,900 a day is not one district's crews: the pools grow with the volume
    assert s.departments["bos"].crews > 100
    assert s.arrangement_params("hotline").operators > 2
    log = read_log(LA, s, mapping)
    assert log.counts["read"] == 10_000 == log.counts["kept"] + log.counts["rejected"]
    assert int(log.frame.zone.eq("unlocated").sum()) == 9  # the rows with no council district
    assert main(["validate", str(out)]) == 0


def test_rare_categories_become_one(tmp_path, capsys):
    out = tmp_path / "la.yaml"
    args = ["scenario-from-log", str(LA), "--mapping", str(LA_MAPPING), "--out", str(out)]
    assert main([*args, "--min-issues", "100"]) == 0
    s = load_scenario(out)
    assert "other" in s.categories and "feedback" not in s.categories
    assert "report_water_waste" not in s.categories
    assert "bulky_items" in s.categories
    assert "4 categories with fewer than 100 issues" in capsys.readouterr().err


@pytest.mark.parametrize(
    "extra, message",
    [
        ([], "say the log's time zone"),
        (["--timezone", "UTC", "--holidays", "XX"], "no such country"),
        (["--timezone", "UTC", "--template", "nowhere"], "nowhere"),
    ],
)
def test_bad_input_is_named_and_writes_nothing(tmp_path, capsys, extra, message):
    log = tmp_path / "log.csv"
    log.write_text("reported_at,zone,category\n2020-01-01 08:00,a,b\n2020-01-03 09:00,a,c\n")
    out = tmp_path / "city.yaml"
    assert main(["scenario-from-log", str(log), "--out", str(out), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.csv"]


def test_a_log_shorter_than_a_day_and_an_existing_out_are_refused(tmp_path, capsys):
    log = tmp_path / "log.csv"
    log.write_text("reported_at,zone,category\n2020-01-01 08:00,a,b\n2020-01-01 19:00,a,c\n")
    out = tmp_path / "city.yaml"
    assert main(["scenario-from-log", str(log), "--timezone", "UTC", "--out", str(out)]) == 2
    assert "span 11.0 hours" in capsys.readouterr().err and not out.exists()
    out.write_text("mine\n")
    long = tmp_path / "long.csv"
    long.write_text("reported_at,zone,category\n2020-01-01 08:00,a,b\n2020-01-03 19:00,a,c\n")
    assert main(["scenario-from-log", str(long), "--timezone", "UTC", "--out", str(out)]) == 2
    assert "--force" in capsys.readouterr().err and out.read_text() == "mine\n"
    assert (
        main(["scenario-from-log", str(long), "--timezone", "UTC", "--out", str(out), "--force"])
        == 0
    )
    assert load_scenario(out).categories["b"].name == "b"


@pytest.mark.parametrize("word", ["null", "yes", "on", "Off", "no", "TRUE"])
def test_names_yaml_reads_as_booleans_become_keys_of_their_own(tmp_path, capsys, word):
    """A category or zone named `yes` or `null` would be written as a key YAML reads as True or
    None: it gets a prefixed key, keeps its name, and its rows land on it."""
    log = tmp_path / "log.csv"
    rows = [f"2020-01-{d:02d} {h:02d}:00,{word},{word}" for d in range(1, 8) for h in (9, 15)]
    rows += [f"2020-01-{d:02d} 11:00,east,noise" for d in range(1, 8)]
    log.write_text("reported_at,zone,category\n" + "\n".join(rows) + "\n")
    out = tmp_path / "city.yaml"
    assert main(["scenario-from-log", str(log), "--timezone", "UTC", "--out", str(out)]) == 0
    s = load_scenario(out)
    key = f"zone_{word.lower()}"
    assert s.zones[key].name == word and s.categories[f"category_{word.lower()}"].name == word
    replayed = read_log(log, s, out.with_suffix(".mapping.yaml"))
    assert (replayed.frame.zone == key).sum() == 14
    assert "Traceback" not in capsys.readouterr().err


def test_names_that_differ_only_in_case_are_one_and_said(tmp_path, capsys):
    """The mapping reads names without regard to case, so 'A' and 'a' are one zone (the more
    frequent spelling), not two keys with every row in the second."""
    log = tmp_path / "log.csv"
    rows = [f"2020-01-{d:02d} {h:02d}:00,{z},noise" for d in range(1, 8) for h, z in
            ((9, "A"), (12, "a"), (15, "A"), (18, "East"))]  # fmt: skip
    log.write_text("reported_at,zone,category\n" + "\n".join(rows) + "\n")
    out = tmp_path / "city.yaml"
    assert main(["scenario-from-log", str(log), "--timezone", "UTC", "--out", str(out)]) == 0
    assert "zone names that differ only in case are read as one" in capsys.readouterr().err
    s = load_scenario(out)
    assert sorted(s.zones) == ["a", "east"] and s.zones["a"].name == "A"
    assert s.zones["a"].weight == pytest.approx(21 / 28, abs=0.01)
    replayed = read_log(log, s, out.with_suffix(".mapping.yaml"))
    assert (replayed.frame.zone == "a").sum() == 21


def test_weekday_factors_from_few_reports_are_said_to_be_noise(round_trip, tmp_path, capsys):
    """A hundred reports over two months (Boston's sample) leave each weekday a dozen: the
    factors are printed with their counts and called noise; a year's export is not warned."""
    import pandas as pd

    _, _, _, log = round_trip
    rows = pd.read_csv(log)
    few = rows.iloc[:: max(1, len(rows) // 100)].head(100)
    small = tmp_path / "few.csv"
    few.to_csv(small, index=False)
    out = tmp_path / "few.yaml"
    capsys.readouterr()
    args = ["scenario-from-log", str(small), "--timezone", "Asia/Shanghai", "--out", str(out)]
    assert main(args) == 0
    err = capsys.readouterr().err
    said = next(line for line in err.splitlines() if "weekday factors resting on" in line)
    counts = [int(n) for n in re.findall(r"from (\d+) reports", said)]
    assert counts and all(n < 30 for n in counts) and sum(counts) <= 100, said
    assert "noise" in said
    again = tmp_path / "year.yaml"
    args = ["scenario-from-log", str(log), "--timezone", "Asia/Shanghai", "--out", str(again)]
    assert main(args) == 0
    assert "weekday factors resting on" not in capsys.readouterr().err


def test_a_log_naming_more_zones_than_one_district_holds_is_refused_before_anything_is_built(
    tmp_path, capsys
):
    """2,001 zones (one row each): refused with the count, the limit and the remedy, exit 2,
    nothing written; a million zones used to run for minutes to gigabytes."""
    from streetchief.scenario.from_log import MOST_DISTINCT

    n = MOST_DISTINCT["zone"] + 1
    rows = [f"2020-01-{1 + k % 28:02d} {k % 24:02d}:00,z{k},noise" for k in range(n)]
    log = tmp_path / "log.csv"
    log.write_text("reported_at,zone,category\n" + "\n".join(rows) + "\n")
    out = tmp_path / "city.yaml"
    assert main(["scenario-from-log", str(log), "--timezone", "UTC", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"names {n:,} distinct zone values; one scenario holds at most 2,000" in err
    assert "zones: geojson" in err and "Traceback" not in err
    assert not out.exists() and not out.with_suffix(".mapping.yaml").exists()


def test_rare_categories_count_as_one_toward_the_limit(tmp_path, capsys):
    """Past the limit, the message names --min-issues; with it, many categories of a single
    report each are gathered into one, and the log is read."""
    from streetchief.scenario.from_log import MOST_DISTINCT

    rows = [
        f"2020-01-{1 + k % 28:02d} 10:00,east,kind{k}" for k in range(MOST_DISTINCT["category"] + 5)
    ]
    rows += [f"2020-01-{d:02d} 12:00,east,noise" for d in range(1, 29)]
    log = tmp_path / "log.csv"
    log.write_text("reported_at,zone,category\n" + "\n".join(rows) + "\n")
    out = tmp_path / "city.yaml"
    args = ["scenario-from-log", str(log), "--timezone", "UTC", "--out", str(out)]
    assert main(args) == 2
    assert "--min-issues N: the categories with fewer reports become one" in capsys.readouterr().err
    assert main([*args, "--min-issues", "2"]) == 0
    assert len(load_scenario(out).categories) == 2  # noise, and the rare ones as other


def test_a_log_a_day_long_sizes_its_pools_from_its_two_reports_not_millions(tmp_path):
    """Two reports a day apart, the second on the hour: the window's last hour used to count as
    next to no time with a report in it, a weekday factor in the millions and 17 million grid
    operators (then refused). The window ends with that hour whole."""
    log = tmp_path / "log.csv"
    log.write_text("reported_at,zone,category\n2020-01-01 08:00,a,b\n2020-01-02 08:00,a,b\n")
    out = tmp_path / "city.yaml"
    assert main(["scenario-from-log", str(log), "--timezone", "UTC", "--out", str(out)]) == 0
    s = load_scenario(out)
    assert s.categories["b"].rate_per_day == pytest.approx(1.0, abs=1.0)  # 2 in 25 hours
    assert s.arrangement_params("grid").operators <= 10
    assert s.arrangement_params("hotline").operators <= 10


def test_pools_are_capped_and_said_when_a_dense_log_asks_for_more(tmp_path, capsys):
    """60,000 reports in a day and an hour ask for more than 10,000 people in a pool: each pool
    stops at the cap, and a note names them and says the log cannot size them."""
    from streetchief.scenario.from_log import MAX_POOL

    start = np.datetime64("2020-01-01T08:00")
    times = start + (np.arange(60_000) * 25 * 3600 // 60_000).astype("timedelta64[s]")
    log = tmp_path / "dense.csv"
    log.write_text("reported_at,zone,category\n" + "".join(f"{t},a,b\n" for t in times.astype(str)))
    out = tmp_path / "city.yaml"
    assert main(["scenario-from-log", str(log), "--timezone", "UTC", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    city = load_scenario(out)
    crews = [d.crews for d in city.departments.values()]
    assert max(crews) == MAX_POOL
    assert f"pools sized at the cap of {MAX_POOL:,} people: departments." in err
    assert "too short or too dense to size from" in err
